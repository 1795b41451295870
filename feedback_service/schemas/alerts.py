from __future__ import annotations

from marshmallow import fields, validate

from ..alerts.rules import describe_rule
from ..alerts.terms import MAX_MIN_N, MAX_WINDOW_HOURS
from ..models import ALERT_END_REASONS, ALERT_KINDS
from ..models.base import MAX_ID
from .common import ListArgs, Schema, id_field

_KIND = ("below_threshold: the headline (CSAT %, CES %, NPS) surely below `threshold`; drop: down "
         "`threshold` points or more on the trailing average of the four windows before; negative_surge: "
         "`threshold` % or more of the scored comments negative. See docs/alerts.md.")
_THRESHOLD = ("below_threshold: a headline on the touchpoint's metric (CSAT/CES 0–100, NPS −100–100); "
              "drop: points (more than 0; at most 100, NPS 200); negative_surge: a share in percent (0–100].")


def _touchpoint_id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID),
                          metadata={"description": "One of this organisation's touchpoints."}, **kwargs)


def _kind(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(ALERT_KINDS), metadata={"description": _KIND}, **kwargs)


def _threshold(**kwargs) -> fields.Float:
    # The range per kind and metric is the service's check (it needs the touchpoint); this one
    # only keeps out what no rule could mean.
    return fields.Float(allow_nan=False, validate=validate.Range(-100, 200),
                        metadata={"description": _THRESHOLD}, **kwargs)


def _window_hours(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_WINDOW_HOURS),
                          metadata={"description": f"The moving window the figure is read over, 1–{MAX_WINDOW_HOURS} "
                                                   "hours, ending at each look."}, **kwargs)


def _min_n(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_MIN_N), metadata={
        "description": "Fewer answers (scored comments, for negative_surge) than this in the window (and, for "
                       "drop, in the trailing period): the rule neither fires nor recovers."}, **kwargs)


class AlertRuleInSchema(Schema):
    touchpoint_id = _touchpoint_id(required=True)
    kind = _kind(required=True)
    threshold = _threshold(required=True)
    window_hours = _window_hours(required=True)
    min_n = _min_n(load_default=30)
    enabled = fields.Boolean(load_default=True)


class AlertRulePatchSchema(Schema):
    touchpoint_id = _touchpoint_id()
    kind = _kind()
    threshold = _threshold()
    window_hours = _window_hours()
    min_n = _min_n()
    enabled = fields.Boolean()


class AlertRuleSchema(Schema):
    id = fields.Integer()
    touchpoint_id = fields.Integer()
    kind = fields.String()
    threshold = fields.Float()
    window_hours = fields.Integer()
    min_n = fields.Integer()
    enabled = fields.Boolean()
    state = fields.String(metadata={"description": "armed, in_breach (an alert is open) or disabled"})
    open_alert_id = fields.Function(lambda rule: rule.open_alert.id if rule.open_alert else None,
                                    metadata={"description": "The alert of the breach under way, if any."})
    description = fields.Function(describe_rule, metadata={"description": "The rule in words."})
    evaluated_at = fields.DateTime(allow_none=True, metadata={
        "description": "The last look; null: due at the next sweep."})
    last_value = fields.Float(allow_none=True, metadata={
        "description": "What the last look saw, on the threshold's scale (null: no answers to judge by)."})
    last_n = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AlertRuleListArgs(ListArgs):
    touchpoint_id = id_field()
    enabled = fields.Boolean()


class NotifiedSchema(Schema):
    team_id = fields.Integer(allow_none=True, metadata={"description": "null: the admins (no owning team)"})
    name = fields.String()
    relation = fields.String(metadata={"description": "owner, previous or next (the team's step in the journey)"})
    touchpoint_ids = fields.List(fields.Integer())
    recipients = fields.List(fields.String())


class AlertSchema(Schema):
    id = fields.Integer()
    rule_id = fields.Integer(allow_none=True, metadata={"description": "null once the rule is deleted"})
    touchpoint_id = fields.Integer()
    kind = fields.String()
    metric = fields.String()
    value = fields.Float(metadata={
        "description": "The figure that broke the rule, on the threshold's scale: the headline (below_threshold), "
                       "the points dropped (drop), the % of comments negative (negative_surge)."})
    threshold = fields.Float()
    window_hours = fields.Integer()
    n = fields.Integer(metadata={"description": "Answers (scored comments, for negative_surge) in the window."})
    ci_low = fields.Float(allow_none=True, metadata={"description": "95 % interval of the window's figure."})
    ci_high = fields.Float(allow_none=True)
    baseline = fields.Float(allow_none=True, metadata={"description": "drop: the trailing headline it fell from."})
    baseline_n = fields.Integer(allow_none=True)
    window_start = fields.DateTime()
    fired_at = fields.DateTime()
    recovered_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the breach ended; null while it is open."})
    recovered_value = fields.Float(allow_none=True)
    end_reason = fields.String(allow_none=True, metadata={"description": ", ".join(ALERT_END_REASONS)})
    notified = fields.List(fields.Nested(NotifiedSchema), metadata={"description": "The teams told."})


class AlertListArgs(ListArgs):
    touchpoint_id = id_field()
    rule_id = id_field()
    open = fields.Boolean(metadata={"description": "true: breaches under way; false: ended ones."})
