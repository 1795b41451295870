"""Touchpoints: where they sit in the journey, who owns them, what they ask."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..core import security
from ..core.errors import Invalid, NotFound
from ..core.lookup import get_or_404, resolve_reference
from ..core.pagination import Page, paginate
from ..extensions import db
from ..models import FOLLOW_UP_POLICIES, Journey, SurveyVersion, Team, Touchpoint, utcnow
from . import ordering
from .surveys import METRICS, default_texts

SURVEY_TEXT_FIELDS = ("question", "comment_prompt", "low_score_prompt", "scale_labels")
DEFAULT_TRIGGER = {"mode": "load", "delay_seconds": 3}
UNKNOWN_KEY = "No survey for this key. Check the data-touchpoint attribute of the embed code."


# Built once: every request to the public routes runs it.
_LIVE = (select(Touchpoint)
         .where(Touchpoint.publishable_key == bindparam("publishable_key"), Touchpoint.archived_at.is_(None))
         .options(joinedload(Touchpoint.survey)))


def live_touchpoint(publishable_key: str) -> Touchpoint:
    """The live touchpoint behind a ``pk_`` key, with its survey, across tenants (the key is the
    credential); 404 for an unknown, rotated or archived key. One indexed read."""
    if not security.is_publishable_key(publishable_key):
        raise NotFound(UNKNOWN_KEY)
    touchpoint = db.session.scalar(_LIVE, {"publishable_key": publishable_key})
    if touchpoint is None:
        raise NotFound(UNKNOWN_KEY)
    return touchpoint


def list_touchpoints(*, journey_id: int | None = None, limit: int | None = None,
                     cursor: str | None = None) -> Page:
    """The live touchpoints, in the order they were made; ``journey_id``: one journey's."""
    query = select(Touchpoint).where(Touchpoint.archived_at.is_(None))
    if journey_id is not None:
        query = query.where(Touchpoint.journey_id == journey_id)
    return paginate(query, [(Touchpoint.id, int)], descending=False, limit=limit, cursor=cursor)


def create_touchpoint(*, journey_id: int, name: str, position: int | None = None, channel: str = "web",
                      team_id: int | None = None, allowed_origins: list[str] | None = None,
                      survey: dict | None = None, trigger: dict | None = None,
                      follow_up_policy: str = "low_scores") -> Touchpoint:
    journey = resolve_reference(Journey, journey_id, "journey_id")
    survey = dict(survey or {})
    touchpoint = Touchpoint(
        journey=journey,
        name=name,
        channel=channel,
        allowed_origins=list(dict.fromkeys(allowed_origins or [])),
        publishable_key=security.generate_publishable_key(),
        trigger={**DEFAULT_TRIGGER, **(trigger or {})},
        fatigue_days=survey.pop("fatigue_days", 30),
        follow_up_policy=_policy(follow_up_policy),
    )
    if team_id is not None:
        touchpoint.team = resolve_reference(Team, team_id, "team_id")
    touchpoint.position = ordering.insert_position(journey.id, position)
    db.session.add(touchpoint)
    db.session.flush()
    _apply_survey(touchpoint, survey)
    db.session.flush()
    return touchpoint


def update_touchpoint(touchpoint_id: int, changes: dict) -> Touchpoint:
    touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
    if "journey_id" in changes and changes["journey_id"] != touchpoint.journey_id:
        target = resolve_reference(Journey, changes["journey_id"], "journey_id")
        ordering.remove_position(touchpoint.journey_id, touchpoint.position)
        touchpoint.journey = target
        touchpoint.position = ordering.insert_position(target.id, changes.get("position"))
    elif changes.get("position") is not None:
        touchpoint.position = ordering.move_position(touchpoint.journey_id, touchpoint.position,
                                                     changes["position"])
    for field in ("name", "channel"):
        if field in changes:
            setattr(touchpoint, field, changes[field])
    if "follow_up_policy" in changes:
        touchpoint.follow_up_policy = _policy(changes["follow_up_policy"])
    if "team_id" in changes:
        team_id = changes["team_id"]
        touchpoint.team = None if team_id is None else resolve_reference(Team, team_id, "team_id")
    if "allowed_origins" in changes:
        touchpoint.allowed_origins = list(dict.fromkeys(changes["allowed_origins"]))
    if "trigger" in changes:
        touchpoint.trigger = {**touchpoint.trigger, **changes["trigger"]}
    if "survey" in changes:
        survey = dict(changes["survey"])
        if "fatigue_days" in survey:
            touchpoint.fatigue_days = survey.pop("fatigue_days")
        _apply_survey(touchpoint, survey)
    db.session.flush()
    return touchpoint


def _policy(policy: str) -> str:
    # The schemas check this for the API; the console and the CLI call us directly.
    if policy not in FOLLOW_UP_POLICIES:
        raise Invalid("follow_up_policy", f"Use one of {', '.join(FOLLOW_UP_POLICIES)}.")
    return policy


def archive_touchpoint(touchpoint_id: int) -> None:
    """Take a touchpoint off the journey. Its responses stay; its key stops working."""
    touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
    ordering.remove_position(touchpoint.journey_id, touchpoint.position)
    touchpoint.archived_at = utcnow()
    touchpoint.position = 0
    db.session.flush()


def _apply_survey(touchpoint: Touchpoint, changes: dict) -> None:
    """Write a new survey version when the survey's content changes.

    Earlier responses keep pointing at the version they answered, so a report
    can always show the exact question behind a score.
    """
    current = touchpoint.survey
    metric = changes.get("metric") or (current.metric if current else "csat")
    language = changes.get("language") or (current.language if current else "en")
    defaults = default_texts(metric, language)
    metric_changed = current is not None and metric != current.metric

    wanted: dict = {"metric": metric, "language": language}
    for field in SURVEY_TEXT_FIELDS:
        if field in changes:
            wanted[field] = changes[field]
        elif current is not None and not _was_default(current, field) and not (
            metric_changed and field in ("question", "scale_labels")
        ):
            # Custom wording survives other edits; a question written for
            # another metric does not.
            wanted[field] = getattr(current, field)
        else:
            wanted[field] = defaults[field]
    wanted["translations"] = changes.get("translations", current.translations if current else {})
    wanted["ui_texts"] = changes.get("texts", current.ui_texts if current else {})
    _check_labels(METRICS[metric], wanted["scale_labels"], "survey.scale_labels")
    for lang, texts in wanted["translations"].items():
        _check_labels(METRICS[metric], texts.get("scale_labels") or {},
                      f"survey.translations.{lang}.scale_labels")

    if current is not None and all(
        getattr(current, key) == value for key, value in wanted.items()
    ):
        return
    version = SurveyVersion(
        touchpoint_id=touchpoint.id,
        version=(current.version + 1) if current else 1,
        **wanted,
    )
    db.session.add(version)
    db.session.flush()
    touchpoint.survey = version


def _check_labels(metric, labels: dict, field: str) -> None:
    # Keys must be scores spelt exactly as the widget looks them up (str(score)):
    # "03" or "٣" (an Arabic-Indic three) would pass int() yet never be shown.
    scores = {str(score) for score in range(metric.low, metric.high + 1)}
    for key in labels:
        if key not in scores:
            raise Invalid(field, f"{key!r} is not a score on the {metric.name.upper()} scale "
                                 f"({metric.low}–{metric.high}).")


def _was_default(version: SurveyVersion, field: str) -> bool:
    """Did this version use the built-in wording for ``field``? Then it follows the language."""
    return getattr(version, field) == default_texts(version.metric, version.language)[field]

