from __future__ import annotations

from marshmallow import fields, validate

from ..core.pagination import MAX_LIMIT
from ..customers.timeline import TIMELINE_PAGE_SIZE
from .common import ListArgs, Schema, id_field, instant_field


class SentimentSchema(Schema):
    status = fields.String(attribute="sentiment_status")
    reason = fields.String(attribute="sentiment_reason", allow_none=True)
    compound = fields.Float(attribute="sentiment_compound", allow_none=True)
    positive = fields.Float(attribute="sentiment_positive", allow_none=True)
    neutral = fields.Float(attribute="sentiment_neutral", allow_none=True)
    negative = fields.Float(attribute="sentiment_negative", allow_none=True)
    label = fields.String(attribute="sentiment_label", allow_none=True)


class ResponseSchema(Schema):
    id = fields.Integer()
    touchpoint_id = fields.Integer()
    survey_version = fields.Function(lambda r: r.survey_version.version)
    customer_id = fields.Integer(allow_none=True)
    metric = fields.String()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    context = fields.Dict()
    source = fields.String()
    sentiment = fields.Function(lambda r: SentimentSchema().dump(r))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ResponseListArgs(ListArgs):
    touchpoint_id = id_field()
    customer_id = id_field()
    updated_after = instant_field(metadata={
        "description": "ISO 8601 with offset; changes after this instant, oldest first, once "
                       "SYNC_SETTLE_SECONDS old (5 s), so none is skipped. Page with the cursor this "
                       "ordering gives."})


class CustomerListArgs(ListArgs):
    external_id = fields.String(validate=validate.Length(1, 200))
    email = fields.String(validate=validate.Length(1, 320))


class TimelineArgs(ListArgs):
    limit = fields.Integer(load_default=None, validate=validate.Range(1, MAX_LIMIT), metadata={
        "description": f"Answers on the page, at most {MAX_LIMIT} (default {TIMELINE_PAGE_SIZE}); "
                       "each comes with its follow-ups."})


class TimelineEntrySchema(Schema):
    type = fields.String(metadata={"description": "response or follow_up"})
    at = fields.DateTime()
    response_id = fields.Integer()
    follow_up_id = fields.Integer()
    status = fields.String()
    priority = fields.String()
    owner = fields.String(allow_none=True)
    touchpoint_id = fields.Integer()
    touchpoint_name = fields.String()
    journey_id = fields.Integer()
    journey_name = fields.String()
    channel = fields.String()
    source = fields.String()
    metric = fields.String()
    question = fields.String()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    sentiment_label = fields.String(allow_none=True)


class CustomerSchema(Schema):
    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    first_seen_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class CustomerDetailSchema(CustomerSchema):
    timeline = fields.List(fields.Nested(TimelineEntrySchema), metadata={
        "description": "One page: the newest `limit` answers not on earlier pages and their follow-ups, "
                       "sorted by `at`. A follow-up comes on the page of its answer."})
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "`cursor` for the page of older entries; null on the last page."})
