"""Market time: Eastern Prevailing Time hours, on-peak/off-peak classes, holidays, business days (pure)."""
