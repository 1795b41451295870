from __future__ import annotations

from flask.views import MethodView

from ..alerts import rules as alerts
from ..core.database import commit
from ..schemas.alerts import (
    AlertListArgs,
    AlertRuleInSchema,
    AlertRuleListArgs,
    AlertRulePatchSchema,
    AlertRuleSchema,
    AlertSchema,
)
from ..schemas.common import page_body, page_of
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("alerts", __name__, description=(
    "Alert rules per touchpoint (a headline below a line, a sudden drop, a surge of negative comments) "
    "and the alerts they fired. An alert tells the owning team and the teams of the steps before and after "
    "it, and is logged as `alert.triggered` (webhooks carry it)."))


@blp.route("/alert-rules")
class AlertRules(MethodView):
    @blp.arguments(AlertRuleListArgs, location="query")
    @blp.response(200, page_of(AlertRuleSchema))
    def get(self, args):
        return page_body(alerts.list_rules(**args))

    @require_role("admin")
    @blp.arguments(AlertRuleInSchema)
    @blp.response(201, AlertRuleSchema)
    def post(self, data):
        """A new rule. It is looked at once it is saved, then on the worker's schedule."""
        rule = alerts.create_rule(**data)
        commit()
        return rule


@blp.route("/alert-rules/<int:rule_id>")
class AlertRuleById(MethodView):
    @blp.response(200, AlertRuleSchema)
    def get(self, rule_id):
        return alerts.get_rule(rule_id)

    @require_role("admin")
    @blp.arguments(AlertRulePatchSchema)
    @blp.response(200, AlertRuleSchema)
    def patch(self, changes, rule_id):
        """Change the rule. Disabling it, or changing its kind or touchpoint, ends its open alert."""
        rule = alerts.update_rule(rule_id, changes)
        commit()
        return alerts.get_rule(rule.id)

    @require_role("admin")
    @blp.response(204)
    def delete(self, rule_id):
        """Delete the rule; its alerts stay, with `rule_id` null (an open one is ended)."""
        alerts.delete_rule(rule_id)
        commit()


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(AlertListArgs, location="query")
    @blp.response(200, page_of(AlertSchema))
    def get(self, args):
        """Alerts that fired, newest first."""
        return page_body(alerts.list_alerts(**args))


@blp.route("/alerts/<int:alert_id>")
class AlertById(MethodView):
    @blp.response(200, AlertSchema)
    def get(self, alert_id):
        return alerts.get_alert(alert_id)
