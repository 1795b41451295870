"""``/alerts``: the breaches under way, the ones that ended, and the rules that watch for them.

Admins add a rule, switch one off or on, or delete one here; the rules' checks are the
service's (``alerts.rules``), so a threshold the touchpoint's metric cannot reach is
refused the same way here as in the API, next to the field.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..alerts import rules as alerts
from ..core.database import commit
from ..core.errors import Invalid
from .blueprint import bp, require_role
from .forms import ALERT_KIND_LABELS, AlertRuleActionForm, AlertRuleForm, check_csrf


def _page(form: AlertRuleForm | None = None, status: int = 200):
    touchpoints = alerts.live_touchpoints()
    if form is None:
        form = AlertRuleForm(formdata=None)
        wanted = request.args.get("touchpoint", type=int)
        if wanted in {t.id for t in touchpoints}:
            form.touchpoint_id.data = wanted
    form.fill_choices(touchpoints)
    return render_template("console/alerts.html", overview=alerts.overview(request.args.get("page", 1, type=int)),
                           form=form, action_form=AlertRuleActionForm(formdata=None), describe=alerts.describe_rule,
                           kind_labels=ALERT_KIND_LABELS, has_touchpoints=bool(touchpoints)), status


@bp.get("/alerts")
def alerts_page():
    return _page()


@bp.post("/alerts/rules")
@require_role("admin")
def create_alert_rule():
    form = AlertRuleForm()
    if not check_csrf(form):
        return _page(form, status=422)
    try:
        rule = alerts.create_rule(touchpoint_id=form.touchpoint_id.data, kind=form.kind.data,
                                  threshold=form.threshold.data, window_hours=form.window_hours.data,
                                  min_n=form.min_n.data)
    except Invalid as refusal:
        for field, messages in (refusal.errors or {}).items():
            form[field].errors = [*form[field].errors, *messages] if field in form else messages
        return _page(form, status=422)
    commit()
    flash(f"Rule added on {rule.touchpoint.name}: {alerts.describe_rule(rule)}.", "success")
    return redirect(url_for("console.alerts_page") + "#rules-title")


@bp.post("/alerts/rules/<int:rule_id>/<any(enable, disable):action>")
@require_role("admin")
def toggle_alert_rule(rule_id: int, action: str):
    check_csrf(AlertRuleActionForm())
    rule = alerts.set_enabled(rule_id, action == "enable")
    commit()
    flash(f"The rule on {rule.touchpoint.name} is {'on again: it looks at once' if rule.enabled else 'off'}"
          f"{'' if rule.enabled else '; its open alert, if any, is closed'}.", "success")
    return redirect(url_for("console.alerts_page") + "#rules-title")


@bp.post("/alerts/rules/<int:rule_id>/delete")
@require_role("admin")
def delete_alert_rule(rule_id: int):
    check_csrf(AlertRuleActionForm())
    rule = alerts.get_rule(rule_id)
    name = rule.touchpoint.name
    alerts.delete_rule(rule_id)
    commit()
    flash(f"The rule on {name} is deleted; its alerts stay in the history.", "success")
    return redirect(url_for("console.alerts_page") + "#rules-title")
