"""What each event carries: the one builder of every payload the log writes.

Payloads carry stable ids and the labels a consumer shows (the touchpoint's
name, the question), so no second call is needed. The same builder serves a
single change and a batch: it reads attributes, so an ORM row and a Core row
of the same columns give the same payload.
"""

from __future__ import annotations

from datetime import datetime

SENTIMENT_FIELDS = ("status", "reason", "compound", "positive", "neutral", "negative", "label")


def response_data(response, *, touchpoint, question: str, customer) -> dict:
    """The payload of ``response.created``, ``.updated`` and ``.scored``.

    ``response`` has the answer's columns (``id``, ``score``, ``metric``,
    ``comment``, ``context``, ``source``, ``created_at`` and the
    ``sentiment_*`` ones); ``touchpoint`` its ``id``, ``name``, ``channel`` and
    ``journey_id``; ``customer`` (or None) its ``id``, ``external_id`` and
    ``email``.
    """
    return {
        "response": {
            "id": response.id,
            "score": response.score,
            "metric": response.metric,
            "comment": response.comment,
            "context": response.context,
            "source": response.source,
            "created_at": _instant(response.created_at),
            "sentiment": {field: getattr(response, f"sentiment_{field}") for field in SENTIMENT_FIELDS},
        },
        "touchpoint": {"id": touchpoint.id, "name": touchpoint.name, "channel": touchpoint.channel,
                       "journey_id": touchpoint.journey_id},
        "question": question,
        "customer": ({"id": customer.id, "external_id": customer.external_id, "email": customer.email}
                     if customer is not None else None),
    }


def stored_response_data(response) -> dict:
    """``response_data`` of a stored ``Response`` row, with its touchpoint, wording and customer."""
    return response_data(response, touchpoint=response.touchpoint, question=response.survey_version.question,
                         customer=response.customer)


def follow_up_data(follow_up, **extra) -> dict:
    """The payload of every ``follow_up.*`` event; ``extra`` adds the event's own fields."""
    response = follow_up.response
    return {
        "follow_up": {
            "id": follow_up.id, "status": follow_up.status, "priority": follow_up.priority,
            "due_at": _instant(follow_up.due_at), "root_cause": follow_up.root_cause,
            "owner": ({"id": follow_up.owner.id, "name": follow_up.owner.name, "email": follow_up.owner.email}
                      if follow_up.owner else None),
            "team": {"id": follow_up.team.id, "name": follow_up.team.name} if follow_up.team else None,
        },
        "touchpoint": {"id": follow_up.touchpoint.id, "name": follow_up.touchpoint.name},
        "response": {"id": response.id, "score": response.score, "metric": response.metric,
                     "comment": response.comment},
        **extra,
    }


def endpoint_disabled_data(endpoint, reason: str) -> dict:
    """The payload of ``webhook_endpoint.disabled``."""
    return {
        "webhook_endpoint": {"id": endpoint.id, "url": endpoint.url},
        "reason": reason,
        "failing_since": _instant(endpoint.failing_since),
    }


def alert_data(alert) -> dict:
    """The payload of ``alert.triggered`` and ``alert.recovered``: the alert with its figures, the
    touchpoint (so an endpoint's touchpoint filter routes it), its team, and the teams told."""
    touchpoint = alert.touchpoint
    return {
        "alert": {
            "id": alert.id, "rule_id": alert.rule_id, "kind": alert.kind, "metric": alert.metric,
            "threshold": alert.threshold, "window_hours": alert.window_hours, "value": alert.value,
            "n": alert.n, "ci_low": alert.ci_low, "ci_high": alert.ci_high, "baseline": alert.baseline,
            "baseline_n": alert.baseline_n, "window_start": _instant(alert.window_start),
            "fired_at": _instant(alert.fired_at), "recovered_at": _instant(alert.recovered_at),
            "recovered_value": alert.recovered_value, "end_reason": alert.end_reason,
        },
        "touchpoint": {"id": touchpoint.id, "name": touchpoint.name, "channel": touchpoint.channel,
                       "journey_id": touchpoint.journey_id},
        "team": {"id": touchpoint.team.id, "name": touchpoint.team.name} if touchpoint.team else None,
        "notified": [{"team_id": entry["team_id"], "name": entry["name"], "relation": entry["relation"]}
                     for entry in alert.notified or []],
    }


def audit_data(audit, *, journey, findings) -> dict:
    """The payload of ``audit.submitted``: the audit, its journey and every finding (in journey
    order), each with its touchpoint's id and name and its team."""
    return {
        "audit": {
            "id": audit.id, "journey_id": audit.journey_id, "auditor_id": audit.auditor_id,
            "shopper_name": audit.shopper_name, "scenario": audit.scenario, "channels": list(audit.channels or []),
            "status": audit.status, "started_at": _instant(audit.started_at),
            "submitted_at": _instant(audit.submitted_at),
        },
        "journey": {"id": journey.id, "name": journey.name},
        "findings": [{
            "id": f.id, "touchpoint": {"id": f.touchpoint_id, "name": f.touchpoint.name},
            "expectation": f.expectation, "severity": f.severity, "effort": f.effort, "minutes": f.minutes,
            "reached": f.reached, "team_id": f.team_id, "note": f.note,
        } for f in findings],
    }


def _instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def backlog_item_data(item, **extra) -> dict:
    """The payload of ``backlog_item.*`` events: the item, its touchpoint (so an endpoint's
    touchpoint filter routes it) and its sources; ``extra`` adds the event's own fields
    (``status_changed``: ``from`` and ``to``)."""
    touchpoint = item.touchpoint
    return {
        "backlog_item": {
            "id": item.id, "title": item.title, "status": item.status, "impact": item.impact, "ease": item.ease,
            "priority": item.priority, "team_id": item.team_id, "done_at": _instant(item.done_at),
            "sources": [{"kind": s.kind, "id": s.ref_id} for s in item.sources],
        },
        "touchpoint": {"id": touchpoint.id, "name": touchpoint.name, "journey_id": touchpoint.journey_id},
        **extra,
    }
