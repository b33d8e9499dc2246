"""Auction rules and lifecycle: bids, offers, base model, pro-rata ties, awards (pure)."""
