"""The widget's second step: the comment joins the answer its score created, with the edit token."""

from __future__ import annotations

from .. import rollups
from ..core.errors import Forbidden, Invalid, NotFound
from ..events import log as events
from ..events.payloads import stored_response_data
from ..extensions import db
from ..loop.opening import has_follow_up, needs_follow_up
from ..loop.priority import refresh_priorities
from ..models import Response, utcnow
from ..sentiment.scoring import mark_for_scoring
from .jobs import request_processing
from .tokens import EDIT_TOKEN_TTL, edit_token_allows

COMMENT_MAX = 5000


def response_for_edit(touchpoint, response_id: int, token: str, max_age=EDIT_TOKEN_TTL) -> Response:
    """The response an edit token was issued for; 403 for a wrong or expired token."""
    if not edit_token_allows(token, response_id, touchpoint.id, max_age):
        raise Forbidden("This edit token is not valid for this response (or it has expired).")
    response = db.session.get(Response, response_id)
    if response is None or response.touchpoint_id != touchpoint.id:
        raise NotFound(f"No response with id {response_id} at this touchpoint.")
    return response


def add_comment(touchpoint, response_id: int, token: str, comment: str | None,
                max_age=EDIT_TOKEN_TTL) -> Response:
    """The widget's second step: the comment joins the response its score created."""
    response = response_for_edit(touchpoint, response_id, token, max_age)
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        raise Invalid("comment", f"At most {COMMENT_MAX} characters.")
    with rollups.recounted([response]):  # the row read again, locked: compared as it is now
        unchanged = comment == response.comment
        if not unchanged:
            response.comment = comment
            response.updated_at = utcnow()
            mark_for_scoring(response)
    if unchanged:
        return response  # a retried PATCH changes nothing
    if needs_follow_up(response) and not has_follow_up(response):
        response.follow_up_pending = True  # the comment arrived after the score: its follow-up now, once
    if response.comment is None:
        # No text left to score: the follow-up's priority goes back to what the score alone says.
        refresh_priorities([response.id])
    events.record("response.updated", stored_response_data(response), organization_id=response.organization_id)
    if response.follow_up_pending or response.sentiment_status == "pending":
        request_processing(response.id)
    return response
