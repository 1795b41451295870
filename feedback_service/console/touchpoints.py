"""``/touchpoints/<id>``: settings, embed code, preview, QR code, email links, answers."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from ..alerts.rules import touchpoint_alerts
from ..analytics import journey_map
from ..analytics.figures import band_for
from ..analytics.touchpoint_metrics import touchpoint_metrics
from ..collection import tokens as links
from ..collection.responses import recent_responses
from ..core.database import commit
from ..core.lookup import get_or_404
from ..core.urls import public_url
from ..journeys import embedding, touchpoints
from ..models import Touchpoint
from ..themes.store import touchpoint_themes
from . import formatting
from .blueprint import bp, require_role
from .forms import EmailLinksForm, FollowUpPolicyForm, check_csrf
from .trend_chart import trend_chart


def _page(touchpoint: Touchpoint, form: EmailLinksForm, generated: dict | None = None, status: int = 200,
          policy_form: FollowUpPolicyForm | None = None):
    policy_form = policy_form or FollowUpPolicyForm(formdata=None, follow_up_policy=touchpoint.follow_up_policy)
    metrics = touchpoint_metrics(touchpoint.id, interval="week")
    return render_template(
        "console/touchpoint.html",
        touchpoint=touchpoint,
        survey=touchpoint.survey,
        band=band_for(metrics.metric, metrics.figures.score),
        window_days=journey_map.WINDOW.days,
        metrics=metrics,
        chart=trend_chart(metrics),
        themes=touchpoint_themes(touchpoint.id),
        embed_snippet=embedding.embed_snippet(touchpoint),
        hosted_url=embedding.hosted_url(touchpoint),
        api_call=(f"curl -X POST {public_url(f'/api/v1/touchpoints/{touchpoint.id}/email-links')} \\\n"
                  "  -H 'Authorization: Bearer sk_…' \\\n"
                  "  -H 'Content-Type: application/json' \\\n"
                  "  -d '{\"customer_email\": \"ada@example.com\"}'"),
        cli_call=f"flask --app wsgi email-links {touchpoint.id} --customer-email ada@example.com",
        form=form,
        policy_form=policy_form,
        generated=generated,
        responses=recent_responses(touchpoint.id),
        alerts=touchpoint_alerts(touchpoint.id),
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
