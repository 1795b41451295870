from __future__ import annotations

from marshmallow import fields, validate

from ..audits.walks import MAX_MINUTES, NOTE_MAX, SCENARIO_MAX
from ..models import AUDIT_STATUSES, CHANNELS, EFFORTS, EXPECTATIONS, SEVERITIES
from ..models.base import MAX_ID
from .common import ListArgs, Schema, id_field, instant_field, name_field


def _id(description: str, **kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), metadata={"description": description},
                          **kwargs)


def _channels(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(max=len(CHANNELS)),
                       metadata={"description": "The channels walked; default: those of the journey's touchpoints."},
                       **kwargs)


def _text(limit: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=limit), **kwargs)


class AuditInSchema(Schema):
    journey_id = _id("One of this organisation's journeys.", required=True)
    auditor_id = _id("The member of staff who walks it (or give shopper_name).", allow_none=True)
    shopper_name = name_field(allow_none=True, metadata={"description": "An outside shopper who walks it."})
    scenario = _text(SCENARIO_MAX, load_default="", metadata={
        "description": "What the walk sets out to do: 'buy shoes with the holiday code, then ask about shipping'."})
    channels = _channels(load_default=None)
    notes = _text(NOTE_MAX, load_default="")
    started_at = instant_field(metadata={"description": "Default now."})


class AuditPatchSchema(Schema):
    auditor_id = _id("The member of staff who walks it.", allow_none=True)
    shopper_name = name_field(allow_none=True)
    scenario = _text(SCENARIO_MAX)
    channels = _channels()
    notes = _text(NOTE_MAX)
    started_at = instant_field()
    status = fields.String(validate=validate.OneOf(AUDIT_STATUSES), metadata={
        "description": "`submitted` submits the audit: final, its findings frozen, `audit.submitted` logged."})


class AuditSchema(Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    auditor_id = fields.Integer(allow_none=True)
    shopper_name = fields.String(allow_none=True)
    scenario = fields.String()
    channels = fields.List(fields.String())
    notes = fields.String()
    status = fields.String(metadata={"description": ", ".join(AUDIT_STATUSES)})
    started_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AuditListArgs(ListArgs):
    journey_id = id_field()
    status = fields.String(validate=validate.OneOf(AUDIT_STATUSES))


_EXPECTATION = "better_than_expected, as_expected or worse_than_expected (default the last when reached is false)."
_SEVERITY = "Required when worse_than_expected, refused otherwise: really_bad, bad or inconvenient."


class FindingInSchema(Schema):
    touchpoint_id = _id("A touchpoint of the audit's journey.", required=True)
    note = _text(NOTE_MAX, load_default="", metadata={"description": "What happened; the evidence."})
    expectation = fields.String(validate=validate.OneOf(EXPECTATIONS), load_default=None,
                                metadata={"description": _EXPECTATION})
    severity = fields.String(validate=validate.OneOf(SEVERITIES), allow_none=True, load_default=None,
                             metadata={"description": _SEVERITY})
    effort = fields.String(validate=validate.OneOf(EFFORTS), allow_none=True, load_default=None,
                           metadata={"description": "The effort to fix it: quick, days or project (bad ones only)."})
    minutes = fields.Integer(strict=True, validate=validate.Range(0, MAX_MINUTES), allow_none=True,
                             load_default=None, metadata={"description": "The time it took (minutes on hold)."})
    reached = fields.Boolean(load_default=True, metadata={
        "description": "false: the walk broke here (worse than expected; severity default really_bad)."})
    team_id = _id("The owning team; default the touchpoint's.", allow_none=True)


class FindingPatchSchema(Schema):
    touchpoint_id = _id("A touchpoint of the audit's journey.")
    note = _text(NOTE_MAX)
    expectation = fields.String(validate=validate.OneOf(EXPECTATIONS), metadata={"description": _EXPECTATION})
    severity = fields.String(validate=validate.OneOf(SEVERITIES), allow_none=True,
                             metadata={"description": _SEVERITY})
    effort = fields.String(validate=validate.OneOf(EFFORTS), allow_none=True)
    minutes = fields.Integer(strict=True, validate=validate.Range(0, MAX_MINUTES), allow_none=True)
    reached = fields.Boolean()
    team_id = _id("The owning team.", allow_none=True)


class FindingSchema(Schema):
    id = fields.Integer()
    audit_id = fields.Integer()
    touchpoint_id = fields.Integer()
    note = fields.String()
    expectation = fields.String()
    severity = fields.String(allow_none=True)
    effort = fields.String(allow_none=True)
    minutes = fields.Integer(allow_none=True)
    reached = fields.Boolean()
    team_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FindingListSchema(Schema):
    data = fields.List(fields.Nested(FindingSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Always null: an audit's findings come in one page."})


class AuditLinkInSchema(Schema):
    audit_id = _id("An audit under way.", required=True)
    expires_at = instant_field(required=True, metadata={"description": "From now to 90 days on."})


class AuditLinkSchema(Schema):
    audit_id = fields.Integer()
    url = fields.String(metadata={"description": "The page the shopper walks the audit on: /a/{token}."})
    expires_at = fields.DateTime()


class ComparedWalkSchema(Schema):
    audit_id = fields.Integer()
    verdict = fields.String(metadata={"description": "bad, inconvenient, fine, not_reached or not_walked"})
    worst_severity = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))


class ComparedTouchpointSchema(Schema):
    touchpoint_id = fields.Integer()
    name = fields.String()
    position = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    consistent = fields.Boolean(metadata={"description": (
        "false when, among the submitted audits that reached it, some found it bad (worse than expected, "
        "really_bad or bad) and others found nothing worse than expected. See docs/audits.md.")})
    audits = fields.List(fields.Nested(ComparedWalkSchema), metadata={"description": "In the order of `audits`."})


class ComparedAuditSchema(Schema):
    id = fields.Integer()
    walked_by = fields.String()
    auditor_id = fields.Integer(allow_none=True)
    shopper_name = fields.String(allow_none=True)
    scenario = fields.String()
    started_at = fields.DateTime()
    submitted_at = fields.DateTime()


class AuditComparisonSchema(Schema):
    journey_id = fields.Integer()
    audits = fields.List(fields.Nested(ComparedAuditSchema), metadata={
        "description": "The journey's submitted audits, oldest submission first."})
    touchpoints = fields.List(fields.Nested(ComparedTouchpointSchema), metadata={"description": "In journey order."})
