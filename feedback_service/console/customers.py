"""``/customers/<id>``: one customer's answers across every touchpoint, newest first,
a page at a time (``?cursor=`` from the page's "Older entries" link)."""

from __future__ import annotations

from flask import abort, render_template, request
from werkzeug.exceptions import UnprocessableEntity

from ..customers import timeline as customers
from .blueprint import bp


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    person = customers.get_customer(customer_id)
    cursor = request.args.get("cursor") or None
    try:
        page = customers.timeline(person, cursor=cursor)
    except UnprocessableEntity:
        # The API's 422 names the field for a program; staff followed a link, so say what to do.
        abort(422, description="This link to older entries is not one this customer's page gave. "
                               "Open the customer again to start from the newest entries.")
    return render_template("console/customer.html", customer=person, timeline=page.items,
                           next_cursor=page.next_cursor, is_older_page=cursor is not None,
                           span=customers.answer_span(person))
