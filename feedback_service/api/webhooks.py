from __future__ import annotations

from flask.views import MethodView

from ..core.database import commit
from ..schemas.common import ListArgs, page_body, page_of
from ..schemas.webhooks import (
    DeliveryListArgs,
    DeliverySchema,
    RedeliveredSchema,
    RedeliverFailedSchema,
    SecretSchema,
    WebhookEndpointCreatedSchema,
    WebhookEndpointInSchema,
    WebhookEndpointPatchSchema,
    WebhookEndpointSchema,
)
from ..webhooks import endpoints as webhooks
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("webhooks", __name__,
                           description="Signed webhooks (Standard Webhooks): endpoints, deliveries, redelivery.")


@blp.route("/webhook-endpoints")
class WebhookEndpoints(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_of(WebhookEndpointSchema))
    def get(self, args):
        return page_body(webhooks.list_endpoints(**args))

    @require_role("admin")
    @blp.arguments(WebhookEndpointInSchema)
    @blp.response(201, WebhookEndpointCreatedSchema)
    def post(self, data):
        """A new endpoint. Its `secret` is in this answer only: store it to verify signatures."""
        endpoint, _secret = webhooks.create_endpoint(**data)
        commit()
        return endpoint  # the one answer that includes the secret


@blp.route("/webhook-endpoints/<int:endpoint_id>")
class WebhookEndpointById(MethodView):
    @blp.response(200, WebhookEndpointSchema)
    def get(self, endpoint_id):
        return webhooks.get_endpoint(endpoint_id)

    @require_role("admin")
    @blp.arguments(WebhookEndpointPatchSchema)
    @blp.response(200, WebhookEndpointSchema)
    def patch(self, changes, endpoint_id):
        """Change the endpoint. Enabling it again clears its failure state."""
        endpoint = webhooks.update_endpoint(endpoint_id, **changes)
        commit()
        return endpoint

    @require_role("admin")
    @blp.response(204)
    def delete(self, endpoint_id):
        """Delete the endpoint and its delivery log."""
        webhooks.delete_endpoint(endpoint_id)
        commit()


@blp.route("/webhook-endpoints/<int:endpoint_id>/rotate-secret")
class RotateSecret(MethodView):
    @require_role("admin")
    @blp.response(200, SecretSchema)
    def post(self, endpoint_id):
        """A new secret, shown once. For 24 hours deliveries carry signatures by both secrets."""
        endpoint, secret = webhooks.rotate_secret(endpoint_id)
        commit()
        return {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@blp.route("/webhook-endpoints/<int:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, page_of(DeliverySchema))
    def get(self, args, endpoint_id):
        """The delivery log, newest first: every attempt's status, response code, body excerpt, duration."""
        return page_body(webhooks.list_deliveries(endpoint_id, **args))


@blp.route("/webhook-endpoints/<int:endpoint_id>/redeliver-failed")
class RedeliverFailed(MethodView):
    @require_role("admin")
    @blp.arguments(RedeliverFailedSchema)
    @blp.response(202, RedeliveredSchema)
    def post(self, data, endpoint_id):
        """Send again every failed delivery created since `since` (after an outage, say)."""
        count = webhooks.redeliver_failed(endpoint_id, data["since"])
        commit()
        return {"redelivered": count}


@blp.route("/webhook-deliveries/<int:delivery_id>")
class DeliveryById(MethodView):
    @blp.response(200, DeliverySchema)
    def get(self, delivery_id):
        return webhooks.get_delivery(delivery_id)


@blp.route("/webhook-deliveries/<int:delivery_id>/redeliver")
class Redeliver(MethodView):
    @require_role("admin")
    @blp.response(202, DeliverySchema)
    def post(self, delivery_id):
        """Send this delivery again now, with the same `webhook-id`."""
        delivery = webhooks.redeliver(delivery_id)
        commit()
        return webhooks.get_delivery(delivery.id)
