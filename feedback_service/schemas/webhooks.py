from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from ..models import DELIVERY_STATUSES, EVENT_TYPES
from ..models.base import MAX_ID
from ..webhooks import ssrf
from ..webhooks.endpoints import MAX_URL_LENGTH
from ..webhooks.signing import webhook_id
from .common import ListArgs, Schema, instant_field


class WebhookURL(fields.String):
    """An http(s) URL, loaded in the form it is stored and sent (``ssrf.normalise``): whether its
    host may receive webhooks is the service's check (``webhooks.check_url``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return ssrf.normalise(super()._deserialize(value, attr, data, **kwargs))
        except ssrf.UnsafeURL as error:
            raise ValidationError(str(error)) from None


def url_field(**kwargs) -> fields.String:
    return WebhookURL(validate=validate.Length(max=MAX_URL_LENGTH), metadata={
        "description": "An http(s) URL whose host resolves only to public addresses. Stored with the host "
                       "in punycode and non-ASCII characters percent-encoded (UTF-8).",
        "format": "uri"}, **kwargs)


def events_field(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)),
                       validate=validate.Length(1, len(EVENT_TYPES)),
                       metadata={"description": "The event types this endpoint hears about."}, **kwargs)


def touchpoint_ids_field(**kwargs) -> fields.List:
    return fields.List(fields.Integer(strict=True, validate=validate.Range(1, MAX_ID)), allow_none=True,
                       validate=validate.Length(max=500),
                       metadata={"description": "Only events about these touchpoints; null or empty: all."}, **kwargs)


class WebhookEndpointInSchema(Schema):
    url = url_field(required=True)
    events = events_field(required=True)
    touchpoint_ids = touchpoint_ids_field(load_default=None)
    enabled = fields.Boolean(load_default=True)


class WebhookEndpointPatchSchema(Schema):
    url = url_field()
    events = events_field()
    touchpoint_ids = touchpoint_ids_field()
    enabled = fields.Boolean()


class WebhookEndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    touchpoint_ids = fields.List(fields.Integer(), allow_none=True)
    enabled = fields.Boolean()
    disabled_at = fields.DateTime(allow_none=True)
    disabled_reason = fields.String(allow_none=True, metadata={"description": "manual, gone (410) or failing"})
    failing_since = fields.DateTime(allow_none=True, metadata={
        "description": "The first failed attempt since the last success; null while healthy."})
    previous_secret_expires_at = fields.DateTime(allow_none=True, metadata={
        "description": "Until then, deliveries are signed with the previous secret too."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class WebhookEndpointCreatedSchema(WebhookEndpointSchema):
    secret = fields.String(metadata={"description": "`whsec_…`: shown only now. Verify signatures with it."})


class SecretSchema(Schema):
    secret = fields.String(metadata={"description": "The new `whsec_…` secret: shown only now."})
    previous_secret_expires_at = fields.DateTime()


class DeliveryListArgs(ListArgs):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class RedeliverFailedSchema(Schema):
    since = instant_field(required=True, metadata={
        "description": "ISO 8601 with offset: failed deliveries created at or after it are sent again."})


class RedeliveredSchema(Schema):
    redelivered = fields.Integer()


class AttemptSchema(Schema):
    attempt = fields.Integer()
    status = fields.String()
    response_status_code = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True, metadata={"description": "The first kilobyte of the answer."})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    created_at = fields.DateTime()


class DeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event_id = fields.Integer()
    event_type = fields.Function(lambda d: d.event.type)
    webhook_id = fields.Function(lambda d: webhook_id(d.event_id), metadata={
        "description": "The `webhook-id` header every attempt carries."})
    status = fields.String(metadata={"description": "pending, succeeded or failed"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    succeeded_at = fields.DateTime(allow_none=True)
    log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Every attempt, oldest first."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
