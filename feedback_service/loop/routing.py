"""Who owns a new follow-up: the touchpoint's team decides, one person at a time.

Round-robin takes the next active member after the last one assigned;
least-open takes the active member with the fewest follow-ups awaiting action
(``FollowUp.is_awaiting_action``: responded ones wait on the customer, not on them). Both read
and move the team's position under a row lock (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's write lock, taken at BEGIN IMMEDIATE, serialises writers),
so two simultaneous comments never go to the same person by a race.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..core.database import held
from ..extensions import db
from ..models import FollowUp, Team, User, team_member


def choose_owner(team_id: int | None) -> User | None:
    """The member of staff who should take the next follow-up of this team, or None."""
    if team_id is None:
        return None
    state = _team_state(team_id)
    if state.team is None or not state.members:
        return None
    if state.team.assignment == "least_open":
        if state.open_counts is None:
            state.open_counts = _open_counts(state.members)
        owner = min(state.members, key=lambda member: (state.open_counts.get(member.id, 0), member.id))
        # Held for a batch, the count goes on from here: the batch assigns its follow-ups later.
        state.open_counts[owner.id] = state.open_counts.get(owner.id, 0) + 1
    else:
        owner = _next_after(state.members, state.team.last_assigned_user_id)
    state.team.last_assigned_user_id = owner.id
    return owner


def _next_after(members: list[User], last_id: int | None) -> User:
    for member in members:
        if last_id is None or member.id > last_id:
            return member
    return members[0]


def _open_counts(members: list[User]) -> dict[int, int]:
    return dict(db.session.execute(
        select(FollowUp.owner_id, func.count())
        .where(FollowUp.owner_id.in_([m.id for m in members]), FollowUp.is_awaiting_action)
        .group_by(FollowUp.owner_id)
    ).all())


@dataclass
class _TeamState:
    team: Team | None
    members: list[User]               # active, and not viewers
    open_counts: dict[int, int] | None = None  # least-open: open follow-ups per member


def lock_teams(team_ids: Iterable[int]) -> None:
    """In a batch (``core.database.batch``): lock and read these teams now, in id order.

    The team's row lock lasts until the batch commits anyway; its members, and
    for least-open how many open follow-ups each holds, are read here once and
    then kept up to date by the batch's own choices. Locking every team the batch
    will route to at once, in id order, makes two workers whose batches share
    teams queue for them instead of each holding one the other waits for.
    """
    states = held(_HELD)
    for team_id in sorted(set(team_ids)):
        if states is not None and team_id not in states:
            states[team_id] = _read_team(team_id)


_HELD = "routing_teams"


def _team_state(team_id: int) -> _TeamState:
    states = held(_HELD)
    if states is None:
        return _read_team(team_id)
    if team_id not in states:
        states[team_id] = _read_team(team_id)
    return states[team_id]


def _read_team(team_id: int) -> _TeamState:
    # FOR NO KEY UPDATE: serialises choosers without conflicting with the key-share
    # locks that inserting rows which reference the team take.
    team = db.session.scalar(select(Team).where(Team.id == team_id).with_for_update(key_share=True))
    members = [] if team is None else list(db.session.scalars(
        select(User).join(team_member, team_member.c.user_id == User.id)
        .where(team_member.c.team_id == team.id, User.is_active.is_(True), User.role != "viewer")
        .order_by(User.id)
    ))
    return _TeamState(team, members)
