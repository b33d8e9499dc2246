"""The market clock of non-production deployments: a stored offset the OI moves forward."""
