"""Congestion settlement: target allocations, hourly credits, forfeiture, excess distribution (pure)."""
