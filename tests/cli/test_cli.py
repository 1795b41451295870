"""The commands an operator runs: create-org, demo and worker."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from feedback_service import create_app
from feedback_service.core import security
from feedback_service.extensions import db
from feedback_service.models import Journey, Organization, Response, Team, Touchpoint, User
from tests.helpers.assertions import row_counts


def run_json(runner, *args) -> dict:
    """Run a command that prints one JSON object; return it."""
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


# --- create-org ---------------------------------------------------------------------

def test_create_org_prints_the_contracts_json(runner):
    created = run_json(runner, "create-org", "Acme Shoes", "--admin-email", "Boss@Acme.example", "--json")

    assert set(created) == {"organization", "api_key", "admin"}
    assert set(created["organization"]) == {"id", "name"} and created["organization"]["name"] == "Acme Shoes"
    assert isinstance(created["organization"]["id"], int)
    assert created["api_key"].startswith("sk_")
    assert set(created["admin"]) == {"email", "password"}
    assert created["admin"]["email"] == "boss@acme.example"
    assert len(created["admin"]["password"]) >= 12


def test_create_org_gives_a_key_that_manages_journeys_and_touchpoints(client, runner):
    key = bearer(run_json(runner, "create-org", "Acme Shoes", "--admin-email", "boss@acme.example",
                          "--json")["api_key"])

    journey = client.post("/api/v1/journeys", json={"name": "Buying"}, headers=key)
    touchpoint = client.post("/api/v1/touchpoints", json={"journey_id": journey.get_json()["id"], "name": "Checkout",
                                                         "survey": {"metric": "ces"}}, headers=key)
    renamed = client.patch(f"/api/v1/touchpoints/{touchpoint.get_json()['id']}", json={"name": "Pay"}, headers=key)
    listed = client.get(f"/api/v1/journeys/{journey.get_json()['id']}", headers=key)

    assert (journey.status_code, touchpoint.status_code, renamed.status_code) == (201, 201, 200)
    assert [t["name"] for t in listed.get_json()["touchpoints"]] == ["Pay"]
    assert client.delete(f"/api/v1/touchpoints/{touchpoint.get_json()['id']}", headers=key).status_code == 204
    assert client.delete(f"/api/v1/journeys/{journey.get_json()['id']}", headers=key).status_code == 409


def test_create_org_admin_password_verifies_and_is_stored_hashed(app, runner):
    created = run_json(runner, "create-org", "Acme Shoes", "--admin-email", "boss@acme.example", "--json")

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "boss@acme.example"))
        assert (admin.role, admin.organization_id) == ("admin", created["organization"]["id"])
        assert admin.password_hash.startswith("$argon2id$")
        assert created["admin"]["password"] not in admin.password_hash
        assert security.verify_password(created["admin"]["password"], admin.password_hash)
        assert not security.verify_password("not-the-password", admin.password_hash)
        db.session.remove()


def test_create_org_honours_a_given_admin_password(app, runner):
    created = run_json(runner, "create-org", "Acme Shoes", "--admin-email", "boss@acme.example",
                       "--admin-password", "correct horse battery staple", "--json")

    assert created["admin"]["password"] == "correct horse battery staple"
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "boss@acme.example"))
        assert security.verify_password("correct horse battery staple", admin.password_hash)
        db.session.remove()


def test_create_org_twice_makes_two_separate_tenants(client, runner):
    first = run_json(runner, "create-org", "Acme", "--admin-email", "a@acme.example", "--json")
    second = run_json(runner, "create-org", "Bolt", "--admin-email", "b@bolt.example", "--json")
    client.post("/api/v1/journeys", json={"name": "Acme's journey"}, headers=bearer(first["api_key"]))

    assert first["organization"]["id"] != second["organization"]["id"]
    assert client.get("/api/v1/journeys", headers=bearer(second["api_key"])).get_json()["data"] == []


@pytest.mark.parametrize("email", ["not-an-email", "boss@", "@acme.example", ""])
def test_create_org_with_a_bad_email_is_a_usage_error_that_creates_nothing(app, runner, email):
    before = row_counts(app)

    result = runner.invoke(args=["create-org", "Acme", "--admin-email", email, "--json"])

    assert result.exit_code == 2
    assert "--admin-email" in result.output
    assert result.stdout == ""  # nothing a script could mistake for credentials
    assert row_counts(app) == before


def test_create_org_without_an_email_is_a_usage_error(runner):
    result = runner.invoke(args=["create-org", "Acme", "--json"])

    assert result.exit_code == 2
    assert "--admin-email" in result.output


def test_create_org_with_a_name_longer_than_the_column_is_a_usage_error(app, runner):
    result = runner.invoke(args=["create-org", "A" * 201, "--admin-email", "boss@acme.example", "--json"])

    assert result.exit_code == 2, result.output
    assert "NAME" in result.output
    assert row_counts(app)["organization"] == 0


def test_create_org_refuses_a_short_admin_password(app, runner):
    result = runner.invoke(args=["create-org", "Acme", "--admin-email", "boss@acme.example",
                                 "--admin-password", "short", "--json"])

    assert result.exit_code == 2
    assert "--admin-password" in result.output
    assert row_counts(app)["organization"] == 0


def test_create_org_without_json_prints_the_credentials_readably(runner):
    result = runner.invoke(args=["create-org", "Acme", "--admin-email", "boss@acme.example"])

    assert result.exit_code == 0
    assert "sk_" in result.stdout and "boss@acme.example" in result.stdout


# --- demo ---------------------------------------------------------------------------

DEMO_TOUCHPOINTS = ["Advertisement", "Browse the shop", "Cart & checkout", "Contact support", "Delivery", "Returns"]


@dataclass
class DemoRun:
    """``demo --json`` run twice on an empty database, and what the API then showed."""

    first: dict
    second: dict
    counts_after_first: dict
    counts_after_second: dict
    journeys: list
    journey: dict
    teams: list
    responses: list
    password_verifies: bool


def demo_counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                  for model in (Organization, Journey, Touchpoint, Team, User, Response)}
        db.session.remove()
    return counts


@pytest.fixture(scope="module")
def demo_run(app) -> DemoRun:
    # Seeding the demo takes a second or more; run it once for the module and
    # keep what it showed (each test still starts from an empty database).
    runner, client = app.test_cli_runner(), app.test_client()
    first = run_json(runner, "demo", "--json")
    counts_after_first = demo_counts(app)
    second = run_json(runner, "demo", "--json")
    key = bearer(first["api_key"])
    journeys = client.get("/api/v1/journeys", headers=key).get_json()["data"]
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == first["admin"]["email"]))
        password_verifies = security.verify_password(first["admin"]["password"], admin.password_hash)
        db.session.remove()
    return DemoRun(
        first=first, second=second, counts_after_first=counts_after_first, counts_after_second=demo_counts(app),
        journeys=journeys,
        journey=client.get(f"/api/v1/journeys/{journeys[0]['id']}", headers=key).get_json(),
        teams=client.get("/api/v1/teams", headers=key).get_json()["data"],
        responses=client.get("/api/v1/responses?limit=200", headers=key).get_json()["data"],
        password_verifies=password_verifies,
    )


def test_demo_run_twice_prints_the_same_credentials(demo_run):
    assert demo_run.second == demo_run.first
    assert demo_run.first["api_key"].startswith("sk_")
    assert set(demo_run.first) == {"organization", "api_key", "admin"}


def test_demo_run_twice_does_not_duplicate_rows(demo_run):
    assert demo_run.counts_after_second == demo_run.counts_after_first
    assert demo_run.counts_after_first["Organization"] == 1
    assert demo_run.counts_after_first["Journey"] == 1
    assert demo_run.counts_after_first["Response"] > 0


def test_demo_journey_runs_from_advertisement_to_returns(demo_run):
    assert len(demo_run.journeys) == 1
    assert [(t["position"], t["name"]) for t in demo_run.journey["touchpoints"]] == list(
        enumerate(DEMO_TOUCHPOINTS, 1))


def test_demo_has_five_staffed_teams_owning_the_touchpoints(demo_run):
    assert {t["name"] for t in demo_run.teams} == {"Marketing", "Web", "Support", "Shipping", "Procurement"}
    assert all(t["member_ids"] for t in demo_run.teams)
    owners = {t["team_id"] for t in demo_run.journey["touchpoints"]}
    assert None not in owners and owners <= {t["id"] for t in demo_run.teams}


def test_demo_responses_cover_every_touchpoint_newest_first(demo_run):
    assert len({r["touchpoint_id"] for r in demo_run.responses}) == 6
    assert all(r["customer_id"] for r in demo_run.responses)
    created = [r["created_at"] for r in demo_run.responses]
    assert created == sorted(created, reverse=True)


def test_demo_comments_are_scored_once_the_command_returns(demo_run):
    statuses = {r["sentiment"]["status"] for r in demo_run.responses}
    labels = {r["sentiment"]["label"] for r in demo_run.responses if r["sentiment"]["status"] == "scored"}

    assert statuses == {"scored", "skipped"}  # nothing left pending: scoring ran after the commit
    assert {"positive", "negative"} <= labels


def test_demo_admin_password_verifies(demo_run):
    assert demo_run.password_verifies


# --- worker -------------------------------------------------------------------------

def test_worker_without_redis_sweeps_in_its_own_process(app, runner, org, make_touchpoint, make_response):
    """The session app has no REDIS_URL, as a fresh checkout would not: the worker is then the
    clock of the sweep, and what it finds (here, an answer nobody scored) is done right there."""
    touchpoint_id, _ = make_touchpoint(org)
    response_id = make_response(org, touchpoint_id, score=5, comment="Lovely shoes, fast delivery.")

    result = runner.invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert (response.sentiment_status, response.sentiment_label) == ("scored", "positive")
        db.session.remove()


def burst_with_redis(app_config, redis_url):
    """``worker --burst`` as a deployment with Redis runs it, against the suite's database."""
    redis_app = create_app({**app_config, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://"})
    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    with redis_app.app_context():
        db.engine.dispose()
    return result


def test_worker_burst_scores_what_was_left_pending(app, app_config, redis_url, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org)
    response_id = make_response(org, touchpoint_id, score=1, comment="Awful. Late and broken.")

    result = burst_with_redis(app_config, redis_url)

    assert result.exit_code == 0, result.output
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert (response.sentiment_status, response.sentiment_label) == ("scored", "negative")
        db.session.remove()


def test_worker_burst_with_redis_sweeps_everything_the_periodic_sweep_does(
        app, app_config, redis_url, org, client, make_team, make_touchpoint):
    from datetime import timedelta

    from feedback_service.models import FollowUp, utcnow

    team_id = make_team(org, "Support", members=1)
    _, pk = make_touchpoint(org, team_id=team_id)
    client.post(f"/w/{pk}/responses", json={"score": 1, "comment": "Nobody called back."})
    with app.app_context():
        follow_up = db.session.scalars(select(FollowUp)).one()
        follow_up.due_at = utcnow() - timedelta(hours=1)  # overdue, and nobody has checked yet
        db.session.commit()

    result = burst_with_redis(app_config, redis_url)

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(FollowUp)).one().sla_breached_at is not None  # the SLA check ran
        db.session.remove()


def test_worker_burst_without_redis_answering_says_what_to_do(app_config):
    unreachable = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://"})

    result = unreachable.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 1
    assert "Redis is not answering" in result.output and "unset REDIS_URL" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("touchpoint,message", [
    ("999", "No touchpoint with id 999"),
    ("99999999999999999999", "is not in the range"),
    ("-5", "is not in the range"),
])
def test_rescore_for_a_touchpoint_that_cannot_exist_is_a_clear_error(runner, touchpoint, message):
    result = runner.invoke(args=["rescore", "--touchpoint", touchpoint])
    assert result.exit_code != 0
    assert message in result.output


def test_a_bad_setting_stops_the_commands_with_its_message_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import repo_root

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/bad.db", "SENTIMENT_POSITIVE_THRESHOLD": "abc"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=repo_root(),
                          env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert "SENTIMENT_POSITIVE_THRESHOLD must be" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_demo_allows_its_own_origin_when_the_service_sits_under_a_path(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://Feedback.example.com:443/stride/")
    first = run_json(app.test_cli_runner(), "demo", "--json")

    touchpoints = app.test_client().get("/api/v1/touchpoints", headers=bearer(first["api_key"])).json["data"]

    assert {tuple(t["allowed_origins"]) for t in touchpoints} == {("https://feedback.example.com",)}
