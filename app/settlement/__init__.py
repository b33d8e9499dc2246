"""Monthly congestion settlement in the service: input sets, versioned runs, statements (OA 5.2)."""
