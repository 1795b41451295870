"""Audits: secret-shopper walks of a journey, touchpoint by touchpoint, and what they found.

May import: journeys, accounts, events, core, models, extensions, config.
"""
