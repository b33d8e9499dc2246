"""The audit trail: a hash-chained log appended in the same transaction as every state change."""
