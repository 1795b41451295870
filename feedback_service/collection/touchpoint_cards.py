"""What the public routes need to know about a touchpoint, kept a few seconds per process.

Every answer a customer sends starts by finding its touchpoint from the ``pk_``
key, checking the origin and the score's scale. Reading the touchpoint and its
survey for each one would cost a query per answer, so each worker keeps a
``TouchpointCard``, a frozen copy of those fields, for ``TOUCHPOINT_CACHE_SECONDS``.

A card is a hint, never the authority. The statement that stores an answer
matches the touchpoint's ``updated_at`` (every edit moves it: a new survey
version, other origins, an archive, a new key), so an answer checked against a
card that has since gone stale stores nothing and is checked again against a
fresh one. Refusals (a foreign origin, a score off the scale) are always
decided on a fresh card, so a change an admin just made never turns a customer
away.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..core import security
from ..core.errors import NotFound
from ..extensions import db
from ..models import SurveyVersion, Touchpoint
from ..journeys.surveys import METRICS, Metric

MAX_CARDS = 4096
UNKNOWN_KEY = "No survey for this key. Check the data-touchpoint attribute of the embed code."


@dataclass(frozen=True)
class TouchpointCard:
    id: int
    organization_id: int
    journey_id: int
    name: str
    channel: str
    publishable_key: str
    allowed_origins: frozenset[str]
    follow_up_policy: str
    # ``updated_at`` when the card was read: the store statement matches it.
    stamp: datetime
    # The current survey version; the same attribute names as ``SurveyVersion``,
    # so the text helpers take either.
    survey_version_id: int
    metric: str
    question: str
    comment_prompt: str
    low_score_prompt: str | None
    scale_labels: dict
    language: str
    translations: dict

    @property
    def scale(self) -> Metric:
        return METRICS[self.metric]


def card_of(touchpoint: Touchpoint, survey: SurveyVersion | None = None) -> TouchpointCard:
    survey = survey or touchpoint.survey
    return TouchpointCard(
        id=touchpoint.id, organization_id=touchpoint.organization_id, journey_id=touchpoint.journey_id,
        name=touchpoint.name, channel=touchpoint.channel, publishable_key=touchpoint.publishable_key,
        allowed_origins=frozenset(touchpoint.allowed_origins or ()), follow_up_policy=touchpoint.follow_up_policy,
        stamp=touchpoint.updated_at, survey_version_id=survey.id, metric=survey.metric, question=survey.question,
        comment_prompt=survey.comment_prompt, low_score_prompt=survey.low_score_prompt,
        scale_labels=dict(survey.scale_labels or {}), language=survey.language,
        translations=dict(survey.translations or {}),
    )


def card_for_key(publishable_key: str, *, fresh: bool = False) -> TouchpointCard:
    """The live touchpoint behind a ``pk_`` key, across tenants (the key is the credential).

    404 for an unknown, rotated or archived key. ``fresh`` reads the database
    (and renews the cached card) instead of trusting one a few seconds old.
    """
    if not security.is_publishable_key(publishable_key):
        raise NotFound(UNKNOWN_KEY)
    cache = _cache()
    if not fresh and cache.ttl > 0:
        hit = cache.get(publishable_key)
        if hit is not None:
            return hit
    card = _load(publishable_key)
    if card is None:
        cache.forget(publishable_key)
        raise NotFound(UNKNOWN_KEY)
    cache.put(publishable_key, card)
    return card


def forget(publishable_key: str) -> None:
    """Drop this process's card for a key (after a change this process made itself)."""
    _cache().forget(publishable_key)


def _load(publishable_key: str) -> TouchpointCard | None:
    # A pk is not tenant-scoped data yet: the statement names both tables itself.
    row = db.session.execute(
        select(Touchpoint, SurveyVersion)
        .join(SurveyVersion, SurveyVersion.id == Touchpoint.current_survey_version_id)
        .where(Touchpoint.publishable_key == publishable_key, Touchpoint.archived_at.is_(None))
    ).first()
    return card_of(row[0], row[1]) if row else None


class _CardCache:
    """Cards by key for ``ttl`` seconds; bounded, thread-safe (gthread workers share it)."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._cards: dict[str, tuple[float, TouchpointCard]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> TouchpointCard | None:
        entry = self._cards.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, key: str, card: TouchpointCard) -> None:
        with self._lock:
            if len(self._cards) >= MAX_CARDS:
                self._cards.clear()  # rare (thousands of live touchpoints per worker): start over
            self._cards[key] = (time.monotonic(), card)

    def forget(self, key: str) -> None:
        with self._lock:
            self._cards.pop(key, None)


def _cache() -> _CardCache:
    # One per app: tests build many apps on different databases in one process.
    cache = current_app.extensions.get("touchpoint_cards")
    if cache is None:
        cache = current_app.extensions["touchpoint_cards"] = _CardCache(
            float(current_app.config["TOUCHPOINT_CACHE_SECONDS"]))
    return cache
