"""Rollups: per touchpoint, day, channel and metric, the score histogram and sentiment counts,
kept in step with the answers so reports never read a million rows.

May import: core, models, extensions, config.
"""
