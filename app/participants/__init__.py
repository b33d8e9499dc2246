"""Participants, roles, credit limits and API keys."""
