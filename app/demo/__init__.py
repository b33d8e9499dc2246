"""The demo market that ``ftr demo`` builds (see :mod:`app.demo.market`)."""
