"""HTTP routes, one module per noun; each route is one service call deep."""
