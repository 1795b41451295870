"""``/customers/<id>``: one customer's answers across every touchpoint, newest first."""

from __future__ import annotations

from flask import render_template

from ..services import customers
from .blueprint import bp


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    person = customers.get_customer(customer_id)
    return render_template("console/customer.html", customer=person, timeline=customers.timeline(person))
