"""Alerts: rules per touchpoint that watch its figures and, when one breaks, tell the team that
owns it and the teams next to it in the journey.

May import: analytics, mail, events, journeys, accounts, rollups, core, models, extensions, config.
"""
