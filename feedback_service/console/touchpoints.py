"""``/touchpoints/<id>``: settings, embed code, preview, QR code, email links, answers."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.database import commit
from ..extensions import db
from ..models import Response, Touchpoint
from ..analytics import journey_map
from ..collection import tokens as links
from ..journeys import touchpoints
from ..core.lookup import get_or_404
from . import formatting
from .blueprint import bp, require_role
from .forms import EmailLinksForm, FollowUpPolicyForm, check_csrf

RECENT_RESPONSES = 25


def recent_responses(touchpoint_id: int, limit: int = RECENT_RESPONSES) -> list[Response]:
    return list(db.session.scalars(
        select(Response)
        .where(Response.touchpoint_id == touchpoint_id)
        .options(selectinload(Response.customer))
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(limit)
    ))


def _page(touchpoint: Touchpoint, form: EmailLinksForm, generated: dict | None = None, status: int = 200,
          policy_form: FollowUpPolicyForm | None = None):
    base = current_app.config["PUBLIC_BASE_URL"]
    policy_form = policy_form or FollowUpPolicyForm(formdata=None, follow_up_policy=touchpoint.follow_up_policy)
    return render_template(
        "console/touchpoint.html",
        touchpoint=touchpoint,
        survey=touchpoint.survey,
        station=journey_map.touchpoint_station(touchpoint),
        window_days=journey_map.WINDOW.days,
        embed_snippet=touchpoints.embed_snippet(touchpoint),
        hosted_url=touchpoints.hosted_url(touchpoint),
        api_call=(f"curl -X POST {base}/api/v1/touchpoints/{touchpoint.id}/email-links \\\n"
                  "  -H 'Authorization: Bearer sk_…' \\\n"
                  "  -H 'Content-Type: application/json' \\\n"
                  "  -d '{\"customer_email\": \"ada@example.com\"}'"),
        cli_call=f"flask --app wsgi email-links {touchpoint.id} --customer-email ada@example.com",
        form=form,
        policy_form=policy_form,
        generated=generated,
        responses=recent_responses(touchpoint.id),
    ), status


@bp.get("/touchpoints/<int:touchpoint_id>")
def touchpoint(touchpoint_id: int):
    return _page(get_or_404(Touchpoint, touchpoint_id, what="touchpoint"), EmailLinksForm(formdata=None))


@bp.post("/touchpoints/<int:touchpoint_id>/email-links")
@require_role("agent")
def email_links(touchpoint_id: int):
    """Signed one-click links for one customer, shown on the page (nothing is stored)."""
    touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
    form = EmailLinksForm()
    if not check_csrf(form):
        return _page(touchpoint, form, status=422)
    generated = links.email_links(touchpoint, customer_id=(form.customer_id.data or "").strip() or None,
                                  customer_email=(form.customer_email.data or "").strip().lower() or None)
    generated["for"] = form.customer_email.data or form.customer_id.data
    return _page(touchpoint, form, generated)


@bp.post("/touchpoints/<int:touchpoint_id>/follow-up-policy")
@require_role("admin")
def follow_up_policy(touchpoint_id: int):
    """Which answers open a follow-up here; answers already in keep theirs."""
    touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
    form = FollowUpPolicyForm()
    if not check_csrf(form):
        return _page(touchpoint, EmailLinksForm(formdata=None), status=422, policy_form=form)
    touchpoints.update_touchpoint(touchpoint.id, {"follow_up_policy": form.follow_up_policy.data})
    commit()
    flash(f"Follow-ups at {touchpoint.name}: {formatting.follow_up_policy(touchpoint.follow_up_policy).lower()}.",
          "success")
    return redirect(url_for("console.touchpoint", touchpoint_id=touchpoint.id) + "#settings-title")
