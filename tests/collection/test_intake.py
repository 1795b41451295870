"""Storing an answer: one customer per person, the touchpoint as it is now, the event it owes.

The widget route serves answers from a touchpoint card a few seconds old;
these tests change the touchpoint between two answers and expect the second
to follow the change at once, on both databases (PostgreSQL stores most
answers in a single statement, SQLite in a transaction of several).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import Customer, Event, Response, WebhookDelivery

ORIGIN = "https://shop.example.com"


@pytest.fixture
def touchpoint(org, make_touchpoint):
    tp_id, pk = make_touchpoint(org, name="Cart & checkout", allowed_origins=[ORIGIN], survey={"metric": "csat"})
    return {"id": tp_id, "pk": pk}


def answer(client, pk, body, origin=ORIGIN, key=None):
    headers = {"Origin": origin}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/w/{pk}/responses", json=body, headers=headers)


def rows(app, model, *order):
    with app.app_context():
        found = db.session.scalars(select(model).order_by(*(order or [model.id]))).all()
        db.session.expunge_all()
        return found


# ---- one customer per person -------------------------------------------------------------------

@pytest.mark.parametrize("first, second", [
    ({"id": "u-1"}, {"id": "u-1"}),
    ({"email": "ann@example.com"}, {"email": "ANN@Example.com"}),
    ({"id": "u-1"}, {"id": "u-1", "email": "ann@example.com"}),
    ({"email": "ann@example.com"}, {"id": "u-1", "email": "ann@example.com"}),
    ({"id": "u-1", "email": "ann@example.com"}, {"email": "ann@example.com"}),
])
def test_two_answers_from_one_person_join_one_customer(app, client, touchpoint, first, second):
    assert answer(client, touchpoint["pk"], {"score": 4, "customer": first}).status_code == 201
    assert answer(client, touchpoint["pk"], {"score": 2, "customer": second}).status_code == 201

    [customer] = rows(app, Customer)
    assert {r.customer_id for r in rows(app, Response)} == {customer.id}
    keys = {**first, **second}
    assert (customer.external_id, customer.email) == (keys.get("id"), "ann@example.com" if "email" in keys else None)
    assert customer.first_seen_at <= customer.last_seen_at


def test_an_email_another_account_owns_is_not_copied_onto_a_new_one(app, client, touchpoint):
    answer(client, touchpoint["pk"], {"score": 4, "customer": {"id": "u-1", "email": "shared@example.com"}})
    answer(client, touchpoint["pk"], {"score": 4, "customer": {"id": "u-2", "email": "shared@example.com"}})

    customers = rows(app, Customer)
    assert [(c.external_id, c.email) for c in customers] == [("u-1", "shared@example.com"), ("u-2", None)]
    assert [r.customer_id for r in rows(app, Response)] == [c.id for c in customers]


def test_an_anonymous_answer_has_no_customer(app, client, touchpoint):
    assert answer(client, touchpoint["pk"], {"score": 5}).status_code == 201
    assert rows(app, Customer) == []
    assert [r.customer_id for r in rows(app, Response)] == [None]


def test_a_replay_leaves_the_customer_untouched(app, client, touchpoint):
    body = {"score": 4, "customer": {"id": "u-1"}}
    answer(client, touchpoint["pk"], body, key="k-1")
    [before] = rows(app, Customer)
    assert answer(client, touchpoint["pk"], body, key="k-1").headers["Idempotent-Replayed"] == "true"
    refused = answer(client, touchpoint["pk"], {"score": 1, "customer": {"id": "u-2"}}, key="k-1")

    assert refused.status_code == 422 and "idempotency_key" in refused.json["errors"]
    [after] = rows(app, Customer)
    assert (after.id, after.last_seen_at) == (before.id, before.last_seen_at)


# ---- the event every answer writes ---------------------------------------------------------------

@pytest.mark.parametrize("customer", [None, {"id": "u-7"}, {"email": "bo@example.com"},
                                      {"id": "u-7", "email": "bo@example.com"}])
def test_the_created_event_carries_the_answer_its_customer_and_labels(app, client, org, touchpoint, customer):
    body = {"score": 2, "comment": "  Coupon failed  ", "context": {"order_id": "A-1"}}
    if customer:
        body["customer"] = customer
    stored = answer(client, touchpoint["pk"], body).json

    [event] = [e for e in rows(app, Event) if e.type == "response.created"]
    [response] = rows(app, Response)
    [person] = rows(app, Customer) or [None]
    assert event.data["response"] | {"created_at": None} == {
        "id": stored["id"], "score": 2, "metric": "csat", "comment": "Coupon failed", "context": {"order_id": "A-1"},
        "source": "widget", "created_at": None,
        "sentiment": {"status": "pending", "reason": None, "compound": None, "positive": None, "neutral": None,
                      "negative": None, "label": None}}
    journey_id = client.get(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers).json["journey_id"]
    assert event.data["touchpoint"] == {"id": touchpoint["id"], "name": "Cart & checkout", "channel": "web",
                                        "journey_id": journey_id}
    assert event.data["question"] == "How satisfied are you with your experience?"
    assert event.data["customer"] == (
        {"id": person.id, "external_id": person.external_id, "email": person.email} if person else None)
    assert response.id == stored["id"]


# ---- the touchpoint as it is now -------------------------------------------------------------------

def test_an_answer_right_after_a_survey_edit_answers_the_new_survey(app, client, org, touchpoint):
    assert answer(client, touchpoint["pk"], {"score": 5}).status_code == 201  # the card is cached now
    edited = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers,
                          json={"survey": {"metric": "nps"}})
    assert edited.status_code == 200

    assert answer(client, touchpoint["pk"], {"score": 9}).status_code == 201  # 9 is off the CSAT scale
    first, second = rows(app, Response)
    assert (first.metric, second.metric) == ("csat", "nps")
    assert second.survey_version_id != first.survey_version_id


def test_an_answer_right_after_a_wording_edit_is_tied_to_the_new_version(app, client, org, touchpoint):
    answer(client, touchpoint["pk"], {"score": 5})
    client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers,
                 json={"survey": {"question": "How was checkout?"}})
    answer(client, touchpoint["pk"], {"score": 4})

    first, second = rows(app, Response)
    assert second.survey_version_id != first.survey_version_id
    assert [e.data["question"] for e in rows(app, Event) if e.type == "response.created"] == [
        "How satisfied are you with your experience?", "How was checkout?"]


def test_an_archived_touchpoint_refuses_answers_at_once(app, client, org, touchpoint):
    answer(client, touchpoint["pk"], {"score": 5})
    assert client.delete(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers).status_code == 204

    refused = answer(client, touchpoint["pk"], {"score": 5})
    assert refused.status_code == 404
    assert len(rows(app, Response)) == 1


def test_an_origin_removed_is_refused_at_once_and_one_added_is_welcome_at_once(app, client, org, touchpoint):
    other = "https://outlet.example.com"
    answer(client, touchpoint["pk"], {"score": 5})
    client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers, json={"allowed_origins": [other]})

    assert answer(client, touchpoint["pk"], {"score": 5}).status_code == 403
    welcomed = answer(client, touchpoint["pk"], {"score": 5}, origin=other)
    assert welcomed.status_code == 201
    assert welcomed.headers["Access-Control-Allow-Origin"] == other
    assert len(rows(app, Response)) == 2


def test_an_internationalised_origin_welcomes_the_punycode_a_browser_sends(client, org, touchpoint):
    client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers,
                 json={"allowed_origins": ["https://Exämple.com:443"]})

    welcomed = answer(client, touchpoint["pk"], {"score": 5}, origin="https://xn--exmple-cua.com")

    assert welcomed.status_code == 201
    assert welcomed.headers["Access-Control-Allow-Origin"] == "https://xn--exmple-cua.com"


@pytest.mark.parametrize("host, origin", [
    ("feedback.example:8443", "https://feedback.example:8443"),
    ("xn--rckmeldung-9db.example", "https://xn--rckmeldung-9db.example"),  # rückmeldung: as a browser sends it
])
def test_the_services_own_pages_may_answer_any_touchpoint(client, touchpoint, host, origin):
    """The hosted page and the demo post from the service's own origin, listed or not."""
    own = client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 5},
                      headers={"Origin": origin, "Host": host}, base_url=f"https://{host}")
    assert own.status_code == 201 and own.headers["Access-Control-Allow-Origin"] == origin


