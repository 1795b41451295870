"""Sentiment: what a customer's comment felt like, scored with VADER off the request path.

``rules`` says what a comment's sentiment is (or why it was skipped: VADER
reads English only); ``scoring`` writes it back, exactly once per comment,
with its ``response.scored`` event and the follow-up priorities it moves;
``jobs`` are the worker's wrappers.

May import: loop (priorities), events, journeys, rollups (the counts a score moves), core, models, extensions.
"""
