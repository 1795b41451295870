"""Collection: a customer's answer, from the survey they are shown to the answer stored.

``survey`` is what a widget or hosted page shows (and ``fatigue`` whether to
show it at all); ``intake`` stores the score, once, with its event;
``comments`` adds the comment that follows; ``displays`` counts impressions;
``tokens`` signs the links and tokens these travel with; ``responses`` lists
answers; ``jobs`` open their follow-ups and score their comments after the
commit.

May import: loop, sentiment, customers, events, journeys, rollups, core, models, extensions.
"""
