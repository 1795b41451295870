"""Analytics: where the journey hurts. The headlines and friction (``figures``), how sure they are
(``intervals``), one touchpoint's figures and trend (``touchpoint_metrics``), the journey map and
the report.

May import: journeys, themes, rollups, core, models, extensions.
"""
