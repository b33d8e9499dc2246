"""Grid model, PTDF/LODF sensitivities, outages, contingencies and loop flow (pure numpy/scipy)."""
