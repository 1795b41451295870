"""What a customer's browser (or an email client, or a phone app) may send us."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from ..collection.comments import COMMENT_MAX
from .common import Schema
from .journeys import SurveyWordingSchema

CONTEXT_MAX_KEYS = 20
CONTEXT_VALUE_MAX = 200
# An order total or a count, not an arbitrary-precision number (JSON's, and so ours, has no limit).
CONTEXT_NUMBER_MAX = 10**15


class Comment(fields.String):
    """Whitespace around a comment is noise; an empty comment is no comment.
    The length limit applies to the trimmed text."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > COMMENT_MAX:
            raise ValidationError(f"At most {COMMENT_MAX} characters.")
        return text or None


class CustomerRefSchema(Schema):
    id = fields.String(validate=validate.Length(1, 200), allow_none=True,
                       metadata={"description": "Your own id for the customer."})
    email = fields.Email(validate=validate.Length(max=320), allow_none=True)


class Context(fields.Dict):
    """A flat object of at most 20 short scalar values: order id, page, plan…"""

    def _deserialize(self, value, attr, data, **kwargs):
        context = super()._deserialize(value, attr, data, **kwargs)
        if len(context) > CONTEXT_MAX_KEYS:
            raise ValidationError(f"At most {CONTEXT_MAX_KEYS} keys.")
        for key, item in context.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 64:
                raise ValidationError("Keys are strings of 1 to 64 characters.")
            if isinstance(item, str):
                if len(item) > CONTEXT_VALUE_MAX:
                    raise ValidationError(f"{key!r}: strings are at most {CONTEXT_VALUE_MAX} characters.")
            elif item is not None and not isinstance(item, (bool, int, float)):
                raise ValidationError(f"{key!r}: values must be strings, numbers, booleans or null.")
            elif isinstance(item, (int, float)) and not isinstance(item, bool) and abs(item) > CONTEXT_NUMBER_MAX:
                raise ValidationError(f"{key!r}: numbers are at most {CONTEXT_NUMBER_MAX:.0e} either way; "
                                      "send a longer id as a string.")
        return context


class SurveyArgs(Schema):
    """Exactly what widget.js sends; anything else is refused by name (a typo'd
    ``customer_idd`` would otherwise skip the fatigue rules unnoticed)."""

    customer_id = fields.String(validate=validate.Length(1, 200))
    customer_email = fields.Email(validate=validate.Length(max=320))
    # Empty is allowed: the widget sends ``lang=`` when the browser reports no
    # language, and Accept-Language decides then.
    lang = fields.String(validate=validate.Regexp(r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)?$"))


class SubmitSchema(Schema):
    score = fields.Integer(required=True, strict=True)
    comment = Comment(load_default=None, allow_none=True)
    customer = fields.Nested(CustomerRefSchema, load_default=None, allow_none=True)
    context = Context(load_default=dict)
    # A honeypot: a field humans never see, so never fill.
    website = fields.String(load_default="", validate=validate.Length(max=500),
                            metadata={"description": "Leave empty (bot trap)."})


class CommentSchema(Schema):
    comment = Comment(required=True, allow_none=True)


class DisplaySchema(Schema):
    customer = fields.Nested(CustomerRefSchema, load_default=None, allow_none=True)
    context = Context(load_default=dict)


class SubmittedSchema(Schema):
    id = fields.Integer(allow_none=True)
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    edit_token = fields.String(allow_none=True,
                               metadata={"description": "Send as 'Authorization: Bearer …' to PATCH the comment."})
    edit_token_expires_at = fields.DateTime(allow_none=True)
    follow_up_prompt = fields.String()


class SurveyTextsOutSchema(Schema):
    send = fields.String()
    close = fields.String()
    thanks = fields.String()
    skip = fields.String()
    sent_score = fields.String(metadata={"description": "Said once the score was stored (a 2xx)."})
    queued_score = fields.String(metadata={"description": "Said while the score waits to be sent again "
                                                          "(offline, a 5xx, no answer yet)."})
    refused_score = fields.String(metadata={"description": "Said when the score was refused for good (a 4xx)."})
    opened = fields.String(metadata={"description": "Announced when the survey opened by itself and left "
                                                    "the page's focus where it was."})


class WidgetSurveyBodySchema(SurveyWordingSchema):
    texts = fields.Nested(SurveyTextsOutSchema)


class WidgetSurveySchema(Schema):
    touchpoint = fields.Dict()
    survey = fields.Nested(WidgetSurveyBodySchema)
    trigger = fields.Dict()
    fatigue_days = fields.Integer(metadata={"description": "How long an anonymous browser should not be asked again."})
    suppressed = fields.Boolean()
