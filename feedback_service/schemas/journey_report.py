"""``GET /api/v1/journeys/{id}/report``: where the journey hurts, over a period."""

from __future__ import annotations

from marshmallow import fields

from .common import Schema, instant_field


class ReportArgs(Schema):
    since = instant_field(data_key="from", load_default=None, metadata={
        "description": "ISO 8601 with offset; default 90 days before `to`."})
    until = instant_field(data_key="to", load_default=None, metadata={
        "description": "ISO 8601 with offset; default now."})


class SentimentCountsSchema(Schema):
    n = fields.Integer(metadata={"description": "Comments scored in the period."})
    positive = fields.Integer()
    neutral = fields.Integer()
    negative = fields.Integer()


class TouchpointFiguresSchema(Schema):
    touchpoint_id = fields.Integer()
    name = fields.String()
    position = fields.Integer()
    metric = fields.String()
    n = fields.Integer(metadata={"description": "Answers on the touchpoint's current metric in the period."})
    score = fields.Float(allow_none=True, metadata={"description": "The metric's headline: CSAT %, NPS or CES %."})
    mean = fields.Float(allow_none=True, metadata={"description": "The mean score on the metric's scale."})
    sentiment = fields.Nested(SentimentCountsSchema)
    ci_low = fields.Float(allow_none=True, metadata={"description": "The headline's 95 % interval (docs/metrics.md)."})
    ci_high = fields.Float(allow_none=True)
    provisional = fields.Boolean(metadata={
        "description": "Fewer answers than ANALYTICS_MIN_N (default 30): shown, marked, ranked by its interval."})
    friction_score = fields.Float(allow_none=True, metadata={
        "description": "0 at the metric's healthy line, 1 at its hurting line, higher hurts more; "
                       "comparable across metrics. Null without answers."})
    band = fields.String(metadata={"description": "healthy, at_risk, hurting or no_data."})


class JourneyReportSchema(Schema):
    journey_id = fields.Integer()
    since = fields.DateTime(data_key="from")
    until = fields.DateTime(data_key="to")
    touchpoints = fields.List(fields.Nested(TouchpointFiguresSchema), metadata={"description": "In journey order."})
    friction_ranking = fields.List(fields.Integer(), metadata={
        "description": "Touchpoint ids with answers, the one that hurts most first: ranked by the friction "
                       "of the headline's interval at its upper end, so few answers do not outrank many."})
