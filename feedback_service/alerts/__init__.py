"""Alerts: rules per touchpoint that watch its figures and, when one breaks, tell the team that
owns it and the teams next to it in the journey.

``rules`` makes, changes and lists rules and their alerts (and the demo's starter rules);
``evaluation`` judges a rule and fires or ends its alert; ``notices`` says who is told and
what; ``jobs`` are the worker's periodic look and the look at one rule; ``terms`` and
``wording`` the ranges a rule may set and how it reads. docs/alerts.md has the semantics.

May import: analytics, mail, events, journeys, accounts, rollups, core, models, extensions, config.
"""
