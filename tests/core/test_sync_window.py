"""The sync listings' settle window, and cursors that belong to one ordering.

``updated_at`` is stamped before commit, so a change stamped earlier can
commit after a later one. A consumer paging by ``(updated_at, id)`` must not
have passed it by then: the sync shows a row only once its ``updated_at`` is
older than ``SYNC_SETTLE_SECONDS``. These tests stamp rows by hand and move
the window's clock, so "committed after the consumer's page" is a row
written after that page with an ``updated_at`` from before it.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from feedback_service.core import sync_window
from feedback_service.core.pagination import encode_cursor
from feedback_service.extensions import db
from feedback_service.models import FollowUp, Response, utcnow
from tests.helpers.assertions import assert_error

WINDOW = 5


@pytest.fixture
def clock(app, monkeypatch):
    """The window's idea of now, which a test moves; the window set to ``WINDOW`` seconds."""
    monkeypatch.setitem(app.config, "SYNC_SETTLE_SECONDS", WINDOW)
    now = {"at": utcnow()}
    monkeypatch.setattr(sync_window, "utcnow", lambda: now["at"])
    return now


@pytest.fixture
def touchpoint_id(org, make_touchpoint):
    return make_touchpoint(org)[0]


def stamp(app, model, row_id, at) -> None:
    """Give a row the ``updated_at`` its (simulated) writer stamped before committing."""
    table = model.__table__
    with app.app_context():
        db.session.execute(update(table).where(table.c.id == row_id).values(updated_at=at))
        db.session.commit()


def sync(client, org, path="/api/v1/responses", **query):
    response = client.get(path, query_string=query, headers=org.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(page) -> list[int]:
    return [item["id"] for item in page["data"]]


def answered(app, org, touchpoint_id, make_response, at) -> int:
    response_id = make_response(org, touchpoint_id)
    stamp(app, Response, response_id, at)
    return response_id


def test_a_change_stamped_earlier_but_committed_later_still_reaches_a_consumer_paging_with_its_cursor(
        app, client, org, touchpoint_id, make_response, clock):
    now = clock["at"]
    since = (now - timedelta(days=1)).isoformat()
    settled = [answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=s)) for s in (60, 50, 40)]
    # Stamped 2 s ago and committed at once: too fresh to show.
    quick = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=2))

    first = sync(client, org, updated_after=since, limit=2)
    rest_now = sync(client, org, updated_after=since, limit=10, cursor=first["next_cursor"])
    # Stamped 4 s ago, before ``quick``, by a transaction that commits only now.
    slow = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=4))
    clock["at"] = now + timedelta(seconds=WINDOW + 1)
    rest_later = sync(client, org, updated_after=since, limit=10, cursor=first["next_cursor"])

    assert ids(first) == settled[:2]
    assert ids(rest_now) == settled[2:] and rest_now["next_cursor"] is None
    # The consumer had not passed ``slow``: once settled, it comes in stamp order.
    assert ids(rest_later) == [settled[2], slow, quick]
    # A consumer that stopped at the end of the list resumes after its last row and gets it too.
    mark = rest_now["data"][-1]["updated_at"]
    assert ids(sync(client, org, updated_after=mark)) == [slow, quick]


def test_without_a_window_the_same_late_commit_would_be_skipped(app, client, org, touchpoint_id, make_response,
                                                                clock, monkeypatch):
    """What the window is for: at 0 the consumer's mark passes the late row before it commits."""
    monkeypatch.setitem(app.config, "SYNC_SETTLE_SECONDS", 0)
    now = clock["at"]
    early = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=60))
    quick = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=2))

    seen = sync(client, org, updated_after=(now - timedelta(days=1)).isoformat())
    slow = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=4))
    clock["at"] = now + timedelta(seconds=WINDOW + 1)

    assert ids(seen) == [early, quick]
    assert slow not in ids(sync(client, org, updated_after=seen["data"][-1]["updated_at"]))


def test_a_change_inside_the_window_is_served_once_the_window_has_passed(app, client, org, touchpoint_id,
                                                                         make_response, clock):
    now = clock["at"]
    since = (now - timedelta(hours=1)).isoformat()
    old = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=WINDOW + 1))
    fresh = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=WINDOW - 1))

    before = sync(client, org, updated_after=since)
    clock["at"] = now + timedelta(seconds=2)
    after = sync(client, org, updated_after=since)

    assert ids(before) == [old]
    assert ids(after) == [old, fresh]
    # The newest-first list is for people, not for syncing: it shows everything at once.
    assert set(ids(sync(client, org))) == {old, fresh}


def test_the_follow_ups_sync_waits_for_the_window_too(app, client, org, make_touchpoint, clock):
    _, pk = make_touchpoint(org)
    for text in ("The box was crushed", "Wrong size sent"):
        client.post(f"/w/{pk}/responses", json={"score": 2, "comment": text})
    with app.app_context():
        follow_up_ids = sorted(db.session.scalars(
            select(FollowUp.id).where(FollowUp.organization_id == org.id)))
    assert len(follow_up_ids) == 2
    now = clock["at"]
    stamp(app, FollowUp, follow_up_ids[0], now - timedelta(seconds=WINDOW + 1))
    stamp(app, FollowUp, follow_up_ids[1], now - timedelta(seconds=1))
    since = (now - timedelta(hours=1)).isoformat()

    before = sync(client, org, "/api/v1/follow-ups", updated_after=since)
    clock["at"] = now + timedelta(seconds=WINDOW)
    after = sync(client, org, "/api/v1/follow-ups", updated_after=since)

    assert ids(before) == follow_up_ids[:1]
    assert ids(after) == follow_up_ids


