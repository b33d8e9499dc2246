"""Bids."""
