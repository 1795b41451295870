from __future__ import annotations

from marshmallow import fields, validate

from ..config import DEFAULT_SLA_HOURS
from .common import Schema, name_field

PRIORITIES = tuple(DEFAULT_SLA_HOURS)


class OrganizationPatchSchema(Schema):
    name = name_field()
    survey_cap_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 365), metadata={
        "description": "Ask any one customer at most one survey per this many days, across all "
                       "touchpoints; null or 0: no cap."})
    sla_hours = fields.Dict(keys=fields.String(validate=validate.OneOf(PRIORITIES)),
                            values=fields.Integer(strict=True, validate=validate.Range(1, 24 * 90)),
                            metadata={"description": "Hours to answer a follow-up, per priority."})


class OrganizationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    survey_cap_days = fields.Integer(allow_none=True)
    sla_hours = fields.Function(lambda org: {**DEFAULT_SLA_HOURS, **(org.sla_hours or {})})
    created_at = fields.DateTime()
