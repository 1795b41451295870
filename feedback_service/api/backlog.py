from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from ..accounts.roles import role_at_least
from ..backlog import items as backlog
from ..core.database import commit
from ..schemas.backlog import (
    BacklogCommentInSchema,
    BacklogCommentSchema,
    BacklogItemInSchema,
    BacklogItemPatchSchema,
    BacklogItemSchema,
    BacklogListArgs,
)
from ..schemas.common import page_of
from .auth import current_principal, require_role
from .management import management_blueprint

blp = management_blueprint("backlog", __name__, description=(
    "The improvement backlog: what to fix, highest priority first (priority = impact × ease; staff's manual "
    "rank first). Audit findings and recurring root causes feed it; `backlog_item.created` and "
    "`backlog_item.status_changed` are logged (webhooks carry them). See docs/backlog.md."))

# What an agent may change on an item: its status (working it). The rest is the admins'.
AGENT_FIELDS = {"status"}


@blp.route("/backlog")
class Backlog(MethodView):
    @blp.arguments(BacklogListArgs, location="query")
    @blp.response(200, page_of(BacklogItemSchema))
    def get(self, args):
        """Every item (or those filtered), highest priority first, in one page."""
        return {"data": backlog.list_items(**args), "next_cursor": None}

    @require_role("admin")
    @blp.arguments(BacklogItemInSchema)
    @blp.response(201, BacklogItemSchema)
    def post(self, data):
        """An item by hand, with sources of any kind that exist in this organisation."""
        item = backlog.create_item(**data)
        commit()
        return backlog.shown_item(item.id)


@blp.route("/backlog/<int:item_id>")
class BacklogItemById(MethodView):
    @blp.response(200, BacklogItemSchema)
    def get(self, item_id):
        return backlog.shown_item(item_id)

    @require_role("agent")
    @blp.arguments(BacklogItemPatchSchema)
    @blp.response(200, BacklogItemSchema)
    def patch(self, changes, item_id):
        """Agents move the status; admins change anything (title, impact, ease, team, manual rank)."""
        backlog.get_item(item_id)  # 404 first
        role = current_principal().role
        if set(changes) - AGENT_FIELDS and not role_at_least(role, "admin"):
            abort(403, message=f"Changing {', '.join(sorted(set(changes) - AGENT_FIELDS))} needs the admin role; "
                               f"your key or login is {role}.")
        item = backlog.update_item(item_id, changes)
        commit()
        return backlog.shown_item(item.id)


@blp.route("/backlog/<int:item_id>/comments")
class BacklogComments(MethodView):
    @require_role("agent")
    @blp.arguments(BacklogCommentInSchema)
    @blp.response(201, BacklogCommentSchema)
    def post(self, data, item_id):
        comment = backlog.add_comment(item_id, data["body"], author_id=current_principal().user_id)
        commit()
        return comment
