from __future__ import annotations

from flask.views import MethodView

from ..audits import comparison, links, walks
from ..core.database import commit
from ..schemas.audits import (
    AuditComparisonSchema,
    AuditInSchema,
    AuditLinkInSchema,
    AuditLinkSchema,
    AuditListArgs,
    AuditPatchSchema,
    AuditSchema,
    FindingInSchema,
    FindingListSchema,
    FindingPatchSchema,
    FindingSchema,
)
from ..schemas.common import page_body, page_of
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("audits", __name__, description=(
    "Audits: walks of a journey by staff or an outside shopper, touchpoint by touchpoint, with what each "
    "step did against expectation. Submitting one freezes it and logs `audit.submitted`. Viewers read; "
    "agents record; admins create shopper links. See docs/audits.md."))


@blp.route("/audits")
class Audits(MethodView):
    @blp.arguments(AuditListArgs, location="query")
    @blp.response(200, page_of(AuditSchema))
    def get(self, args):
        """Audits, newest first."""
        return page_body(walks.list_audits(**args))

    @blp.arguments(AuditInSchema)
    @blp.response(201, AuditSchema)
    def post(self, data):
        """Start an audit: walked by `auditor_id` (staff) or `shopper_name` (an outside shopper)."""
        audit = walks.create_audit(**data)
        commit()
        return audit


@blp.route("/audits/<int:audit_id>")
class AuditById(MethodView):
    @blp.response(200, AuditSchema)
    def get(self, audit_id):
        return walks.get_audit(audit_id)

    @blp.arguments(AuditPatchSchema)
    @blp.response(200, AuditSchema)
    def patch(self, changes, audit_id):
        """Change an audit under way; `status: "submitted"` submits it (409 once submitted)."""
        audit = walks.update_audit(audit_id, changes)
        commit()
        return walks.get_audit(audit.id)


@blp.route("/audits/<int:audit_id>/findings")
class Findings(MethodView):
    @blp.response(200, FindingListSchema)
    def get(self, audit_id):
        """The audit's findings in journey order."""
        return {"data": walks.list_findings(audit_id), "next_cursor": None}

    @blp.arguments(FindingInSchema)
    @blp.response(201, FindingSchema)
    def post(self, data, audit_id):
        """A finding at one touchpoint of the audit's journey (409 once the audit is submitted)."""
        finding = walks.add_finding(audit_id, **data)
        commit()
        return finding


@blp.route("/audits/<int:audit_id>/findings/<int:finding_id>")
class FindingById(MethodView):
    @blp.response(200, FindingSchema)
    def get(self, audit_id, finding_id):
        return walks.get_finding(audit_id, finding_id)

    @blp.arguments(FindingPatchSchema)
    @blp.response(200, FindingSchema)
    def patch(self, changes, audit_id, finding_id):
        finding = walks.update_finding(audit_id, finding_id, changes)
        commit()
        return walks.get_finding(audit_id, finding.id)

    @blp.response(204)
    def delete(self, audit_id, finding_id):
        walks.delete_finding(audit_id, finding_id)
        commit()


@blp.route("/audit-links")
class AuditLinks(MethodView):
    @require_role("admin")
    @blp.arguments(AuditLinkInSchema)
    @blp.response(201, AuditLinkSchema)
    def post(self, data):
        """A signed link an outside shopper walks the audit with, no account needed, until `expires_at`
        (at most 90 days) or the audit is submitted."""
        return links.create_link(data["audit_id"], data["expires_at"])


@blp.route("/journeys/<int:journey_id>/audit-comparison")
class AuditComparison(MethodView):
    @blp.response(200, AuditComparisonSchema)
    def get(self, journey_id):
        """The journey's submitted audits side by side per touchpoint, each with `consistent`."""
        return comparison.compare(journey_id)
