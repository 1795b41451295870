"""``/inbox``: the follow-ups, most urgent first and then newest, filterable."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from ..loop import inbox as follow_ups
from ..models import utcnow
from .blueprint import bp
from .forms import InboxFilterForm

# The quick views above the list: (key in inbox_counts, label, the filters they set).
QUICK_VIEWS = (
    ("open", "Open", {}),
    ("mine", "Mine", {"owner": "mine"}),
    ("unassigned", "Unassigned", {"owner": "unassigned"}),
    ("overdue", "Overdue", {"overdue": "y"}),
)


def _filters(form: InboxFilterForm) -> tuple[dict, dict]:
    """The form's values as ``inbox()`` arguments, and as the query string that reproduces them."""
    owner, team, touchpoint = form.owner.data, form.team.data, form.touchpoint.data
    service = {
        "status": form.status.data or "open",
        "priority": form.priority.data or None,
        "owner_id": current_user.id if owner == "mine" else (int(owner) if owner.isdigit() else None),
        "unassigned": owner == "unassigned",
        "team_id": int(team) if team.isdigit() else None,
        "touchpoint_id": int(touchpoint) if touchpoint.isdigit() else None,
        "overdue": True if form.overdue.data else None,
    }
    query = {"status": service["status"] if service["status"] != "open" else None,
             "priority": service["priority"], "owner": owner or None, "team": team or None,
             "touchpoint": touchpoint or None, "overdue": "y" if form.overdue.data else None}
    return service, {key: value for key, value in query.items() if value}


@bp.get("/inbox")
def inbox():
    form = InboxFilterForm(formdata=request.args)
    form.fill_choices(follow_ups.inbox_filter_options())
    form.clean()
    service_filters, query = _filters(form)
    now = utcnow()
    page = follow_ups.inbox(**service_filters, page=request.args.get("page", 1, type=int), now=now)
    return render_template("console/inbox.html", form=form, page=page, query=query, now=now,
                           counts=follow_ups.inbox_counts(current_user.id, now=now), quick_views=QUICK_VIEWS)
