"""Applications for allocated and assigned FTRs (OA 5.2.2(b), 5.2.2(c), 7.3.3)."""
