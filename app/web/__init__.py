"""The Market Portal: HTML pages for traders, the OI, LSEs, auditors and the public.

Pages call the same services and mappers as the JSON routers (see docs/app.md); this package holds
the session cookie, the page routes, the Jinja2 templates and the vendored static assets (htmx and
uPlot, pinned, with their licences in ``static/vendor``). Nothing is loaded from another origin.
"""
