"""Revenue-adequacy forecast of a cleared auction (OA 7.4): a background job over the simulation package."""
