from __future__ import annotations

from flask.views import MethodView

from ..collection import responses
from ..customers import timeline as customers
from ..schemas.common import page_body, page_of
from ..schemas.responses import (
    CustomerDetailSchema,
    CustomerListArgs,
    CustomerSchema,
    ResponseListArgs,
    ResponseSchema,
    TimelineArgs,
)
from .management import management_blueprint

blp = management_blueprint("responses", __name__, description="Every answer, and the customers who gave them.")


@blp.route("/responses")
class Responses(MethodView):
    @blp.arguments(ResponseListArgs, location="query")
    @blp.response(200, page_of(ResponseSchema))
    def get(self, args):
        """Newest first. With `updated_after`, oldest change first, for incremental sync."""
        return page_body(responses.list_responses(**args))


@blp.route("/responses/<int:response_id>")
class ResponseById(MethodView):
    @blp.response(200, ResponseSchema)
    def get(self, response_id):
        return responses.get_response(response_id)


@blp.route("/customers")
class Customers(MethodView):
    @blp.arguments(CustomerListArgs, location="query")
    @blp.response(200, page_of(CustomerSchema))
    def get(self, args):
        return page_body(customers.list_customers(**args))


@blp.route("/customers/<int:customer_id>")
class CustomerById(MethodView):
    @blp.arguments(TimelineArgs, location="query")
    @blp.response(200, CustomerDetailSchema)
    def get(self, args, customer_id):
        """One customer and everything they told us, newest first, a page at a time.

        A page is `limit` answers (default 200) with their follow-ups; send `next_cursor`
        back as `cursor` for older ones, until it is null."""
        customer = customers.get_customer(customer_id)
        page = customers.timeline(customer, **args)
        fields = ("id", "external_id", "email", "first_seen_at", "last_seen_at")
        return {**{field: getattr(customer, field) for field in fields},
                "timeline": page.items, "next_cursor": page.next_cursor}
