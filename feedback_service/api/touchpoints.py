from __future__ import annotations

from flask.views import MethodView

from ..analytics.touchpoint_metrics import touchpoint_metrics
from ..collection import tokens
from ..core.database import commit
from ..core.lookup import get_or_404
from ..journeys import touchpoints
from ..models import Touchpoint
from ..schemas.common import page_body, page_of
from ..schemas.journeys import (
    EmailLinksInSchema,
    EmailLinksSchema,
    TouchpointInSchema,
    TouchpointListArgs,
    TouchpointPatchSchema,
    TouchpointSchema,
)
from ..schemas.themes import ThemesArgs, ThemesSchema
from ..schemas.touchpoint_metrics import MetricsArgs, TouchpointMetricsSchema
from ..themes.store import touchpoint_themes
from .auth import require_role
from .management import management_blueprint

blp = management_blueprint("touchpoints", __name__,
                           description="Touchpoints: where a customer meets the company, and the survey asked there.")


@blp.route("/touchpoints")
class Touchpoints(MethodView):
    @blp.arguments(TouchpointListArgs, location="query")
    @blp.response(200, page_of(TouchpointSchema))
    def get(self, args):
        return page_body(touchpoints.list_touchpoints(**args))

    @require_role("admin")
    @blp.arguments(TouchpointInSchema)
    @blp.response(201, TouchpointSchema)
    def post(self, data):
        touchpoint = touchpoints.create_touchpoint(**data)
        commit()
        return touchpoint


@blp.route("/touchpoints/<int:touchpoint_id>")
class TouchpointById(MethodView):
    @blp.response(200, TouchpointSchema)
    def get(self, touchpoint_id):
        return get_or_404(Touchpoint, touchpoint_id, what="touchpoint")

    @require_role("admin")
    @blp.arguments(TouchpointPatchSchema)
    @blp.response(200, TouchpointSchema)
    def patch(self, changes, touchpoint_id):
        """Edit a touchpoint. A changed survey becomes a new version; earlier
        responses keep the version they answered."""
        touchpoint = touchpoints.update_touchpoint(touchpoint_id, changes)
        commit()
        return touchpoint

    @require_role("admin")
    @blp.response(204)
    def delete(self, touchpoint_id):
        """Archive: the touchpoint leaves the journey and its key stops working;
        its responses are kept."""
        touchpoints.archive_touchpoint(touchpoint_id)
        commit()


@blp.route("/touchpoints/<int:touchpoint_id>/email-links")
class EmailLinks(MethodView):
    @require_role("agent")
    @blp.arguments(EmailLinksInSchema)
    @blp.response(201, EmailLinksSchema)
    def post(self, data, touchpoint_id):
        """One-click links for an email: one URL per score, signed for this customer and touchpoint.

        A click records the score (once; a second click on another score corrects
        it), then the hosted page offers the comment box. Links expire after 30 days.
        """
        touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
        return tokens.email_links(touchpoint, customer_id=data["customer_id"], customer_email=data["customer_email"])


@blp.route("/touchpoints/<int:touchpoint_id>/metrics")
class TouchpointMetrics(MethodView):
    @blp.arguments(MetricsArgs, location="query")
    @blp.response(200, TouchpointMetricsSchema)
    def get(self, args, touchpoint_id):
        """The headline with its 95 % interval, mean, sentiment and response rate over the period,
        the most negative comments, and the same per day, week or month.

        Fewer answers than ANALYTICS_MIN_N make a figure `provisional`: returned and marked,
        never hidden. See docs/metrics.md for the intervals.
        """
        return touchpoint_metrics(touchpoint_id, **args)


@blp.route("/touchpoints/<int:touchpoint_id>/themes")
class TouchpointThemes(MethodView):
    @blp.arguments(ThemesArgs, location="query")
    @blp.response(200, ThemesSchema)
    def get(self, args, touchpoint_id):
        """What customers talk about here: each theme's label, comments, share, sentiment and examples
        over the period, largest first.

        Themes are found by the worker in the last THEMES_WINDOW_DAYS days of comments (never in a
        request); any `from`/`to` is counted from that assignment.
        """
        return touchpoint_themes(touchpoint_id, **args)
