from __future__ import annotations

from flask.views import MethodView

from ..analytics.journey_report import journey_report
from ..core.database import commit
from ..core.lookup import get_or_404
from ..journeys import ordering
from ..models import Journey
from ..schemas.common import ListArgs, page_body, page_of
from ..schemas.journey_report import JourneyReportSchema, ReportArgs
from ..schemas.journeys import JourneyDetailSchema, JourneyInSchema, JourneyPatchSchema, JourneySchema
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("journeys", __name__, description="Customer journeys, each an ordered list of touchpoints.")


@blp.route("/journeys")
class Journeys(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_of(JourneySchema))
    def get(self, args):
        return page_body(ordering.list_journeys(**args))

    @require_role("admin")
    @blp.arguments(JourneyInSchema)
    @blp.response(201, JourneyDetailSchema)
    def post(self, data):
        journey = ordering.create_journey(**data)
        commit()
        return journey


@blp.route("/journeys/<int:journey_id>")
class JourneyById(MethodView):
    @blp.response(200, JourneyDetailSchema)
    def get(self, journey_id):
        """A journey with its touchpoints in order."""
        return get_or_404(Journey, journey_id, what="journey")

    @require_role("admin")
    @blp.arguments(JourneyPatchSchema)
    @blp.response(200, JourneyDetailSchema)
    def patch(self, changes, journey_id):
        journey = ordering.update_journey(journey_id, changes)
        commit()
        return journey

    @require_role("admin")
    @blp.response(204)
    def delete(self, journey_id):
        ordering.delete_journey(journey_id)
        commit()


@blp.route("/journeys/<int:journey_id>/report")
class JourneyReport(MethodView):
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, JourneyReportSchema)
    def get(self, args, journey_id):
        """Per touchpoint: headline, mean, sentiment and friction over the period, and the friction ranking."""
        return journey_report(journey_id, **args)