# ---- the deliveries an answer owes -------------------------------------------------------------------

def test_an_answer_owes_a_delivery_to_each_endpoint_that_wants_it(webhook_app, org, make_touchpoint, touchpoint):
    client = webhook_app.test_client()
    other_id, _ = make_touchpoint(org, name="Delivery")
    endpoints = {}
    for name, extra in {"all": {}, "this touchpoint": {"touchpoint_ids": [touchpoint["id"]]},
                        "another touchpoint": {"touchpoint_ids": [other_id]},
                        "other events": {"events": ["follow_up.created"]}, "disabled": {"enabled": False}}.items():
        created = client.post("/api/v1/webhook-endpoints", headers=org.headers,
                              json={"url": "http://127.0.0.1:9/in", "events": ["response.created"], **extra})
        assert created.status_code == 201, created.json
        endpoints[name] = created.json["id"]

    answer(client, touchpoint["pk"], {"score": 5})

    [event] = rows(webhook_app, Event)
    owed = {d.endpoint_id for d in rows(webhook_app, WebhookDelivery) if d.event_id == event.id}
    assert owed == {endpoints["all"], endpoints["this touchpoint"]}


def test_an_answer_written_in_a_transaction_is_stamped_once_that_transaction_has_begun(
        client, touchpoint, monkeypatch):
    """On SQLite that means with the write lock held, so answers commit in the order of their
    updated_at, and the sync (core/sync_window.py) cannot pass one still being written."""
    from feedback_service.collection import intake

    begun = []
    real = intake.utcnow
    monkeypatch.setattr(intake, "utcnow", lambda: begun.append(db.session().in_transaction()) or real())
    # The second finds the touchpoint in the cache: nothing has read the database before the stamp.
    stored = [answer(client, touchpoint["pk"], {"score": 4, "customer": {"id": f"c-{i}", "email": f"{i}@example.com"}})
              for i in range(2)]

    assert [each.status_code for each in stored] == [201, 201], stored[-1].get_json()
    assert begun == [True, True]
