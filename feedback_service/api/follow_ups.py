from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from ..core.database import commit
from ..loop import metrics as loop_metrics
from ..loop import queries, workflow
from ..schemas.common import page_body, page_of
from ..schemas.follow_ups import (
    AssignSchema,
    FollowUpDetailSchema,
    FollowUpListArgs,
    FollowUpSchema,
    MetricsArgs,
    NoteSchema,
    ReplySchema,
    RootCauseInSchema,
    TransitionSchema,
)
from .auth import current_principal, require_role
from .management import management_blueprint

blp = management_blueprint("follow_ups", __name__,
                           description="Closed-loop follow-ups: owner, status, due date, activity, reply.")


def _actor() -> str:
    return current_principal().label


def _detail(follow_up):
    # Read again, so the activity written in this request is in the answer.
    return queries.follow_up_detail(follow_up.id)


@blp.route("/follow-ups")
class FollowUps(MethodView):
    @blp.arguments(FollowUpListArgs, location="query")
    @blp.response(200, page_of(FollowUpSchema))
    def get(self, args):
        """Newest first; filters combine. With `updated_after`, oldest change first, for sync."""
        return page_body(queries.list_follow_ups(**args))


@blp.route("/follow-ups/metrics")
class FollowUpMetrics(MethodView):
    @blp.arguments(MetricsArgs, location="query")
    def get(self, args):
        """Open backlog, median hours to first action and to resolution, share resolved within
        SLA, top root causes: for the organisation, and per team or owner with `group_by`."""
        return loop_metrics.loop_metrics(**args)


@blp.route("/follow-ups/<int:follow_up_id>")
class FollowUpById(MethodView):
    @blp.response(200, FollowUpDetailSchema)
    def get(self, follow_up_id):
        """One follow-up with its activity log and the first page of the customer's timeline
        (their newest 200 answers and those answers' follow-ups). `customer.next_cursor`, when
        not null, is the `cursor` of `GET /api/v1/customers/{id}` for the older entries."""
        return queries.follow_up_detail(follow_up_id)


@blp.route("/follow-ups/<int:follow_up_id>/assign")
class Assign(MethodView):
    @require_role("agent")
    @blp.arguments(AssignSchema)
    @blp.response(200, FollowUpDetailSchema)
    def post(self, data, follow_up_id):
        follow_up = workflow.assign(follow_up_id, data["owner_id"], _actor())
        commit()
        return _detail(follow_up)


@blp.route("/follow-ups/<int:follow_up_id>/transition")
class Transition(MethodView):
    @require_role("agent")
    @blp.arguments(TransitionSchema)
    @blp.response(200, FollowUpDetailSchema)
    def post(self, data, follow_up_id):
        """Move the follow-up. `no_action` needs a note; `resolved` a root cause. An illegal move is 409."""
        follow_up = workflow.transition(follow_up_id, data["status"], _actor(), note=data["note"],
                                          root_cause=data["root_cause"])
        commit()
        return _detail(follow_up)


@blp.route("/follow-ups/<int:follow_up_id>/notes")
class Notes(MethodView):
    @require_role("agent")
    @blp.arguments(NoteSchema)
    @blp.response(201, FollowUpDetailSchema)
    def post(self, data, follow_up_id):
        follow_up = workflow.add_note(follow_up_id, data["body"], _actor())
        commit()
        return _detail(follow_up)


@blp.route("/follow-ups/<int:follow_up_id>/reply")
class Reply(MethodView):
    @require_role("agent")
    @blp.arguments(ReplySchema)
    @blp.response(201, FollowUpDetailSchema)
    def post(self, data, follow_up_id):
        """Reply to the customer by email ("you said, we did"). Without a customer email
        the message is kept as a note and the answer is 422."""
        outcome = workflow.reply(follow_up_id, data["message"], _actor())
        commit()
        if outcome.kept_as_note:
            abort(422, message="This customer left no email address, so the reply cannot be sent. "
                               "It was kept as a note on the follow-up.",
                  errors={"message": ["The customer has no email address; kept as a note."]})
        return _detail(outcome.follow_up)


@blp.route("/root-causes")
class RootCauses(MethodView):
    def get(self):
        """The organisation's root causes, for resolving follow-ups."""
        return {"data": queries.root_causes(), "next_cursor": None}

    @require_role("admin")
    @blp.arguments(RootCauseInSchema)
    def post(self, data):
        """Add a root cause to the organisation's list (adding one it has changes nothing)."""
        name = workflow.add_root_cause(data["name"])
        commit()
        return {"name": name}, 201
