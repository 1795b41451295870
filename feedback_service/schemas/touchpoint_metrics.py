"""``GET /api/v1/touchpoints/{id}/metrics``: one touchpoint's honest figures and their trend."""

from __future__ import annotations

from marshmallow import fields, validate

from ..analytics.intervals import NPS_ADJUSTED_WALD, WILSON
from ..analytics.touchpoint_metrics import INTERVALS
from ..models import SOURCES
from .common import Schema, period_field
from .journey_report import SentimentCountsSchema


class MetricsArgs(Schema):
    since = period_field(data_key="from", load_default=None, metadata={
        "description": "ISO 8601 with offset; default 90 days before `to`."})
    until = period_field(data_key="to", load_default=None, metadata={
        "description": "ISO 8601 with offset; default now."})
    interval = fields.String(load_default="week", validate=validate.OneOf(INTERVALS), metadata={
        "description": "The series' buckets: UTC days, ISO weeks (from Monday) or calendar months. "
                       "At most 400 buckets."})
    channel = fields.String(load_default=None, validate=validate.OneOf(SOURCES), metadata={
        "description": "Only answers from this channel (the response's `source`)."})


class IntervalSchema(Schema):
    low = fields.Float()
    high = fields.Float()
    level = fields.Float(metadata={"description": "0.95"})
    method = fields.String(metadata={
        "description": f"`{WILSON}`: the Wilson score interval of the top-box share (CSAT %, CES %). "
                       f"`{NPS_ADJUSTED_WALD}`: NPS's normal-approximation interval, variance "
                       "p + d − (p − d)² per answer, after adding one promoter, passive and detractor "
                       "(docs/metrics.md)."})


_PROVISIONAL = ("True when fewer answers than ANALYTICS_MIN_N (default 30): the figure is shown "
                "and marked, and ranked by its interval.")


class BucketSchema(Schema):
    start = fields.DateTime()
    n = fields.Integer(attribute="figures.n")
    score = fields.Float(attribute="figures.score", allow_none=True)
    mean = fields.Float(attribute="figures.mean", allow_none=True)
    ci_low = fields.Float(attribute="figures.ci_low", allow_none=True)
    ci_high = fields.Float(attribute="figures.ci_high", allow_none=True)
    provisional = fields.Boolean(attribute="figures.provisional", metadata={"description": _PROVISIONAL})


class NegativeCommentSchema(Schema):
    response_id = fields.Integer()
    comment = fields.String()
    compound = fields.Float(metadata={"description": "VADER compound, −1 (most negative) to 1."})
    created_at = fields.DateTime()
    follow_up_id = fields.Integer(allow_none=True)


class TouchpointMetricsSchema(Schema):
    touchpoint_id = fields.Integer()
    metric = fields.String()
    since = fields.DateTime(data_key="from")
    until = fields.DateTime(data_key="to")
    interval = fields.String()
    channel = fields.String(allow_none=True)
    min_n = fields.Integer(metadata={"description": "ANALYTICS_MIN_N: fewer answers make a figure provisional."})
    n = fields.Integer(attribute="figures.n", metadata={
        "description": "Answers on the touchpoint's current metric in the period (and channel)."})
    score = fields.Float(attribute="figures.score", allow_none=True, metadata={
        "description": "The headline: CSAT % (4–5), NPS (% 9–10 − % 0–6) or CES % (5–7). Null without answers."})
    mean = fields.Float(attribute="figures.mean", allow_none=True, metadata={"description": "Mean score."})
    ci = fields.Nested(IntervalSchema, attribute="figures.ci", allow_none=True, metadata={
        "description": "The headline's 95 % interval; null without answers."})
    provisional = fields.Boolean(attribute="figures.provisional", metadata={"description": _PROVISIONAL})
    sentiment = fields.Nested(SentimentCountsSchema)
    displays = fields.Integer(metadata={"description": "Times the survey was shown (counted by the widget)."})
    response_rate = fields.Float(allow_none=True, metadata={
        "description": "Answers per time shown, in %, over the channels that count showings; "
                       "null when none was counted."})
    negative_comments = fields.List(fields.Nested(NegativeCommentSchema), metadata={
        "description": "The most negative scored comments of the period, with their follow-ups."})
    series = fields.List(fields.Nested(BucketSchema), metadata={"description": "Every bucket, empty ones too."})
