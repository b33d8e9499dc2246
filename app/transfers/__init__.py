"""Bilateral FTR transfers (OA 5.2.2(d))."""
