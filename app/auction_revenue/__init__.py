"""Auction settlement (OA 7.3.8) and net revenue to transmission owners (OA 7.3.9)."""
