from __future__ import annotations

from marshmallow import fields, validate

from ..models import STATUSES
from .common import Schema, id_field, instant_field


def _updated_after():
    return instant_field(load_default=None, metadata={
        "description": "ISO 8601 with offset: only rows changed after this instant."})


def _id():
    return id_field(load_default=None)


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
