from __future__ import annotations

from flask.views import MethodView

from ..events import log as events
from ..schemas.common import page_body, page_of
from ..schemas.events import EventListArgs, EventSchema
from .management import management_blueprint

blp = management_blueprint("events", __name__, description="The durable, ordered event log that webhooks carry.")


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventListArgs, location="query")
    @blp.response(200, page_of(EventSchema))
    def get(self, args):
        """Events oldest first. A consumer that was down catches up from its last cursor.

        An event is listed only once nothing that sorts before it can still commit, so
        resuming after a stored cursor never skips one; for an event just committed that
        can take as long as the oldest transaction still writing (the request waits up to
        a second for it, then answers with what is certain)."""
        return page_body(events.list_events(after=args["after"], event_type=args["type"], limit=args.get("limit")))
