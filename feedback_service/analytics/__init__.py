"""Analytics: where the journey hurts. The figures (``figures``), the journey map and the report.

May import: journeys, core, models, extensions.
"""
