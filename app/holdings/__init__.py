"""Holdings."""
