"""The hosted survey page ``/s/{pk}``: links, emails, SMS and QR codes.

Plain HTML forms, no JavaScript needed. An email one-click link
(``?score=N&t=<signed token>``) records the score on the click and then offers
the comment box; a QR code points here too.
"""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, g, render_template, request

from ..collection import comments, intake, survey
from ..collection import tokens as links
from ..collection.comments import COMMENT_MAX
from ..core.database import commit
from ..core.errors import ServiceError
from ..core.http.rate_limit import (
    limiter,
    per_address_and_touchpoint,
    read_limit,
    retry_after_seconds,
    submit_limit,
)
from ..core.tenancy import set_tenant
from ..core.urls import public_url
from ..journeys.surveys import METRICS
from ..journeys.touchpoints import live_touchpoint
from ..models import SOURCES as RESPONSE_SOURCES

bp = Blueprint("hosted", __name__, url_prefix="/s")

SOURCES = set(RESPONSE_SOURCES) - {"widget"}  # the hosted page's channels


@bp.before_request
def _load_touchpoint():
    g.touchpoint = live_touchpoint(request.view_args["pk"])
    set_tenant(g.touchpoint.organization_id)


@bp.errorhandler(429)
def _slow_down(error):
    """The page works without JavaScript: a refusal is a page too, with the form to try again."""
    seconds = retry_after_seconds()
    response = _page("hosted/survey.html", status=429, form_token=links.form_token(), source=_source(),
                     error=f"Many answers came from your network just now. Please try again in {seconds} seconds.")
    response.headers["Retry-After"] = str(seconds)
    return response


def _languages() -> list[str]:
    languages = [request.args["lang"]] if request.args.get("lang") else []
    return languages + [lang for lang, _ in request.accept_languages]


def _survey(touchpoint) -> dict:
    return survey.survey_for(touchpoint, customer=None, languages=_languages())


def _page(template: str, status: int = 200, **context):
    body = render_template(template, touchpoint=g.touchpoint, survey=_survey(g.touchpoint)["survey"],
                           pk=g.touchpoint.publishable_key, comment_max=COMMENT_MAX, **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'self'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the one-click token stays here
    return response


def _source() -> str:
    source = request.values.get("src", "link")
    return source if source in SOURCES else "link"


@bp.get("/<pk>")
@limiter.limit(read_limit, key_func=per_address_and_touchpoint)
def survey_page(pk: str):
    token, score = request.args.get("t"), request.args.get("score", type=int)
    if token and score is not None:
        submission = intake.submit_from_link(g.touchpoint, token, score) \
            if METRICS[g.touchpoint.survey.metric].in_scale(score) else None
        if submission is None:
            return _page("hosted/survey.html", form_token=links.form_token(), source="email",
                         notice="This link has expired or is not valid any more, but you can still answer here.")
        commit()
        return _comment_step(submission.response, submission.survey)
    return _page("hosted/survey.html", form_token=links.form_token(), source=_source())


def _comment_step(response, survey_version, error: str | None = None, status: int = 200):
    """The comment box for a stored answer (``survey_version``: the one it answered)."""
    token, _ = links.edit_token(response.id, response.touchpoint_id)
    return _page("hosted/comment.html", status=status, response=response, edit_token=token,
                 prompt=survey.follow_up_prompt(survey_version, response.metric, response.score, _languages()),
                 error=error)


@bp.post("/<pk>")
@limiter.limit(submit_limit, key_func=per_address_and_touchpoint)
def submit(pk: str):
    form = request.form
    nonce = links.read_form_token(form.get("form_token", ""))
    source = form.get("src") if form.get("src") in SOURCES else "link"
    if form.get("website"):
        return _page("hosted/thanks.html")  # honeypot: a bot; say thanks, store nothing
    metric = METRICS[g.touchpoint.survey.metric]
    try:
        score = int(form.get("score", ""))
        if not metric.in_scale(score):
            raise ValueError
    except ValueError:
        return _page("hosted/survey.html", status=422, form_token=form.get("form_token") or links.form_token(),
                     source=source, error=f"Please choose a score from {metric.low} to {metric.high}.")
    if nonce is None:
        return _page("hosted/survey.html", status=422, form_token=links.form_token(), source=source,
                     error="This form has expired. Please choose your score again.")
    comment = (form.get("comment") or "").strip()[:COMMENT_MAX] or None
    try:
        submission = intake.submit_response(g.touchpoint, score=score, comment=comment,
                                            idempotency_key=f"form:{nonce}", source=source,
                                            digest=intake.request_digest({"score": score, "comment": comment}))
    except ServiceError as error:
        return _page("hosted/survey.html", status=error.code, form_token=links.form_token(), source=source,
                     error=error.message)
    commit()
    if submission.response.comment:
        return _page("hosted/thanks.html")
    return _comment_step(submission.response, submission.survey)


@bp.post("/<pk>/comment")
@limiter.limit(submit_limit, key_func=per_address_and_touchpoint)
def comment(pk: str):
    form = request.form
    response_id = form.get("response_id", type=int)
    text = (form.get("comment") or "").strip()
    if response_id is None:
        return _page("hosted/survey.html", status=422, form_token=links.form_token(), source="link",
                     error="Something was missing from the form. Please answer again.")
    try:
        response = comments.response_for_edit(g.touchpoint, response_id, form.get("edit_token", ""),
                                                links.HOSTED_COMMENT_TTL)
    except ServiceError:
        return _page("hosted/thanks.html", notice="Your score was saved, but this comment form has expired.")
    if len(text) > COMMENT_MAX:
        return _comment_step(response, response.survey_version,
                             error=f"Please keep it under {COMMENT_MAX} characters.", status=422)
    comments.add_comment(g.touchpoint, response_id, form.get("edit_token", ""), text, links.HOSTED_COMMENT_TTL)
    commit()
    return _page("hosted/thanks.html")


def _qr(pk: str):
    url = public_url(f"/s/{pk}?src=qr")
    return segno.make(url, error="m")


@bp.get("/<pk>/qr.svg")
def qr_svg(pk: str):
    """A QR code for counters, receipts and posters: it opens this survey."""
    buffer = io.BytesIO()
    _qr(pk).save(buffer, kind="svg", scale=8, border=2, title=f"Feedback: {g.touchpoint.name}")
    return Response(buffer.getvalue(), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/<pk>/qr.png")
def qr_png(pk: str):
    buffer = io.BytesIO()
    _qr(pk).save(buffer, kind="png", scale=10, border=2)
    return Response(buffer.getvalue(), mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"})
