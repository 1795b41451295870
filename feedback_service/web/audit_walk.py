"""The audit link's page ``/a/{token}``: an outside shopper walks one audit, no account needed.

The token (``audits.links``) names the audit, its organisation and its expiry; a forged or
altered one is a 404, an expired one a 410. The page shows the scenario, then each touchpoint of
the journey in order as its own form, saved one at a time (a signed form token bound to the
audit stands in for a session's CSRF token), then the submit. Plain HTML, no JavaScript; once
the audit is submitted the page says so and every form is refused (409).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from ..audits import links, walks
from ..core.database import commit
from ..core.errors import Conflict, NotFound, ServiceError
from ..core.http.rate_limit import limiter, submit_limit
from ..core.tenancy import set_tenant

bp = Blueprint("audit_walk", __name__, url_prefix="/a")


@bp.before_request
def _load_audit():
    try:
        target = links.read_link(request.view_args["token"])
    except links.LinkRefused as refusal:
        return _refused(410 if refusal.expired else 404)
    set_tenant(target.organization_id)
    try:
        g.audit = walks.get_audit(target.audit_id)
    except NotFound:
        return _refused(404)
    g.token = request.view_args["token"]
    return None


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays here
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _refused(status: int, message: str | None = None):
    messages = {404: "This audit link is not valid. Check that it was copied whole.",
                410: "This audit link has expired. Ask whoever sent it for a new one.",
                409: "This audit has been submitted, so it can no longer be changed. Thank you!",
                400: "This form has expired. Reload the page and save the step again."}
    body = render_template("audits/refused.html", message=message or messages[status])
    return _headers(Response(body, status=status, mimetype="text/html"))


def _hidden() -> Markup:
    return Markup('<input type="hidden" name="form_token" value="{}">').format(
        escape(links.form_token(g.audit.id)))


def _page(status: int = 200, **context):
    body = render_template("audits/walk.html", audit=g.audit, steps=walks.steps(g.audit), token=g.token,
                           hidden=_hidden(), **context)
    return _headers(Response(body, status=status, mimetype="text/html"))


def _checked_form():
    if not links.form_token_ok(request.form.get("form_token", ""), g.audit.id):
        abort(_refused(400))
    if g.audit.is_submitted:
        abort(_refused(409))


@bp.get("/<token>")
def walk(token: str):
    if g.audit.is_submitted:
        body = render_template("audits/walk_done.html", audit=g.audit)
        return _headers(Response(body, mimetype="text/html"))
    return _page(saved=request.args.get("saved", type=int))


@bp.post("/<token>/steps/<int:touchpoint_id>")
@limiter.limit(submit_limit)
def save_step(token: str, touchpoint_id: int):
    _checked_form()
    try:
        walks.save_step(g.audit.id, touchpoint_id, **walks.read_step_form(request.form))
    except Conflict:
        return _refused(409)
    except ServiceError as refusal:
        if refusal.code == 404 or "touchpoint_id" in (refusal.errors or {}):
            return _refused(404, "That step is not part of this audit.")
        return _page(status=422, errors={touchpoint_id: refusal.errors or {"form": [refusal.message]}},
                     values={touchpoint_id: request.form})
    commit()
    ids = [step.touchpoint.id for step in walks.steps(g.audit)]
    following = ids[ids.index(touchpoint_id) + 1] if touchpoint_id in ids[:-1] else None
    anchor = f"step-{following}" if following else "submit"
    return redirect(url_for("audit_walk.walk", token=token, saved=touchpoint_id) + f"#{anchor}", code=303)


@bp.post("/<token>/submit")
@limiter.limit(submit_limit)
def submit(token: str):
    _checked_form()
    try:
        walks.submit_audit(g.audit.id)
    except Conflict:
        return _refused(409)
    commit()
    return redirect(url_for("audit_walk.walk", token=token), code=303)
