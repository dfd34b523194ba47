"""Slack in and out only: one module per surface, each with register(app)."""
