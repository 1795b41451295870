"""Themes: what customers talk about at a touchpoint, found in its comments by a job and stored.

May import: rollups, core, models, extensions, config.
"""
