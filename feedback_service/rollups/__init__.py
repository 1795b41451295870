"""Rollups: what the reports add up instead of reading every answer. Per touchpoint, day,
channel and metric, the score histogram and sentiment counts, kept in the transaction that
writes the answers (``counting``, read by ``reading``); and each customer's steps from one
touchpoint to the next, kept by the worker exactly once (``steps``).

May import: journeys (the metrics' scales), core, models, extensions, config.
"""

from .counting import count, keys_of_ids, moved, recounted, uncount
from .reading import tallies

__all__ = ["count", "keys_of_ids", "moved", "recounted", "tallies", "uncount"]
