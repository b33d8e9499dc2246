"""The service: HTTP API, persistence, background jobs and the ``ftr`` command line."""
