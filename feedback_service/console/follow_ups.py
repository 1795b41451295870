"""``/follow-ups/<id>``: one follow-up, its customer and its log; moving, assigning, noting, replying.

Each POST parses its form, calls one service function, commits and redirects
back with a flash message (POST/redirect/GET). A 409 from the service (an
illegal move, or someone else changed the follow-up meanwhile) is a flash
message too; a 422 (a rule the form could not check) shows the page again
with the typed text kept and the error beside its field.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..core.database import commit
from ..core.errors import Conflict, Invalid
from ..customers.timeline import timeline
from ..extensions import db
from ..loop import inbox, workflow
from . import formatting
from .blueprint import bp, require_role
from .forms import AssignForm, NoteForm, ReplyForm, TransitionForm, check_csrf

log = logging.getLogger(__name__)

KEPT_AS_NOTE = ("This customer left no email address, so the reply cannot be sent. "
                "It was kept as a note on the follow-up.")


def _actor() -> str:
    return f"user:{current_user.id}"


def _page(follow_up_id: int, *, status: int = 200, error: str | None = None, **forms: FlaskForm):
    view = inbox.follow_up_view(follow_up_id)
    follow_up = view.follow_up
    # The customer's first page, across touchpoints: nobody asks them to repeat their story.
    history = timeline(view.customer) if view.customer is not None else None
    transition_form = forms.get("transition_form") or TransitionForm(formdata=None)
    transition_form.fill_choices(view.root_causes)
    assign_form = forms.get("assign_form") or AssignForm(formdata=None, owner_id=follow_up.owner_id)
    team = follow_up.team or follow_up.touchpoint.team
    assign_form.fill_choices(team.name if team else None, view.team_staff, view.other_staff)
    return render_template(
        "console/follow_up.html",
        view=view,
        timeline=history.items if history is not None else [],
        timeline_next_cursor=history.next_cursor if history is not None else None,
        follow_up=follow_up,
        response=follow_up.response,
        transition_form=transition_form,
        assign_form=assign_form,
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        reply_form=forms.get("reply_form") or ReplyForm(formdata=None),
        error=error,
    ), status


def _back(follow_up_id: int):
    return redirect(url_for("console.follow_up", follow_up_id=follow_up_id))


def _work(follow_up_id: int, form_name: str, form: FlaskForm, change, done):
    """Run ``change`` (one service call) and answer: commit, flash ``done(result)``, redirect.

    A 409 rolls back and is flashed; a 422 rolls back and shows the page again
    with the message beside the field it is about.
    """
    try:
        result = change()
    except Conflict as conflict:
        db.session.rollback()
        flash(f"Nothing was changed. {conflict.message}", "error")
        return _back(follow_up_id)
    except Invalid as invalid:
        db.session.rollback()
        errors = invalid.errors or {"": [invalid.message]}
        for field_name, messages in errors.items():
            shown_beside_field = field_name in form and field_name != "status"  # status is a button, not a field
            (form[field_name].errors if shown_beside_field else form.form_errors).extend(messages)
        summary = " ".join(message for messages in errors.values() for message in messages)
        return _page(follow_up_id, status=422, error=f"Nothing was changed: {summary}", **{form_name: form})
    commit()
    message, category = done(result)
    flash(message, category)
    return _back(follow_up_id)


def _form_refused(follow_up_id: int, form_name: str, form: FlaskForm):
    return _page(follow_up_id, status=422, error="Nothing was changed: check the form below.", **{form_name: form})


@bp.get("/follow-ups/<int:follow_up_id>")
def follow_up(follow_up_id: int):
    return _page(follow_up_id)


@bp.post("/follow-ups/<int:follow_up_id>/transition")
@require_role("agent")
def transition_follow_up(follow_up_id: int):
    form = TransitionForm()
    form.fill_choices([])
    if not check_csrf(form):
        return _form_refused(follow_up_id, "transition_form", form)
    return _work(
        follow_up_id, "transition_form", form,
        lambda: workflow.transition(follow_up_id, form.status.data, _actor(), note=form.note.data,
                                      root_cause=form.chosen_root_cause()),
        lambda moved: (f"Follow-up #{moved.id} is now {formatting.status(moved.status).lower()}"
                       + (f" (root cause: {moved.root_cause})." if moved.status == "resolved" else "."), "success"),
    )


@bp.post("/follow-ups/<int:follow_up_id>/assign")
@require_role("agent")
def assign_follow_up(follow_up_id: int):
    form = AssignForm()
    if not check_csrf(form):
        return _form_refused(follow_up_id, "assign_form", form)
    return _work(
        follow_up_id, "assign_form", form,
        lambda: workflow.assign(follow_up_id, form.owner_id.data, _actor()),
        lambda assigned: (f"Follow-up #{assigned.id} is owned by "
                          f"{assigned.owner.name or assigned.owner.email}.", "success"),
    )


@bp.post("/follow-ups/<int:follow_up_id>/notes")
@require_role("agent")
def note_follow_up(follow_up_id: int):
    form = NoteForm()
    if not check_csrf(form):
        return _form_refused(follow_up_id, "note_form", form)
    return _work(
        follow_up_id, "note_form", form,
        lambda: workflow.add_note(follow_up_id, form.body.data, _actor()),
        lambda noted: ("Your note is in the activity log.", "success"),
    )


@bp.post("/follow-ups/<int:follow_up_id>/reply")
@require_role("agent")
def reply_follow_up(follow_up_id: int):
    form = ReplyForm()
    if not check_csrf(form):
        return _form_refused(follow_up_id, "reply_form", form)
    return _work(
        follow_up_id, "reply_form", form,
        lambda: workflow.reply(follow_up_id, form.message.data, _actor()),
        lambda outcome: ((KEPT_AS_NOTE, "warning") if outcome.kept_as_note else
                         (f"Your reply to {outcome.sent_to} is recorded; its delivery is shown under Emails.",
                          "success")),
    )
