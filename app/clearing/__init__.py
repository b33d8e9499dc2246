"""Clearing."""
