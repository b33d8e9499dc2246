"""The simultaneous-feasibility LP and the clearing prices it yields (pure; HiGHS and Pyomo)."""
