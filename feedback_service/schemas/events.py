from __future__ import annotations

from marshmallow import fields, validate

from ..models import EVENT_TYPES
from ..pagination import encode_cursor
from .common import ListArgs, Schema


class EventListArgs(Schema):
    after = fields.String(load_default=None, validate=validate.Length(max=500), metadata={
        "description": "A `cursor` (or `next_cursor`) you received: events after it, oldest first."})
    type = fields.String(load_default=None, validate=validate.OneOf(EVENT_TYPES))
    limit = ListArgs._declared_fields["limit"]


class EventSchema(Schema):
    id = fields.Integer()
    cursor = fields.Function(lambda event: encode_cursor([event.id]), metadata={
        "description": "Store the last one you processed; pass it as `after` to resume."})
    type = fields.String()
    created_at = fields.DateTime()
    data = fields.Dict()
