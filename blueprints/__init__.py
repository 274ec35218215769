"""The web layer: one module per area, each with an `init_app(app)`."""
