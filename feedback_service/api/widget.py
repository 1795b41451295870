"""Public routes the widget, the hosted page and apps call with a ``pk_`` key.

No credentials: the publishable key in the path picks the touchpoint (and so
the tenant). Only the touchpoint's allowed origins get a CORS grant; bodies are
small; each address is rate-limited per touchpoint.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import abort

from ..collection import comments, displays, intake, survey, tokens
from ..core.database import commit
from ..core.http import cors
from ..core.http.rate_limit import limiter, per_address_and_touchpoint, read_limit, submit_limit
from ..core.http.smorest import Blueprint
from ..core.tenancy import set_tenant
from ..customers.identity import find_customer
from ..journeys.touchpoints import live_touchpoint
from ..schemas.widget import (
    CommentSchema,
    DisplaySchema,
    SubmitSchema,
    SubmittedSchema,
    SurveyArgs,
    WidgetSurveySchema,
)

blp = Blueprint("widget", __name__, url_prefix="/w",
                description="Public survey routes for the embeddable widget (publishable key, no auth).")

IDEMPOTENCY_KEY_MAX = 255


@blp.before_request
def _find_touchpoint():
    # Bodies from anonymous browsers stay small: 16 KB, answered with 413.
    request.max_content_length = current_app.config["WIDGET_MAX_BODY_BYTES"]
    g.touchpoint = None
    pk = (request.view_args or {}).get("pk")
    if pk is None:
        return
    g.touchpoint = live_touchpoint(pk)
    set_tenant(g.touchpoint.organization_id)
    g.origin_allowed = cors.origin_allowed(g.touchpoint)
    if request.method in ("POST", "PATCH") and not g.origin_allowed:
        abort(403, message=f"Origin {request.headers.get('Origin')} may not send answers to this touchpoint; "
                           "add it to the touchpoint's allowed_origins.")


@blp.after_request
def _cors(response):
    # "No survey for this key" is the same answer for every origin, and a widget that can read it
    # drops the answer instead of retrying it on every page load for a week.
    touchpoint = g.get("touchpoint")
    unknown_key = response.status_code == 404 and touchpoint is None
    return cors.add_cors_headers(response, unknown_key or (touchpoint is not None and g.get("origin_allowed", False)))


def _languages() -> list[str]:
    wanted = [request.args["lang"]] if request.args.get("lang") else []
    return wanted + [lang for lang, _ in request.accept_languages]


def _submitted_body(response, survey_version) -> dict:
    token, expires_at = tokens.edit_token(response.id, response.touchpoint_id)
    return {
        "id": response.id,
        "score": response.score,
        "comment": response.comment,
        "edit_token": token,
        "edit_token_expires_at": expires_at,
        "follow_up_prompt": survey.follow_up_prompt(survey_version, response.metric, response.score, _languages()),
    }


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        abort(422, message="Invalid Idempotency-Key header.",
              errors={"idempotency_key": [f"Use 1 to {IDEMPOTENCY_KEY_MAX} printable characters, e.g. a UUID."]})
    return key


@blp.route("/<pk>/survey")
class Survey(MethodView):
    decorators = [limiter.limit(read_limit, key_func=per_address_and_touchpoint)]

    @blp.doc(security=[])
    @blp.arguments(SurveyArgs, location="query")
    @blp.response(200, WidgetSurveySchema)
    def get(self, args, pk):
        """The survey to show, with `suppressed: true` when this customer was asked too recently."""
        customer = find_customer(args.get("customer_id"), args.get("customer_email"))
        return survey.survey_for(g.touchpoint, customer=customer, languages=_languages())


@blp.route("/<pk>/responses")
class Responses(MethodView):
    decorators = [limiter.limit(submit_limit, key_func=per_address_and_touchpoint, methods=["POST"])]

    @blp.doc(security=[], parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"},
                                       "description": "Retries with the same key store nothing twice."}])
    @blp.arguments(SubmitSchema)
    @blp.response(201, SubmittedSchema)
    def post(self, data, pk):
        """A customer's answer. The score alone is enough; the comment can follow by PATCH."""
        key = _idempotency_key()
        if data.pop("website"):
            # A bot filled the invisible field: look successful, store nothing.
            return {"id": None, "score": data["score"], "comment": None, "edit_token": None,
                    "edit_token_expires_at": None, "follow_up_prompt": ""}
        submission = intake.submit_response(g.touchpoint, idempotency_key=key, digest=intake.request_digest(data),
                                            **data)
        body = _submitted_body(submission.response, submission.survey)
        commit()
        headers = {"Idempotent-Replayed": "true"} if submission.replayed else {}
        return body, 201, headers


@blp.route("/<pk>/responses/<int:response_id>")
class ResponseComment(MethodView):
    decorators = [limiter.limit(submit_limit, key_func=per_address_and_touchpoint, methods=["PATCH"])]

    @blp.doc(security=[{"EditToken": []}])
    @blp.arguments(CommentSchema)
    @blp.response(200, SubmittedSchema)
    def patch(self, data, pk, response_id):
        """Add (or change) the comment of a response just created, with its edit token."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            abort(401, message="Send the edit_token from the 201 answer as 'Authorization: Bearer …'.")
        response = comments.add_comment(g.touchpoint, response_id, token.strip(), data["comment"])
        body = _submitted_body(response, response.survey_version)
        commit()
        return body


@blp.route("/<pk>/displays")
class Displays(MethodView):
    decorators = [limiter.limit(read_limit, key_func=per_address_and_touchpoint, methods=["POST"])]

    @blp.doc(security=[])
    @blp.arguments(DisplaySchema)
    @blp.response(202)
    def post(self, data, pk):
        """Count an impression (the response rate's denominator); starts the fatigue window."""
        displays.record_display(g.touchpoint, customer=data["customer"])
        commit()
        return {"recorded": True}
