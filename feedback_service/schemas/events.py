from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..events.log import cursor_of
from ..models import EVENT_TYPES
from .common import ListArgs, Schema


class EventListArgs(ListArgs):
    after = fields.String(load_default=None, validate=validate.Length(max=500), metadata={
        "description": "A `cursor` (or `next_cursor`) you received: events after it, oldest first. "
                       "`cursor=` means the same, as on every list."})
    type = fields.String(load_default=None, validate=validate.OneOf(EVENT_TYPES), metadata={
        "description": "One event type; empty or absent means every type."})

    @ma.pre_load
    def _empty_type_is_every_type(self, data, **kwargs):
        # `?type=` as a URL template leaves it: the same as no filter, as `after=` is no position.
        if data.get("type") == "":
            return {key: data[key] for key in data if key != "type"}
        return data

    @ma.post_load
    def _one_position(self, data, **kwargs):
        # `after` is this route's own name; `cursor` is every list's. Either resumes.
        after, cursor = data.pop("after"), data.pop("cursor")
        if after and cursor and after != cursor:
            raise ma.ValidationError("Send `after` or `cursor`, not two different positions.", "cursor")
        data["after"] = after or cursor
        return data


class EventSchema(Schema):
    id = fields.Integer()
    cursor = fields.Function(cursor_of, metadata={
        "description": "Store the last one you processed; pass it as `after` (or `cursor`) to resume."})
    type = fields.String()
    created_at = fields.DateTime()
    data = fields.Dict()
