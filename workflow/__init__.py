"""Plangraph's domain core: models, the sign-off machine, scope, plans, calendar.

This package imports nothing from Flask; the web layer in `blueprints/` calls it.
"""
