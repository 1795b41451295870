from __future__ import annotations

from flask.views import MethodView

from ..accounts import staff
from ..core.database import commit
from ..core.lookup import get_or_404
from ..models import Team
from ..schemas.common import ListArgs, page_body, page_of
from ..schemas.staff import TeamInSchema, TeamPatchSchema, TeamSchema
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("teams", __name__, description="Teams (departments) that own touchpoints.")


@blp.route("/teams")
class Teams(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_of(TeamSchema))
    def get(self, args):
        return page_body(staff.list_teams(**args))

    @require_role("admin")
    @blp.arguments(TeamInSchema)
    @blp.response(201, TeamSchema)
    def post(self, data):
        team = staff.create_team(**data)
        commit()
        return team


@blp.route("/teams/<int:team_id>")
class TeamById(MethodView):
    @blp.response(200, TeamSchema)
    def get(self, team_id):
        return get_or_404(Team, team_id, what="team")

    @require_role("admin")
    @blp.arguments(TeamPatchSchema)
    @blp.response(200, TeamSchema)
    def patch(self, changes, team_id):
        team = staff.update_team(team_id, changes)
        commit()
        return team

    @require_role("admin")
    @blp.response(204)
    def delete(self, team_id):
        staff.delete_team(team_id)
        commit()
