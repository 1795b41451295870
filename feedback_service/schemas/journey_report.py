"""``GET /api/v1/journeys/{id}/report``: where the journey hurts, over a period."""

from __future__ import annotations

from marshmallow import fields

from .common import Schema, period_field


class ReportArgs(Schema):
    since = period_field(data_key="from", load_default=None, metadata={
        "description": "ISO 8601 with offset; default 90 days before `to`."})
    until = period_field(data_key="to", load_default=None, metadata={
        "description": "ISO 8601 with offset; default now."})


def _shares(counts: dict) -> dict:
    n = counts.get("n") or 0
    return {label: round(100 * counts.get(label, 0) / n, 1) if n else None
            for label in ("positive", "neutral", "negative")}


class SentimentCountsSchema(Schema):
    n = fields.Integer(metadata={"description": "Comments scored in the period."})
    positive = fields.Integer()
    neutral = fields.Integer()
    negative = fields.Integer()
    shares = fields.Function(_shares, metadata={
        "description": "Each label's % of the scored comments (null without any)."})


class ConsistencySchema(Schema):
    spread = fields.Float(allow_none=True, metadata={
        "description": "Highest minus lowest weekly headline of the periods with enough answers."})
    inconsistent = fields.Boolean(metadata={
        "description": "The headline swings across weeks or channels more than its sampling explains "
                       "(chi-square test of homogeneity, p < ANALYTICS_CONSISTENCY_P; docs/metrics.md)."})
    periods = fields.Integer(metadata={"description": "Seven-day periods with enough answers to take part."})
    p_periods = fields.Float(allow_none=True, metadata={"description": "The test's p-value across the periods."})
    p_channels = fields.Float(allow_none=True, metadata={"description": "The test's p-value across channels."})


class TopThemeSchema(Schema):
    label = fields.String()
    n = fields.Integer()
    share = fields.Float(metadata={"description": "Of the comments in the period, 0 to 1."})


class StationTransitionSchema(Schema):
    from_touchpoint_id = fields.Integer()
    to_touchpoint_id = fields.Integer()
    customers = fields.Integer(metadata={
        "description": "Customers who answered here and then at the next station within ANALYTICS_TRANSITION_DAYS."})
    mean_change = fields.Float(allow_none=True, metadata={
        "description": "Mean change of their score on a 0–1 scale shared by every metric (negative: worse)."})
    share_worse = fields.Float(allow_none=True, metadata={"description": "% of them whose score fell."})
    share_contacted_support = fields.Float(allow_none=True, metadata={
        "description": "% of them who answered at a phone or chat touchpoint (not this pair) within the days after."})
    customers_lost = fields.Integer(metadata={"description": "How many got worse."})


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
    consistency = fields.Nested(ConsistencySchema)
    themes = fields.List(fields.Nested(TopThemeSchema), metadata={
        "description": "Its three largest themes in the period (GET /touchpoints/{id}/themes has them all)."})


class JourneyReportSchema(Schema):
    journey_id = fields.Integer()
    since = fields.DateTime(data_key="from")
    until = fields.DateTime(data_key="to")
    touchpoints = fields.List(fields.Nested(TouchpointFiguresSchema), metadata={"description": "In journey order."})
    friction_ranking = fields.List(fields.Integer(), metadata={
        "description": "Touchpoint ids with answers, the one that hurts most first: ranked by the friction "
                       "of the headline's interval at its upper end, so few answers do not outrank many."})
    transitions = fields.List(fields.Nested(StationTransitionSchema), metadata={
        "description": "Each pair of consecutive stations, in journey order. Counted from the customers' "
                       "steps the worker's sweep keeps: the newest answers join at its next pass."})
    losing_transition = fields.Nested(StationTransitionSchema, allow_none=True, metadata={
        "description": "The transition where most customers got worse; null when none did."})
