"""``/backlog``: the improvement backlog as a board, highest priority first, and each item's page
with its evidence, comments and, once done, the before/after check.

Agents move an item's status and comment; admins also set impact, ease and a manual rank (with
its reason). The checks are the service's (``backlog.items``), so a refusal reads the same as
in the API.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..backlog import items as backlog
from ..core.database import commit
from ..core.errors import Invalid
from ..models import BACKLOG_STATUSES
from .blueprint import bp, require_role
from .forms import check_csrf

STATUS_LABELS = {"open": "Open", "planned": "Planned", "in_progress": "In progress", "done": "Done",
                 "wont_fix": "Won't fix"}
SEVERITY_WORDS = {"really_bad": "really bad", "bad": "bad", "inconvenient": "inconvenient"}


class BacklogActionForm(FlaskForm):
    """Only the CSRF token: the item and the change come with the form's fields, read by the service."""


def _context(**extra) -> dict:
    return dict(status_labels=STATUS_LABELS, statuses=BACKLOG_STATUSES, severity_words=SEVERITY_WORDS,
                action_form=BacklogActionForm(formdata=None), **extra)


@bp.get("/backlog")
def backlog_page():
    team_id = request.args.get("team", type=int)
    listed = backlog.list_items(team_id=team_id)
    todo = [i for i in listed if i.status not in ("done", "wont_fix")]
    closed = [i for i in listed if i.status in ("done", "wont_fix")]
    return render_template("console/backlog.html", todo=todo, closed=closed, teams=backlog.teams(),
                           team_id=team_id, audits_of=backlog.finding_audits(listed), **_context())


@bp.get("/backlog/<int:item_id>")
def backlog_item_page(item_id: int):
    item = backlog.shown_item(item_id)
    return render_template("console/backlog_item.html", item=item, audits_of=backlog.finding_audits([item]),
                           **_context())


def _back(item_id: int):
    if request.form.get("back") == "board":
        return redirect(url_for("console.backlog_page") + f"#item-{item_id}")
    return redirect(url_for("console.backlog_item_page", item_id=item_id))


def _refused(refusal: Invalid, item_id: int):
    for field, messages in (refusal.errors or {}).items():
        flash(f"{field.replace('_', ' ').capitalize()}: {' '.join(messages)}", "error")
    return _back(item_id)


@bp.post("/backlog/<int:item_id>/status")
@require_role("agent")
def move_backlog_item(item_id: int):
    check_csrf(BacklogActionForm())
    try:
        item = backlog.update_item(item_id, {"status": request.form.get("status", "")})
    except Invalid as refusal:
        return _refused(refusal, item_id)
    commit()
    flash(f"“{item.title}” is {STATUS_LABELS[item.status].lower()}.", "success")
    return _back(item_id)


@bp.post("/backlog/<int:item_id>/comments")
@require_role("agent")
def comment_backlog_item(item_id: int):
    check_csrf(BacklogActionForm())
    try:
        backlog.add_comment(item_id, request.form.get("body", ""), author_id=current_user.id)
    except Invalid as refusal:
        return _refused(refusal, item_id)
    commit()
    flash("Comment added.", "success")
    return _back(item_id)


@bp.post("/backlog/<int:item_id>/rank")
@require_role("admin")
def rank_backlog_item(item_id: int):
    check_csrf(BacklogActionForm())
    changes = {}
    for field in ("impact", "ease"):
        value = request.form.get(field, "")
        changes[field] = int(value) if value.isdigit() else None
    rank = request.form.get("manual_rank", "").strip()
    changes["manual_rank"] = int(rank) if rank.isdigit() else None
    if rank and not rank.isdigit():
        return _refused(Invalid("manual_rank", "A whole number from 1 (first), or empty."), item_id)
    changes["rank_reason"] = request.form.get("rank_reason", "")
    try:
        backlog.update_item(item_id, changes)
    except Invalid as refusal:
        return _refused(refusal, item_id)
    commit()
    flash("Ranking saved.", "success")
    return _back(item_id)