def test_an_export_holds_only_settled_changes(app, client, org, touchpoint_id, make_response, clock):
    now = clock["at"]
    old = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=WINDOW + 1))
    fresh = answered(app, org, touchpoint_id, make_response, now - timedelta(seconds=1))

    def exported() -> list[int]:
        lines = client.get("/api/v1/exports/responses.jsonl", headers=org.headers).get_data(as_text=True)
        return [json.loads(line)["id"] for line in lines.splitlines()]

    before = exported()
    clock["at"] = now + timedelta(seconds=WINDOW)

    assert before == [old]
    assert exported() == [old, fresh]


@pytest.mark.parametrize("path", ["/api/v1/responses", "/api/v1/follow-ups"])
def test_a_cursor_of_one_ordering_is_refused_by_the_other(app, client, org, make_touchpoint, path):
    _, pk = make_touchpoint(org)
    for text in ("Late", "Broken", "Cold"):
        client.post(f"/w/{pk}/responses", json={"score": 1, "comment": text})
    since = "2000-01-01T00:00:00+00:00"
    sync_cursor = sync(client, org, path, updated_after=since, limit=1)["next_cursor"]
    newest_cursor = sync(client, org, path, limit=1)["next_cursor"]
    assert sync_cursor and newest_cursor

    to_newest = assert_error(client.get(path, query_string={"cursor": sync_cursor}, headers=org.headers),
                             422, "cursor")
    to_sync = assert_error(client.get(path, query_string={"cursor": newest_cursor, "updated_after": since},
                                      headers=org.headers), 422, "cursor")

    assert "updated_after" in to_newest["errors"]["cursor"][0]
    assert "start again without cursor" in to_newest["errors"]["cursor"][0]
    assert "newest-first" in to_sync["errors"]["cursor"][0]
    # Each still pages its own ordering.
    assert sync(client, org, path, updated_after=since, cursor=sync_cursor)["data"]
    assert sync(client, org, path, cursor=newest_cursor)["data"]


@pytest.mark.parametrize("cursor", [
    encode_cursor(["2026-03-01T12:00:00+00:00", 1]),  # handed out before cursors named their ordering
    encode_cursor(["2026-03-01T12:00:00+00:00", 1], "elsewhere"),
    encode_cursor(["sync", 1], "sync"),
    encode_cursor([], "sync"),
])
def test_an_untagged_or_foreign_cursor_is_422(client, org, cursor):
    body = assert_error(client.get("/api/v1/responses", query_string={
        "cursor": cursor, "updated_after": "2026-01-01T00:00:00+00:00"}, headers=org.headers), 422, "cursor")
    assert "start again without it" in body["errors"]["cursor"][0]


def test_a_cursor_of_another_list_is_refused(client, org, make_touchpoint):
    """A follow-ups cursor and a responses cursor hold the same kinds of values: each list
    takes only its own, rather than paging from the other's place."""
    _, pk = make_touchpoint(org)
    for text in ("Late", "Broken", "Cold"):
        client.post(f"/w/{pk}/responses", json={"score": 1, "comment": text})
    since = "2000-01-01T00:00:00+00:00"
    responses_cursor = sync(client, org, "/api/v1/responses", updated_after=since, limit=1)["next_cursor"]
    follow_ups_cursor = sync(client, org, "/api/v1/follow-ups", limit=1)["next_cursor"]

    to_follow_ups = assert_error(client.get("/api/v1/follow-ups", headers=org.headers, query_string={
        "cursor": responses_cursor, "updated_after": since}), 422, "cursor")
    to_responses = assert_error(client.get("/api/v1/responses", headers=org.headers, query_string={
        "cursor": follow_ups_cursor}), 422, "cursor")

    assert "another list (of response rows, not follow_up rows)" in to_follow_ups["errors"]["cursor"][0]
    assert "another list (of follow_up rows, not response rows)" in to_responses["errors"]["cursor"][0]
    assert sync(client, org, "/api/v1/responses", updated_after=since, cursor=responses_cursor)["data"]


def test_a_sync_cursor_handed_out_before_cursors_named_their_list_still_pages(client, org, make_touchpoint):
    import base64

    _, pk = make_touchpoint(org)
    for text in ("Late", "Broken", "Cold"):
        client.post(f"/w/{pk}/responses", json={"score": 1, "comment": text})
    since = "2000-01-01T00:00:00+00:00"
    first = sync(client, org, "/api/v1/responses", updated_after=since, limit=1)
    tag, *position = json.loads(base64.urlsafe_b64decode(first["next_cursor"] + "=" * (-len(first["next_cursor"]) % 4)))
    assert tag == "response:sync"
    older = encode_cursor(position, "sync")  # as yesterday's release tagged it

    rest = sync(client, org, "/api/v1/responses", updated_after=since, cursor=older)
    assert [r["comment"] for r in first["data"] + rest["data"]] == ["Late", "Broken", "Cold"]
