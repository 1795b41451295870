from __future__ import annotations

from flask.views import MethodView

from ..accounts import staff
from ..core.database import commit
from ..core.lookup import get_or_404
from ..models import User
from ..schemas.common import ListArgs, page_body, page_of
from ..schemas.staff import UserInSchema, UserPatchSchema, UserSchema
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("users", __name__, description="Staff who read feedback and close the loop.")


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_of(UserSchema))
    def get(self, args):
        return page_body(staff.list_users(**args))

    @require_role("admin")
    @blp.arguments(UserInSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        user = staff.create_user(**data)
        commit()
        return user


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id):
        return get_or_404(User, user_id, what="user")

    @require_role("admin")
    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        user = staff.update_user(user_id, changes)
        commit()
        return user
