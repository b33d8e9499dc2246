"""Day-ahead market simulator and revenue-adequacy forecast (pure; DC-OPF with HiGHS)."""
