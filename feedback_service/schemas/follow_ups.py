from __future__ import annotations

from marshmallow import fields, validate

from ..loop.workflow import MOVES
from ..models import STATUSES
from .common import ListArgs, Schema, id_field, instant_field, name_field
from .responses import TimelineEntrySchema


class FollowUpListArgs(ListArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))
    owner_id = id_field()
    team_id = id_field()
    touchpoint_id = id_field()
    overdue = fields.Boolean()
    unassigned = fields.Boolean()
    updated_after = instant_field(metadata={
        "description": "ISO 8601 with offset; changes after this instant, oldest first, once "
                       "SYNC_SETTLE_SECONDS old (5 s), so none is skipped. Page with the cursor this "
                       "ordering gives."})


class AssignSchema(Schema):
    owner_id = fields.Integer(required=True, strict=True)


class TransitionSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    root_cause = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class NoteSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 5000))


class ReplySchema(Schema):
    message = fields.String(required=True, validate=validate.Length(1, 10000))


class ActivitySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    actor = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    body = fields.String(allow_none=True)
    created_at = fields.DateTime()


class FollowUpSchema(Schema):
    id = fields.Integer()
    response_id = fields.Integer()
    touchpoint_id = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    status = fields.String()
    allowed_moves = fields.Function(lambda f: list(MOVES[f.status]))
    priority = fields.String()
    due_at = fields.DateTime()
    root_cause = fields.String(allow_none=True)
    first_action_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    sla_breached_at = fields.DateTime(allow_none=True)
    score = fields.Function(lambda f: f.response.score)
    comment = fields.Function(lambda f: f.response.comment)
    customer_id = fields.Function(lambda f: f.response.customer_id)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    activity = fields.List(fields.Nested(ActivitySchema), metadata={"description": "Its log, oldest first."})


class EmailSchema(Schema):
    """An email this follow-up sent, or is still trying to: a reply, a notice to staff."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "reply, assignment, escalation, …"})
    to = fields.String(attribute="to_address")
    subject = fields.String()
    status = fields.String(metadata={"description": "queued, sent, failed (retries used up), or outbox "
                                                    "(no SMTP_URL: kept, not sent)"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class CustomerTimelineSchema(Schema):
    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    next_cursor = fields.String(allow_none=True)


class FollowUpDetailSchema(FollowUpSchema):
    emails = fields.List(fields.Nested(EmailSchema),
                         metadata={"description": "Its replies and notices, with their delivery."})
    customer = fields.Nested(CustomerTimelineSchema, allow_none=True, metadata={
        "description": "The customer with the first page of their timeline (as GET /api/v1/customers/{id} "
                       "gives it), so nobody asks them to repeat their story; its `next_cursor` pages on "
                       "there."})


class MetricsArgs(Schema):
    group_by = fields.String(load_default=None, validate=validate.OneOf(("team", "owner")))
    since = instant_field(load_default=None, metadata={"description": "Only follow-ups opened at or after this."})


class RootCauseInSchema(Schema):
    name = name_field(required=True)
