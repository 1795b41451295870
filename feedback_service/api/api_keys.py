from __future__ import annotations

from flask.views import MethodView

from ..accounts import organizations
from ..core.database import commit
from ..schemas.common import ListArgs, page_body, page_of
from ..schemas.staff import ApiKeyInSchema, ApiKeySchema, NewApiKeySchema
from .auth import current_principal, require_role
from .management import management_blueprint

blp = management_blueprint("api_keys", __name__, description="Secret keys for this API; shown once.")


@blp.route("/api-keys")
class ApiKeys(MethodView):
    @require_role("admin")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_of(ApiKeySchema))
    def get(self, args):
        return page_body(organizations.list_api_keys(**args))

    @require_role("admin")
    @blp.arguments(ApiKeyInSchema)
    @blp.response(201, NewApiKeySchema)
    def post(self, data):
        principal = current_principal()
        key, api_key = organizations.create_api_key(
            principal.organization_id, name=data["name"], role=data["role"], created_by_id=principal.user_id
        )
        commit()
        fields = ("id", "name", "role", "prefix", "created_at", "last_used_at", "revoked_at")
        return {"key": key, **{field: getattr(api_key, field) for field in fields}}


@blp.route("/api-keys/<int:api_key_id>")
class ApiKeyById(MethodView):
    @require_role("admin")
    @blp.response(200, ApiKeySchema)
    def delete(self, api_key_id):
        """Revoke a key. It stops working at once; the record stays for the audit trail."""
        api_key = organizations.revoke_api_key(api_key_id)
        commit()
        return api_key
