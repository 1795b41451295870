"""What the API reads and writes: marshmallow schemas, one module per group of routes.

Passive: a schema validates and dumps; the views assemble what it dumps.
May import: features (their constants and pure helpers), core, models, config.
"""
