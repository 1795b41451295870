"""``/demo``: the shoe shop from the articles, with the widget at every step.

A newcomer who ran ``make run`` sees the whole loop within a minute: answer on
the shop's pages, then find the answer in the API and the console.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from ..collection.tokens import email_links
from ..core.tenancy import tenant_scope
from ..demo.seed import find_demo
from ..extensions import db
from ..models import Touchpoint

bp = Blueprint("demo", __name__, url_prefix="/demo")

# page slug -> (template, touchpoint name, title)
PAGES = {
    "": ("demo/advert.html", "Advertisement", "Holiday special"),
    "shop": ("demo/shop.html", "Browse the shop", "Shop"),
    "cart": ("demo/cart.html", "Cart & checkout", "Your cart"),
    "contact": ("demo/contact.html", "Contact support", "Contact us"),
    "delivery": ("demo/delivery.html", "Delivery", "Your order is on its way"),
    "returns": ("demo/returns.html", "Returns", "Returns"),
}


def _touchpoints() -> dict[str, Touchpoint] | None:
    organization = find_demo()
    if organization is None:
        return None
    with tenant_scope(organization.id):
        rows = db.session.scalars(select(Touchpoint).where(Touchpoint.archived_at.is_(None))).all()
    return {touchpoint.name: touchpoint for touchpoint in rows}


@bp.get("/", defaults={"page": ""})
@bp.get("/<page>")
def page(page: str):
    if page not in PAGES:
        abort(404)
    template, touchpoint_name, title = PAGES[page]
    touchpoints = _touchpoints()
    if touchpoints is None:
        return render_template("demo/missing.html"), 404
    touchpoint = touchpoints.get(touchpoint_name)
    links = None
    if page == "delivery" and touchpoint is not None:
        with tenant_scope(touchpoint.organization_id):
            links = email_links(touchpoint, customer_id="cust-0001", customer_email="customer1@mail.example")
    return render_template(template, title=title, touchpoint=touchpoint, pages=PAGES, current=page,
                           base_url=current_app.config["PUBLIC_BASE_URL"], email_links=links)
