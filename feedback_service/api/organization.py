from __future__ import annotations

from flask.views import MethodView

from ..accounts import organizations
from ..core.database import commit
from ..schemas.organization import OrganizationPatchSchema, OrganizationSchema
from .auth import current_principal, require_role
from .management import management_blueprint

blp = management_blueprint("organization", __name__,
                           description="The organisation the key belongs to, and its settings.")


@blp.route("/organization")
class CurrentOrganization(MethodView):
    @blp.response(200, OrganizationSchema)
    def get(self):
        return organizations.current_organization(current_principal().organization_id)

    @require_role("admin")
    @blp.arguments(OrganizationPatchSchema)
    @blp.response(200, OrganizationSchema)
    def patch(self, changes):
        """Settings: the organisation-wide survey cap and follow-up SLA hours."""
        organization = organizations.update_settings(current_principal().organization_id, changes)
        commit()
        return organization
