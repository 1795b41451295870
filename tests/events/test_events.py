"""The event log: written with the change, paged with a cursor, scoped to the tenant."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from feedback_service.core.database import commit
from feedback_service.core.pagination import encode_cursor
from feedback_service.events import log as events
from feedback_service.extensions import db
from feedback_service.models import Event, utcnow


def test_an_answer_with_a_comment_logs_created_then_scored(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, name="Contact support")
    answer = client.post(f"/w/{pk}/responses", json={"score": 1, "comment": "Waited 15 minutes. Awful.",
                                                     "customer": {"id": "c-1"}}).json
    page = client.get("/api/v1/events", headers=org.headers).json
    response_events = [e for e in page["data"] if e["type"].startswith("response.")]
    assert [e["type"] for e in response_events] == ["response.created", "response.scored"]
    created, scored = response_events
    assert created["data"]["response"]["id"] == answer["id"]
    assert created["data"]["touchpoint"]["name"] == "Contact support"
    assert created["data"]["question"] == "How satisfied are you with your experience?"
    assert created["data"]["customer"]["external_id"] == "c-1"
    assert scored["data"]["response"]["sentiment"]["label"] == "negative"
    assert scored["data"]["response"]["sentiment"]["status"] == "scored"


def test_a_replayed_answer_logs_nothing_more(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)
    for _ in range(3):
        client.post(f"/w/{pk}/responses", json={"score": 4}, headers={"Idempotency-Key": "same"})
    types = [e["type"] for e in client.get("/api/v1/events", headers=org.headers).json["data"]]
    assert types == ["response.created"]


def test_a_consumer_resumes_after_its_last_cursor(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)
    for score in (1, 2, 3):
        client.post(f"/w/{pk}/responses", json={"score": score})
    url = "/api/v1/events?type=response.created"
    first = client.get(f"{url}&limit=2", headers=org.headers).json
    rest = client.get(f"{url}&after={first['data'][-1]['cursor']}", headers=org.headers).json
    scores = [e["data"]["response"]["score"] for e in first["data"] + rest["data"]]
    assert scores == [1, 2, 3]
    assert rest["next_cursor"] is None


def test_events_filter_by_type_and_refuse_unknown_types(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)
    client.post(f"/w/{pk}/responses", json={"score": 4, "comment": "Meh, slow."})
    scored = client.get("/api/v1/events?type=response.scored", headers=org.headers).json["data"]
    bad = client.get("/api/v1/events?type=response.deleted", headers=org.headers)
    assert [e["type"] for e in scored] == ["response.scored"]
    assert bad.status_code == 422 and "type" in bad.json["errors"]


def test_another_organisation_sees_none_of_the_events(client, org, make_org, make_touchpoint):
    _, pk = make_touchpoint(org)
    client.post(f"/w/{pk}/responses", json={"score": 5})
    other = make_org("Other")
    assert client.get("/api/v1/events", headers=other.headers).json["data"] == []


def test_following_next_cursor_with_cursor_pages_forward(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)
    for score in (1, 2, 3):
        client.post(f"/w/{pk}/responses", json={"score": score})
    url = "/api/v1/events?type=response.created&limit=1"
    scores, cursor = [], None
    for _ in range(4):
        page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=org.headers).json
        scores += [e["data"]["response"]["score"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert scores == [1, 2, 3]


def test_after_and_cursor_naming_different_positions_is_a_422(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)
    for score in (1, 2):
        client.post(f"/w/{pk}/responses", json={"score": score})
    url = "/api/v1/events?type=response.created"
    first, second = client.get(url, headers=org.headers).json["data"]
    refused = client.get(f"{url}&after={first['cursor']}&cursor={second['cursor']}", headers=org.headers)
    same = client.get(f"{url}&after={first['cursor']}&cursor={first['cursor']}", headers=org.headers)
    assert refused.status_code == 422 and "cursor" in refused.json["errors"]
    assert [e["id"] for e in same.json["data"]] == [second["id"]]


# --- commit order --------------------------------------------------------------------
# A consumer stores the cursor of the last event it processed and resumes after it.
# That is only safe if no event can later appear *before* a cursor already handed out.

class OpenTransaction:
    """An event recorded on its own thread and session, left uncommitted until ``commit()``."""

    def __init__(self, app, tenant, data: dict):
        self._recorded, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, args=(app, tenant, data))
        self._thread.start()
        assert self._recorded.wait(10), "the first transaction could not record its event"

    def _run(self, app, tenant, data):
        with app.app_context(), tenant.scope():
            events.record("alert.triggered", data)
            db.session.flush()  # the event row, and its id, exist: uncommitted
            self._recorded.set()
            self._release.wait(10)
            commit()
            db.session.remove()

    def commit(self):
        self._release.set()
        self._thread.join(10)


def record_and_commit(app, tenant, data: dict) -> threading.Thread:
    """Another writer records an event and commits, on a thread (SQLite makes it wait its turn)."""
    def run():
        with app.app_context(), tenant.scope():
            events.record("alert.triggered", data)
            commit()
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def alerts(client, org, cursor=None):
    page = client.get("/api/v1/events?type=alert.triggered" + (f"&after={cursor}" if cursor else ""),
                      headers=org.headers).json
    return [e["data"]["n"] for e in page["data"]], (page["data"][-1]["cursor"] if page["data"] else cursor)


def test_an_event_that_commits_after_a_later_one_is_not_skipped_by_a_resuming_consumer(
        app, client, org, database_kind, monkeypatch):
    monkeypatch.setitem(app.config, "EVENT_LOG_SETTLE_SECONDS", 0.2)
    record_and_commit(app, org, {"n": 0}).join(10)
    seen, cursor = alerts(client, org)
    assert seen == [0]

    first = OpenTransaction(app, org, {"n": 1})       # draws the lower id, commits last
    second = record_and_commit(app, org, {"n": 2})    # draws the higher id
    second.join(0.3)
    if database_kind == "postgresql":
        assert not second.is_alive()                   # ...and commits first
    else:
        assert second.is_alive()                       # SQLite: waits for the first writer

    # Nothing past the gap: showing 2 would move the consumer's cursor past 1 for good.
    assert alerts(client, org, cursor) == ([], cursor)

    first.commit()
    second.join(10)
    monkeypatch.setitem(app.config, "EVENT_LOG_SETTLE_SECONDS", 1.0)
    resumed, _ = alerts(client, org, cursor)
    assert resumed == [1, 2]
    assert alerts(client, org)[0] == [0, 1, 2]


def test_a_page_waits_briefly_for_an_older_transaction_instead_of_stopping_short(
        app, client, org, database_kind, monkeypatch):
    monkeypatch.setitem(app.config, "EVENT_LOG_SETTLE_SECONDS", 5.0)
    first = OpenTransaction(app, org, {"n": 1})
    second = record_and_commit(app, org, {"n": 2})
    with ThreadPoolExecutor(max_workers=1) as consumer:
        started = time.monotonic()
        page = consumer.submit(lambda: alerts(app.test_client(), org)[0])
        time.sleep(0.3)
        first.commit()
        second.join(10)
        if database_kind == "postgresql":
            # The committed 2 was held back by the open transaction; the page waited for it.
            assert page.result(10) == [1, 2]
        else:
            # SQLite: the second writer had not committed; a reader never waits for writers.
            assert page.result(10) == []
        assert time.monotonic() - started < 5.0


def test_every_way_of_recording_an_event_stamps_its_transaction(app, client, org, make_touchpoint, database_kind):
    _, pk = make_touchpoint(org)
    # response.created by the ORM; response.scored by the scoring job's own SQL on PostgreSQL
    client.post(f"/w/{pk}/responses", json={"score": 2, "comment": "Slow and rude."})
    with app.app_context():
        events.record_many([{"organization_id": org.id, "type": "alert.triggered", "created_at": utcnow(),
                             "data": {"n": 1}}])  # Core insert()
        commit()
        stamped = dict(db.session.execute(select(Event.type, Event.txid)).all())

    assert {"response.created", "response.scored", "alert.triggered"} <= set(stamped)
    if database_kind == "postgresql":
        assert all(isinstance(txid, int) and txid > 0 for txid in stamped.values())
    else:
        assert set(stamped.values()) == {None}  # one writer at a time: ids alone are in commit order


def test_a_cursor_holding_only_an_event_id_still_resumes_after_that_event(client, org, make_touchpoint):
    # Cursors handed out before events recorded their transaction name only the id.
    _, pk = make_touchpoint(org)
    for score in (1, 2, 3):
        client.post(f"/w/{pk}/responses", json={"score": score})
    first = client.get("/api/v1/events?type=response.created", headers=org.headers).json["data"][0]

    rest = client.get(f"/api/v1/events?type=response.created&after={encode_cursor([first['id']])}",
                      headers=org.headers).json
    assert [e["data"]["response"]["score"] for e in rest["data"]] == [2, 3]


def test_an_empty_type_filter_means_every_type(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)
    client.post(f"/w/{pk}/responses", json={"score": 4, "comment": "Fine."})
    every = client.get("/api/v1/events", headers=org.headers).json["data"]

    empty = client.get("/api/v1/events?type=&after=", headers=org.headers)

    assert empty.status_code == 200
    assert empty.json["data"] == every and every
    assert client.get("/api/v1/events?type=&bogus=1", headers=org.headers).status_code == 422
