"""Public routes the widget, the hosted page and apps call with a ``pk_`` key.

No credentials: the publishable key in the path picks the touchpoint (and so
the tenant). Only the touchpoint's allowed origins get a CORS grant; bodies are
small; each IP is rate-limited per touchpoint.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import abort

from ..core.database import commit
from ..core.http.rate_limit import limiter, per_address_and_touchpoint, read_limit, submit_limit
from ..collection import conversation as collection, intake, tokens as links, touchpoint_cards
from ..schemas.widget import (
    CommentSchema,
    DisplaySchema,
    SubmitSchema,
    SubmittedSchema,
    SurveyArgs,
    WidgetSurveySchema,
)
from ..core.tenancy import set_tenant
from ..core.http import cors
from ..core.http.smorest import Blueprint

blp = Blueprint("widget", __name__, url_prefix="/w",
                description="Public survey routes for the embeddable widget (publishable key, no auth).")

IDEMPOTENCY_KEY_MAX = 255


@blp.before_request
def _find_touchpoint():
    # Every answer passes here: the request and g are looked up once, not per attribute.
    req, ctx = request._get_current_object(), g._get_current_object()
    # Bodies from anonymous browsers stay small: 16 KB, answered with 413.
    req.max_content_length = current_app.config["WIDGET_MAX_BODY_BYTES"]
    ctx.card = ctx.touchpoint = None
    pk = (req.view_args or {}).get("pk")
    if pk is None:
        return
    method = req.method
    if method == "GET":
        ctx.touchpoint = collection.touchpoint_by_key(pk)  # the survey is drawn from the row itself
        ctx.card = touchpoint_cards.card_of(ctx.touchpoint)
    else:
        # Answers, impressions and preflights come by the thousand: a card a few seconds old
        # serves them, and whatever stores an answer checks it again (touchpoint_cards).
        ctx.card = touchpoint_cards.card_for_key(pk, fresh=method == "PATCH")
    set_tenant(ctx.card.organization_id)
    ctx.origin_allowed = _origin_allowed(fresh=method in ("GET", "PATCH"))
    if method in ("POST", "PATCH") and not ctx.origin_allowed:
        _refuse_origin()


def _origin_allowed(*, fresh: bool) -> bool:
    allowed = cors.origin_allowed(g.card)
    if allowed or fresh:
        return allowed
    # A refusal is decided on fresh facts: the origin may have been allowed a moment ago.
    g.card = touchpoint_cards.card_for_key(g.card.publishable_key, fresh=True)
    return cors.origin_allowed(g.card)


def _admit_origin(card: touchpoint_cards.TouchpointCard) -> None:
    """The origin rule again, for the fresh card intake read when the cached one was stale."""
    g.card = card
    g.origin_allowed = cors.origin_allowed(card)
    if not g.origin_allowed:
        _refuse_origin()


def _refuse_origin():
    abort(403, message=f"Origin {request.headers.get('Origin')} may not send answers to this touchpoint; "
                       "add it to the touchpoint's allowed_origins.")


@blp.after_request
def _cors(response):
    # "No survey for this key" is the same answer for every origin, and a widget that can read it
    # drops the answer instead of retrying it on every page load for a week.
    ctx = g._get_current_object()
    card = ctx.get("card")
    unknown_key = response.status_code == 404 and card is None
    return cors.add_cors_headers(response, unknown_key or (card is not None and ctx.get("origin_allowed", False)))


def _languages() -> list[str]:
    wanted = [request.args["lang"]] if request.args.get("lang") else []
    return wanted + [lang for lang, _ in request.accept_languages]


def _submitted_body(response_id: int, touchpoint_id: int, score: int, comment: str | None, prompt: str) -> dict:
    token, expires_at = links.edit_token(response_id, touchpoint_id)
    return {
        "id": response_id,
        "score": score,
        "comment": comment,
        "edit_token": token,
        "edit_token_expires_at": expires_at,
        "follow_up_prompt": prompt,
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
        customer = collection.find_customer(args.get("customer_id"), args.get("customer_email"))
        return collection.survey_for(g.touchpoint, customer=customer, languages=_languages())


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
        digest = intake.request_digest(data)
        submission = intake.submit_response(g.card, idempotency_key=key, digest=digest, admit=_admit_origin, **data)
        stored = submission.response
        # Accept-Language matters only to a survey with translations (and parsing it is not free).
        languages = _languages() if stored.survey.translations else []
        body = _submitted_body(stored.id, stored.touchpoint_id, stored.score, stored.comment,
                               collection.follow_up_prompt(stored.survey, stored.metric, stored.score, languages))
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
        response = collection.add_comment(g.card, response_id, token.strip(), data["comment"])
        body = _submitted_body(response.id, response.touchpoint_id, response.score, response.comment,
                               collection.follow_up_prompt(response.survey_version, response.metric, response.score,
                                                           _languages()))
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
        collection.record_display(g.card, customer=data["customer"])
        commit()
        return {"recorded": True}
