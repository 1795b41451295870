from __future__ import annotations

from marshmallow import fields, validate

from ..models import ASSIGNMENT_STRATEGIES, ROLES
from .common import Schema, name_field

Id = fields.Integer
DIGEST_HELP = ("The daily email of their open, overdue and due-today follow-ups (at DIGEST_HOUR, "
               "only when they own something open); false opts them out.")


class TeamInSchema(Schema):
    name = name_field(required=True)
    assignment = fields.String(load_default="round_robin", validate=validate.OneOf(ASSIGNMENT_STRATEGIES))
    member_ids = fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=500))
    lead_id = Id(strict=True, allow_none=True, load_default=None)


class TeamPatchSchema(Schema):
    name = name_field()
    assignment = fields.String(validate=validate.OneOf(ASSIGNMENT_STRATEGIES))
    member_ids = fields.List(Id(strict=True), validate=validate.Length(max=500))
    lead_id = Id(strict=True, allow_none=True)


class TeamSchema(Schema):
    id = Id()
    name = fields.String()
    assignment = fields.String()
    member_ids = fields.Function(lambda team: [m.id for m in team.members])
    lead_id = Id(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class UserInSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(load_default="agent", validate=validate.OneOf(ROLES))
    team_ids = fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=100))
    password = fields.String(load_default=None, load_only=True, validate=validate.Length(10, 200),
                             metadata={"description": "Optional; lets them sign in to the console."})
    is_active = fields.Boolean(load_default=True)
    digest_enabled = fields.Boolean(load_default=True, metadata={"description": DIGEST_HELP})


class UserPatchSchema(Schema):
    email = fields.Email(validate=validate.Length(max=320))
    name = fields.String(validate=validate.Length(max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    team_ids = fields.List(Id(strict=True), validate=validate.Length(max=100))
    password = fields.String(load_only=True, validate=validate.Length(10, 200))
    is_active = fields.Boolean()
    digest_enabled = fields.Boolean(metadata={"description": DIGEST_HELP})


class UserSchema(Schema):
    id = Id()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    is_active = fields.Boolean()
    team_ids = fields.Function(lambda user: [t.id for t in user.teams])
    digest_enabled = fields.Boolean(metadata={"description": DIGEST_HELP})
    last_digest_at = fields.DateTime(allow_none=True,
                                     metadata={"description": "When their last daily digest was queued."})
    created_at = fields.DateTime()


class ApiKeyInSchema(Schema):
    name = name_field(required=True)
    role = fields.String(load_default="admin", validate=validate.OneOf(ROLES))


class ApiKeySchema(Schema):
    id = Id()
    name = fields.String()
    role = fields.String()
    prefix = fields.String(metadata={"description": "The key's first characters, to recognise it."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewApiKeySchema(ApiKeySchema):
    key = fields.String(metadata={"description": "The secret key. Shown only in this response."})
