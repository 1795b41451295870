"""Journeys: the ordered touchpoints a customer meets, who owns each, and the survey each asks.

``ordering`` keeps touchpoints in journey order; ``touchpoints`` makes and edits
them (a changed survey is a new version); ``surveys`` holds the three metrics
and their default wording; ``widget_texts`` the widget's own words;
``embedding`` the snippet, hosted page and QR codes.

May import: core, models, extensions.
"""
