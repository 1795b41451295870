"""``/audits``: walks of a journey, one audit's walk touchpoint by touchpoint, and the comparison.

Agents start an audit and walk it here (the same step form as the shopper's link page,
``templates/audits/_step.html``); admins make a shopper's link. The rules are the service's
(``audits.walks``), so a step refused here is refused with the same words as in the API.
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..audits import comparison, links, walks
from ..core.database import commit
from ..core.errors import Conflict, Invalid, ServiceError
from ..models import utcnow
from .blueprint import bp, require_role
from .forms import check_csrf


class AuditStartForm(FlaskForm):
    journey_id = SelectField("Journey", coerce=int, validate_choice=False, validators=[InputRequired()])
    scenario = TextAreaField("Scenario", validators=[Length(max=walks.SCENARIO_MAX)], render_kw={
        "rows": 2, "placeholder": "Buy shoes with the holiday code, then ask about shipping"})
    shopper_name = StringField("Outside shopper", validators=[Optional(), Length(max=200)],
                               render_kw={"placeholder": "Leave empty to walk it yourself"})


class AuditActionForm(FlaskForm):
    """Only the CSRF token: the audit and the step are in the URL."""


class AuditLinkForm(FlaskForm):
    days = IntegerField("Link valid for (days)", default=14,
                        validators=[InputRequired(), NumberRange(1, links.LINK_MAX_DAYS, message="From 1 to 90 days.")])


def _list_page(form: AuditStartForm | None = None, status: int = 200):
    journeys = walks.journeys()
    if form is None:
        form = AuditStartForm(formdata=None)
    form.journey_id.choices = [(j.id, j.name) for j in journeys]
    audits = walks.recent_audits()
    return render_template("console/audits.html", audits=audits, form=form, journeys=journeys,
                           counts=walks.finding_counts([a.id for a in audits])), status


@bp.get("/audits")
def audits_page():
    return _list_page()


@bp.post("/audits")
@require_role("agent")
def start_audit():
    form = AuditStartForm()
    form.journey_id.choices = [(j.id, j.name) for j in walks.journeys()]
    if not check_csrf(form):
        return _list_page(form, status=422)
    shopper = (form.shopper_name.data or "").strip() or None
    try:
        audit = walks.create_audit(journey_id=form.journey_id.data, scenario=(form.scenario.data or "").strip(),
                                   shopper_name=shopper, auditor_id=None if shopper else current_user.id)
    except Invalid as refusal:
        for field, messages in (refusal.errors or {}).items():
            target = form[field] if field in form else form.journey_id
            target.errors = [*target.errors, *messages]
        return _list_page(form, status=422)
    commit()
    flash(f"Audit of {audit.journey.name} started.", "success")
    return redirect(url_for("console.audit_page", audit_id=audit.id))


def _audit_page(audit_id: int, status: int = 200, **context):
    audit = walks.get_audit(audit_id)
    return render_template("console/audit.html", audit=audit, steps=walks.steps(audit),
                           action_form=AuditActionForm(formdata=None),
                           link_form=context.pop("link_form", None) or AuditLinkForm(formdata=None), **context), status


@bp.get("/audits/<int:audit_id>")
def audit_page(audit_id: int):
    return _audit_page(audit_id, saved=request.args.get("saved", type=int))


@bp.post("/audits/<int:audit_id>/steps/<int:touchpoint_id>")
@require_role("agent")
def save_audit_step(audit_id: int, touchpoint_id: int):
    check_csrf(AuditActionForm())
    try:
        walks.save_step(audit_id, touchpoint_id, **walks.read_step_form(request.form))
    except Conflict as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("console.audit_page", audit_id=audit_id))
    except Invalid as refusal:
        if "touchpoint_id" in (refusal.errors or {}):
            flash(refusal.message, "error")
            return redirect(url_for("console.audit_page", audit_id=audit_id))
        return _audit_page(audit_id, status=422, errors={touchpoint_id: refusal.errors},
                           values={touchpoint_id: request.form})
    commit()
    return redirect(url_for("console.audit_page", audit_id=audit_id, saved=touchpoint_id) + f"#step-{touchpoint_id}")


@bp.post("/audits/<int:audit_id>/submit")
@require_role("agent")
def submit_audit_walk(audit_id: int):
    check_csrf(AuditActionForm())
    try:
        audit = walks.submit_audit(audit_id)
    except Conflict as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("console.audit_page", audit_id=audit_id))
    commit()
    flash("Audit submitted: its findings are final and it appears in the journey's comparison.", "success")
    return redirect(url_for("console.audit_comparison", journey_id=audit.journey_id))


@bp.post("/audits/<int:audit_id>/link")
@require_role("admin")
def create_audit_link(audit_id: int):
    form = AuditLinkForm()
    if not check_csrf(form):
        return _audit_page(audit_id, status=422, link_form=form)
    try:
        link = links.create_link(audit_id, utcnow() + timedelta(days=form.days.data))
    except ServiceError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("console.audit_page", audit_id=audit_id))
    # Shown once, on this page: the link is the shopper's key to the audit.
    return _audit_page(audit_id, link=link)


@bp.get("/audits/compare/<int:journey_id>")
def audit_comparison(journey_id: int):
    return render_template("console/audit_comparison.html", comparison=comparison.compare(journey_id))
