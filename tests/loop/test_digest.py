"""The daily digest: once a day, each member of staff is told about the follow-ups they own."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from feedback_service import create_app
from feedback_service.config import ConfigError, from_environ
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.loop import digests
from feedback_service.loop import jobs as digest_tasks
from feedback_service.models import FollowUp, FollowUpActivity, OutboundEmail, User, utcnow
from feedback_service.worker.schedule import run_periodic_jobs as periodic_sweep
from tests.helpers.console import page_text, post_form, sign_in

# A fixed moment on today's date: content tests pass it to the service, so what is
# "overdue" or "due today" does not depend on when the suite runs.
NOON = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
TODAY = NOON.date()
CHECKED_BOX = re.compile(r'<input(?=[^>]*name="digest_enabled")(?=[^>]*\bchecked\b)[^>]*type="checkbox"')


@pytest.fixture
def any_hour(app, monkeypatch):
    """The sweep sends digests whatever the hour the suite runs at."""
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 0)


@pytest.fixture
def desk(app, org, make_team, make_touchpoint):
    """A team of one (so routing gives them every follow-up) and its touchpoint; returns
    (owner id, touchpoint id)."""
    team_id = make_team(org, "Support", members=1)
    touchpoint_id, _ = make_touchpoint(org, name="Contact support", team_id=team_id)
    with app.app_context(), org.scope():
        owner_id = db.session.scalar(select(User.id).where(User.email == "support0@staff.example"))
    return owner_id, touchpoint_id


def digest_emails(app, to: str | None = None) -> list[OutboundEmail]:
    with app.app_context():
        query = select(OutboundEmail).where(OutboundEmail.kind == "digest").order_by(OutboundEmail.id)
        if to is not None:
            query = query.where(OutboundEmail.to_address == to)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def send_now(app, user_id: int, now: datetime = NOON) -> str:
    """What the job does for one person, at ``now``."""
    with app.app_context():
        outcome = digests.send_digest(user_id, now.date(), now)
        commit()
        return outcome


def sweep(app) -> int:
    with app.app_context():
        return digest_tasks.sweep_digests()


def section(body: str, title: str) -> list[str]:
    """The lines of one section of the digest, its title line excluded; [] when it is absent."""
    lines = body.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"{title} (")]
    if not starts:
        return []
    rest = lines[starts[0] + 1:]
    return rest[:rest.index("")] if "" in rest else rest


def link(follow_up_id: int) -> str:
    return f"http://feedback.test/follow-ups/{follow_up_id}"


def user_column(app, user_id: int, column: str):
    with app.app_context():
        return db.session.scalar(select(getattr(User, column)).where(User.id == user_id))


# --- what a digest says -------------------------------------------------------------

def test_the_digest_lists_open_follow_ups_by_status_the_overdue_and_those_due_today(app, org, desk,
                                                                                   make_follow_up):
    owner_id, touchpoint_id = desk
    overdue = make_follow_up(org, touchpoint_id, comment="Fifteen minutes on hold.", due_in=NOON - utcnow()
                             - timedelta(hours=3))
    due_today = make_follow_up(org, touchpoint_id, comment="Nobody called back.", status="in_progress",
                               due_in=NOON - utcnow() + timedelta(hours=5))
    later = make_follow_up(org, touchpoint_id, comment="Parcel late.", due_in=NOON - utcnow() + timedelta(days=3))
    # Answered: waiting on the customer, so not late whatever its due date says.
    answered = make_follow_up(org, touchpoint_id, comment="Wrong size.", status="responded",
                              due_in=NOON - utcnow() - timedelta(days=1))
    closed = make_follow_up(org, touchpoint_id, comment="Refund slow.", status="resolved")

    assert send_now(app, owner_id) == "sent"

    [email] = digest_emails(app)
    assert email.to_address == "support0@staff.example"
    assert email.status == "outbox"  # no SMTP_URL in the tests: it waits, visibly unsent
    assert email.organization_id == org.id
    assert email.subject == f"Your follow-ups for {NOON:%a %d %b}: 1 overdue, 1 due today, 4 new, 4 open"
    body = email.body
    assert "Open: 4 (assigned 2, in progress 1, responded 1)" in body
    overdue_lines = section(body, "Overdue")
    assert overdue_lines[0].startswith(f"  - #{overdue} Contact support [")
    assert "“Fifteen minutes on hold.”" in overdue_lines[1]
    assert overdue_lines[2].strip() == link(overdue)
    assert len(overdue_lines) == 3
    assert [line.strip() for line in section(body, "Due today") if line.strip().startswith("http")] == \
        [link(due_today)]
    for absent in (later, answered):
        assert link(absent) not in "\n".join(section(body, "Overdue") + section(body, "Due today"))
    assert link(closed) not in body
    assert "All your open follow-ups: http://feedback.test/inbox?owner=mine" in body
    assert "http://feedback.test/settings#notifications" in body


def test_newly_assigned_means_assigned_since_the_last_digest(app, org, desk, make_follow_up):
    owner_id, touchpoint_id = desk
    older = make_follow_up(org, touchpoint_id, comment="Old one.")
    newer = make_follow_up(org, touchpoint_id, comment="New one.")
    last_digest = utcnow() - timedelta(hours=1)
    with app.app_context():
        db.session.execute(update(User).where(User.id == owner_id).values(last_digest_at=last_digest))
        db.session.execute(update(FollowUpActivity).where(FollowUpActivity.follow_up_id == older,
                                                          FollowUpActivity.kind == "assigned")
                           .values(created_at=last_digest - timedelta(hours=20)))
        db.session.commit()

    assert send_now(app, owner_id, utcnow()) == "sent"

    [email] = digest_emails(app)
    newly = "\n".join(section(email.body, "Newly assigned to you"))
    assert link(newer) in newly
    assert link(older) not in newly
    assert "Open: 2 (assigned 2)" in email.body
    assert user_column(app, owner_id, "last_digest_at") > last_digest


def test_a_long_section_lists_twenty_and_links_to_the_rest(app, org, desk, make_follow_up, monkeypatch):
    monkeypatch.setattr(digests, "SECTION_LIMIT", 2)
    owner_id, touchpoint_id = desk
    for n in range(3):
        make_follow_up(org, touchpoint_id, comment=f"Late {n}.", due_in=NOON - utcnow() - timedelta(hours=n + 1))

    send_now(app, owner_id)

    lines = section(digest_emails(app)[0].body, "Overdue")
    assert sum(line.startswith("  - #") for line in lines) == 2
    assert lines[-1] == "  … and 1 more: http://feedback.test/inbox?owner=mine&overdue=y"


# --- who gets one -------------------------------------------------------------------

def test_nobody_with_nothing_open_is_emailed(app, org, desk, make_follow_up, make_staff, any_hour):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id, status="resolved")
    idle_agent = make_staff(org, role="agent")

    assert sweep(app) >= 2

    assert digest_emails(app) == []
    # Their day is done all the same: the sweep does not ask again every 30 seconds.
    assert user_column(app, owner_id, "digest_sent_on") == utcnow().date()
    assert user_column(app, idle_agent, "digest_sent_on") == utcnow().date()
    assert sweep(app) == 0


def test_an_opted_out_user_gets_no_digest_until_they_opt_in_again(app, client, org, desk, make_follow_up,
                                                                   any_hour):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)

    opted_out = client.patch(f"/api/v1/users/{owner_id}", json={"digest_enabled": False}, headers=org.headers)
    assert opted_out.status_code == 200 and opted_out.get_json()["digest_enabled"] is False
    sweep(app)
    assert digest_emails(app) == []
    assert user_column(app, owner_id, "digest_sent_on") is None

    client.patch(f"/api/v1/users/{owner_id}", json={"digest_enabled": True}, headers=org.headers)
    sweep(app)
    assert len(digest_emails(app, to="support0@staff.example")) == 1
    assert client.get(f"/api/v1/users/{owner_id}", headers=org.headers).get_json()["last_digest_at"] is not None


def test_opting_out_after_the_sweep_looked_still_stops_the_digest(app, org, desk, make_follow_up):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)
    with app.app_context():
        db.session.execute(update(User).where(User.id == owner_id).values(digest_enabled=False))
        db.session.commit()

    assert send_now(app, owner_id) == "skipped"
    assert digest_emails(app) == []


def test_users_can_be_created_opted_out_through_the_api(client, org):
    created = client.post("/api/v1/users", json={"email": "quiet@org.example", "digest_enabled": False},
                          headers=org.headers)
    assert created.status_code == 201
    assert created.get_json()["digest_enabled"] is False
    default = client.post("/api/v1/users", json={"email": "loud@org.example"}, headers=org.headers)
    assert default.get_json()["digest_enabled"] is True


def test_viewers_are_left_out_unless_they_still_own_open_follow_ups(app, client, org, desk, make_follow_up,
                                                                   make_staff):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)
    idle_viewer = make_staff(org, role="viewer")
    with app.app_context():
        due = set(digests.recipients_due(TODAY))
    assert owner_id in due and idle_viewer not in due

    # Made a viewer while owning work: they still hear about it.
    client.patch(f"/api/v1/users/{owner_id}", json={"role": "viewer"}, headers=org.headers)
    with app.app_context():
        assert owner_id in digests.recipients_due(TODAY)
    assert send_now(app, owner_id) == "sent"


def test_deactivated_staff_get_no_digest(app, client, org, desk, make_follow_up, any_hour):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)
    client.patch(f"/api/v1/users/{owner_id}", json={"is_active": False}, headers=org.headers)

    sweep(app)

    assert digest_emails(app) == []


# --- once a day ---------------------------------------------------------------------

def test_the_sweep_run_twice_sends_one_digest_per_person(app, org, desk, make_follow_up, any_hour):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)

    with app.app_context():
        periodic_sweep()
        periodic_sweep()

    assert len(digest_emails(app)) == 1
    assert user_column(app, owner_id, "digest_sent_on") == utcnow().date()
    # The job itself, run again (a retry, a duplicate enqueue), sends nothing more.
    with app.app_context():
        assert digest_tasks.send_digest(owner_id, utcnow().date().isoformat()) == "skipped"
    assert len(digest_emails(app)) == 1


def test_two_workers_at_once_send_one_digest(app, org, desk, make_follow_up):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        with app.app_context():
            start.wait()
            try:
                outcomes.append(digest_tasks.send_digest(owner_id, utcnow().date().isoformat()))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(digest_emails(app)) == 1


def test_tomorrow_brings_a_new_digest(app, org, desk, make_follow_up):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)

    assert send_now(app, owner_id, NOON - timedelta(days=1)) == "sent"
    assert send_now(app, owner_id, NOON - timedelta(days=1)) == "skipped"
    assert send_now(app, owner_id, NOON) == "sent"

    assert len(digest_emails(app)) == 2


def test_a_job_that_waited_past_midnight_sends_nothing(app, org, desk, make_follow_up):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)

    with app.app_context():
        assert digest_tasks.send_digest(owner_id, (utcnow().date() - timedelta(days=1)).isoformat()) == "stale"

    assert digest_emails(app) == []
    assert user_column(app, owner_id, "digest_sent_on") is None


# --- tenants ------------------------------------------------------------------------

def test_another_organisations_follow_ups_never_appear(app, org, desk, make_org, make_team, make_touchpoint,
                                                       make_follow_up):
    owner_id, touchpoint_id = desk
    ours = make_follow_up(org, touchpoint_id, comment="Our customer.")
    other = make_org("Rival Boots")
    their_team = make_team(other, "Returns", members=1)
    their_touchpoint, _ = make_touchpoint(other, name="Rival returns desk", team_id=their_team)
    theirs = make_follow_up(other, their_touchpoint, comment="Their customer's secret.")
    # A row pointing across tenants, as a bug elsewhere might leave one: the digest still
    # lists only what its reader's organisation holds.
    with app.app_context():
        db.session.execute(update(FollowUp.__table__).where(FollowUp.__table__.c.id == theirs)
                           .values(owner_id=owner_id))
        db.session.commit()

    assert send_now(app, owner_id) == "sent"

    [email] = digest_emails(app, to="support0@staff.example")
    assert link(ours) in email.body
    assert link(theirs) not in email.body
    assert "Rival" not in email.body and "secret" not in email.body
    assert "Open: 1 (assigned 1)" in email.body
    assert email.organization_id == org.id


# --- the hour -----------------------------------------------------------------------

@pytest.mark.parametrize(("at", "expected"), [
    (datetime(2026, 3, 9, 7, 59, 59, tzinfo=UTC), None),
    (datetime(2026, 3, 9, 8, 0, tzinfo=UTC), date(2026, 3, 9)),
    (datetime(2026, 3, 9, 23, 59, tzinfo=UTC), date(2026, 3, 9)),
    (datetime(2026, 3, 10, 0, 30, tzinfo=UTC), None),
])
def test_a_digest_is_due_from_digest_hour_until_the_day_ends(app, at, expected):
    with app.app_context():
        assert app.config["DIGEST_HOUR"] == 8
        assert digests.digest_day(at) == expected


def test_the_sweep_waits_for_digest_hour(app, org, desk, make_follow_up, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 8)
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)
    today = utcnow()

    with app.app_context():
        assert digest_tasks.sweep_digests(today.replace(hour=7, minute=59)) == 0
    assert digest_emails(app) == []

    with app.app_context():
        assert digest_tasks.sweep_digests(today.replace(hour=8, minute=0)) >= 1
    assert len(digest_emails(app)) == 1


def test_digest_hour_comes_from_the_environment_and_must_be_an_hour(app_config):
    assert from_environ({"DIGEST_HOUR": "6"})["DIGEST_HOUR"] == 6
    with pytest.raises(ConfigError, match="DIGEST_HOUR"):
        from_environ({"DIGEST_HOUR": "-1"})
    with pytest.raises(ConfigError, match="DIGEST_HOUR"):
        create_app({**app_config, "DIGEST_HOUR": 24})


# --- the CLI ------------------------------------------------------------------------

def test_the_cli_dry_run_prints_what_it_would_send_and_sends_nothing(app, runner, org, desk, make_follow_up):
    owner_id, touchpoint_id = desk
    follow_up_id = make_follow_up(org, touchpoint_id, comment="Fifteen minutes on hold.")

    result = runner.invoke(args=["digest", "--dry-run", "--show-body"])

    assert result.exit_code == 0, result.output
    assert "support0@staff.example: Your follow-ups for" in result.stdout
    assert link(follow_up_id) in result.stdout
    assert "Dry run: would send 1 digest;" in result.stdout
    assert digest_emails(app) == []
    assert user_column(app, owner_id, "digest_sent_on") is None


def test_the_cli_sends_now_whatever_the_hour_and_once(app, runner, org, desk, make_follow_up, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 23)  # the CLI does not wait for it
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)

    first = runner.invoke(args=["digest"])
    again = runner.invoke(args=["digest"])

    assert first.exit_code == 0, first.output
    assert "Sent 1 digest;" in first.stdout
    assert "Sending" in first.stderr  # the progress bar
    assert again.exit_code == 0 and "Nobody is due a digest" in again.stdout
    assert len(digest_emails(app)) == 1


def test_the_cli_sends_to_one_organisation_only(app, runner, org, desk, make_org, make_team, make_touchpoint,
                                               make_follow_up):
    owner_id, touchpoint_id = desk
    make_follow_up(org, touchpoint_id)
    other = make_org("Rival Boots")
    their_touchpoint, _ = make_touchpoint(other, name="Returns", team_id=make_team(other, "Returns", members=1))
    make_follow_up(other, their_touchpoint)

    result = runner.invoke(args=["digest", "--org", str(other.id)])

    assert result.exit_code == 0, result.output
    assert [email.to_address for email in digest_emails(app)] == ["returns0@staff.example"]
    assert user_column(app, owner_id, "digest_sent_on") is None


def test_the_cli_refuses_an_unknown_organisation(runner):
    result = runner.invoke(args=["digest", "--org", "9999"])

    assert result.exit_code != 0
    assert "No organisation with id 9999" in result.output


# --- the console --------------------------------------------------------------------

def test_staff_turn_their_digest_off_and_on_in_settings(app, client, org, make_staff):
    agent_id = make_staff(org, role="agent")
    assert sign_in(client, f"agent@org{org.id}.example", "staff-password-123").status_code == 302

    page = page_text(client.get("/settings"))
    assert 'id="notifications"' in page
    assert CHECKED_BOX.search(page), "opted in by default, so the box is ticked"

    off = post_form(client, "/settings", "/settings/notifications", {})
    assert off.status_code == 302 and off.headers["Location"].endswith("/settings#notifications")
    assert user_column(app, agent_id, "digest_enabled") is False
    assert "no longer get the daily digest" in page_text(client.get("/settings"))

    post_form(client, "/settings", "/settings/notifications", {"digest_enabled": "y"})
    assert user_column(app, agent_id, "digest_enabled") is True


def test_the_settings_form_needs_its_csrf_token(app, client, org, make_staff):
    agent_id = make_staff(org, role="agent")
    sign_in(client, f"agent@org{org.id}.example", "staff-password-123")

    refused = client.post("/settings/notifications", data={})

    assert refused.status_code == 400
    assert user_column(app, agent_id, "digest_enabled") is True
