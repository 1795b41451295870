"""Exports: every response or follow-up as CSV or JSON Lines, streamed in constant memory.

May import: core, models, extensions.
"""
