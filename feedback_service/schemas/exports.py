from __future__ import annotations

from marshmallow import fields, validate

from ..models import STATUSES
from ..services.lookup import MAX_ID
from .common import Schema
from .responses import _representable_in_utc


def _updated_after():
    return fields.AwareDateTime(load_default=None, default_timezone=None, validate=_representable_in_utc, metadata={
        "description": "ISO 8601 with offset: only rows changed after this instant."})


def _id():
    return fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))


class ResponseExportArgs(Schema):
    touchpoint_id = _id()
    customer_id = _id()
    updated_after = _updated_after()


class FollowUpExportArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    owner_id = _id()
    team_id = _id()
    touchpoint_id = _id()
    updated_after = _updated_after()
