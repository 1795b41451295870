from __future__ import annotations

from marshmallow import fields, validate

from ..models import BACKLOG_SOURCE_KINDS, BACKLOG_STATUSES
from ..models.base import MAX_ID
from .common import Schema, id_field

PRIORITY = ("impact × ease, 1–9. The list is ordered: items still to do before done and dropped ones; among "
            "each, items with a `manual_rank` first (1 first), then the "
            "rest by priority, ties by more sources, then the older item. So really bad and quick (3 × 3 = 9) "
            "comes first. See docs/backlog.md.")
IMPACT = ("1–3. From the strongest severity of its sources (really_bad 3, bad 2, inconvenient 1; 2 when none "
          "says) unless set by staff; null in a PATCH: back to the sources'.")
EASE = ("1–3. From the easiest effort of its sources (quick 3, days 2, project 1; 2 when none says) unless set "
        "by staff; null in a PATCH: back to the sources'.")


def _score(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, 3), **kwargs)


class SourceInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(BACKLOG_SOURCE_KINDS), metadata={
        "description": "finding (an audit finding), friction (a touchpoint the journey report ranks), alert, "
                       "theme, root_cause (a RootCause's id)."})
    id = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))


class BacklogItemInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    touchpoint_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))
    team_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, MAX_ID),
                             metadata={"description": "Default: the touchpoint's team."})
    impact = _score(load_default=None, allow_none=True, metadata={"description": IMPACT})
    ease = _score(load_default=None, allow_none=True, metadata={"description": EASE})
    sources = fields.List(fields.Nested(SourceInSchema), load_default=list, validate=validate.Length(max=100))


class BacklogItemPatchSchema(Schema):
    title = fields.String(validate=validate.Length(1, 200))
    status = fields.String(validate=validate.OneOf(BACKLOG_STATUSES))
    impact = _score(allow_none=True, metadata={"description": IMPACT})
    ease = _score(allow_none=True, metadata={"description": EASE})
    team_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, MAX_ID),
                             metadata={"description": "Reassign the item to a team (null: nobody)."})
    manual_rank = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 10_000), metadata={
        "description": "Ahead of the formula's order, 1 first; needs `rank_reason`. null: back to the formula."})
    rank_reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


class BacklogListArgs(Schema):
    status = fields.String(validate=validate.OneOf(BACKLOG_STATUSES))
    team_id = id_field()
    touchpoint_id = id_field()


class SourceSchema(Schema):
    kind = fields.String()
    id = fields.Integer(attribute="ref_id")
    label = fields.String()
    severity = fields.String(allow_none=True)
    effort = fields.String(allow_none=True)
    count = fields.Integer(allow_none=True, metadata={"description": "root_cause: times resolved when counted."})


class BacklogCommentSchema(Schema):
    id = fields.Integer()
    body = fields.String()
    author_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class BacklogCommentInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 5000))


class BacklogItemSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    touchpoint_id = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(BACKLOG_STATUSES)})
    impact = fields.Integer(metadata={"description": IMPACT})
    ease = fields.Integer(metadata={"description": EASE})
    priority = fields.Integer(metadata={"description": PRIORITY})
    manual_rank = fields.Integer(allow_none=True)
    rank_reason = fields.String(allow_none=True)
    sources = fields.List(fields.Nested(SourceSchema))
    done_at = fields.DateTime(allow_none=True)
    check = fields.Raw(allow_none=True, metadata={
        "description": "Done items: `before` and `after` the fix, each the touchpoint's headline (30 days before "
                       "`done_at`, and since) and its worst finding in the last audit before / first after."})
    comments = fields.List(fields.Nested(BacklogCommentSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
