"""Reading responses: newest first, stable cursors, incremental sync, and customers' timelines."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from feedback_service.sentiment.jobs import score_responses
from tests.helpers.assertions import assert_error

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def touchpoint_id(org, make_touchpoint):
    return make_touchpoint(org)[0]


def ids(page: dict) -> list[int]:
    return [item["id"] for item in page["data"]]


def get(client, org, **query):
    response = client.get("/api/v1/responses", query_string=query, headers=org.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_response_has_the_contracts_shape(client, org, touchpoint_id, make_response):
    response_id = make_response(org, touchpoint_id, score=2, comment="The cart dropped my discount",
                                customer={"external_id": "cust-7", "email": "ada@example.com"}, created_at=T0)

    body = client.get(f"/api/v1/responses/{response_id}", headers=org.headers).get_json()

    assert {"id", "touchpoint_id", "customer_id", "metric", "score", "comment", "context", "sentiment",
            "created_at", "updated_at", "survey_version"} <= set(body)
    assert (body["id"], body["touchpoint_id"], body["metric"], body["score"]) == (response_id, touchpoint_id, "csat", 2)
    assert body["comment"] == "The cart dropped my discount"
    assert isinstance(body["customer_id"], int)
    assert body["context"] == {}
    assert body["created_at"] == "2026-03-01T12:00:00+00:00"
    assert {"status", "compound", "positive", "neutral", "negative", "label"} <= set(body["sentiment"])
    assert body["sentiment"]["status"] == "pending"


def test_a_scored_response_shows_its_sentiment(app, client, org, touchpoint_id, make_response):
    response_id = make_response(org, touchpoint_id, score=1, comment="Terrible, awful, slow and rude.")
    with app.app_context():
        score_responses([response_id])

    sentiment = client.get(f"/api/v1/responses/{response_id}", headers=org.headers).get_json()["sentiment"]

    assert (sentiment["status"], sentiment["label"]) == ("scored", "negative")
    assert sentiment["compound"] <= -0.05
    assert sentiment["positive"] + sentiment["neutral"] + sentiment["negative"] == pytest.approx(1, abs=0.01)


def test_a_response_without_a_comment_is_skipped_by_sentiment(client, org, touchpoint_id, make_response):
    response_id = make_response(org, touchpoint_id, score=5)

    sentiment = client.get(f"/api/v1/responses/{response_id}", headers=org.headers).get_json()["sentiment"]

    assert (sentiment["status"], sentiment["label"], sentiment["compound"]) == ("skipped", None, None)


def test_responses_are_listed_newest_first(client, org, touchpoint_id, make_response):
    # Stored out of order, as an import or the demo seed does: newest means created_at, not id.
    middle = make_response(org, touchpoint_id, created_at=T0 + timedelta(hours=1))
    newest = make_response(org, touchpoint_id, created_at=T0 + timedelta(hours=2))
    oldest = make_response(org, touchpoint_id, created_at=T0)

    page = get(client, org)

    assert ids(page) == [newest, middle, oldest]
    assert page["next_cursor"] is None


def test_responses_created_at_the_same_instant_are_ordered_by_id(client, org, touchpoint_id, make_response):
    first, second, third = (make_response(org, touchpoint_id, created_at=T0) for _ in range(3))

    assert ids(get(client, org)) == [third, second, first]


def test_a_page_holds_at_most_limit_items_and_points_to_the_next(client, org, touchpoint_id, make_response):
    made = [make_response(org, touchpoint_id, created_at=T0 + timedelta(minutes=i)) for i in range(5)]

    first = get(client, org, limit=2)
    second = get(client, org, limit=2, cursor=first["next_cursor"])
    last = get(client, org, limit=2, cursor=second["next_cursor"])

    assert ids(first) + ids(second) + ids(last) == made[::-1]
    assert isinstance(first["next_cursor"], str) and last["next_cursor"] is None


@pytest.mark.parametrize("limit", ["201", "0", "-1", "ten", "1.5"])
def test_a_limit_outside_1_to_200_is_422(client, org, limit):
    assert_error(client.get(f"/api/v1/responses?limit={limit}", headers=org.headers), 422, "limit")


def test_a_limit_of_200_is_allowed(client, org):
    assert client.get("/api/v1/responses?limit=200", headers=org.headers).status_code == 200


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage",
    "!!!!",
    _b64({"id": 3}),
    _b64([]),
    _b64(["3"]),
    _b64([True]),
    _b64([1, 2, 3]),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_a_cursor_that_this_list_did_not_make_is_422(client, org, cursor):
    body = assert_error(client.get("/api/v1/responses", query_string={"cursor": cursor}, headers=org.headers),
                        422, "cursor")

    assert body["errors"]["cursor"]


def test_paging_is_stable_while_new_responses_arrive(client, org, touchpoint_id, make_response):
    original = [make_response(org, touchpoint_id, created_at=T0 + timedelta(minutes=i)) for i in range(7)]
    seen, cursor = [], None

    for round_ in range(10):
        page = get(client, org, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # Two customers answer while the client is between pages.
        make_response(org, touchpoint_id, created_at=T0 + timedelta(hours=1, minutes=round_))
        make_response(org, touchpoint_id, created_at=T0 + timedelta(hours=1, minutes=round_, seconds=30))

    assert len(seen) == len(set(seen)), "a response was listed twice"
    assert seen == original[::-1], "the original responses, each once and in order"


def test_filtering_by_touchpoint(client, org, make_touchpoint, make_response):
    checkout, _ = make_touchpoint(org, name="Checkout")
    delivery, _ = make_touchpoint(org, name="Delivery")
    at_checkout = make_response(org, checkout)
    make_response(org, delivery)

    assert ids(get(client, org, touchpoint_id=checkout)) == [at_checkout]


def test_filtering_by_customer(client, org, touchpoint_id, make_response):
    ada = make_response(org, touchpoint_id, customer={"external_id": "ada", "email": None})
    make_response(org, touchpoint_id, customer={"external_id": "bob", "email": None})
    make_response(org, touchpoint_id)  # anonymous
    customer_id = client.get(f"/api/v1/responses/{ada}", headers=org.headers).get_json()["customer_id"]

    assert ids(get(client, org, customer_id=customer_id)) == [ada]


def test_updated_after_lists_changes_oldest_first(client, org, touchpoint_id, make_response):
    made = [make_response(org, touchpoint_id, created_at=T0 + timedelta(minutes=i)) for i in range(4)]

    page = get(client, org, updated_after=(T0 + timedelta(seconds=30)).isoformat())

    assert ids(page) == made[1:]


def test_updated_after_accepts_any_offset_and_compares_instants(client, org, touchpoint_id, make_response):
    made = [make_response(org, touchpoint_id, created_at=T0 + timedelta(minutes=i)) for i in range(3)]

    # 13:00:30+01:00 is 12:00:30 UTC
    page = get(client, org, updated_after="2026-03-01T13:00:30+01:00")

    assert ids(page) == made[1:]


def test_updated_after_picks_up_a_response_that_changed_later(app, client, org, touchpoint_id, make_response):
    commented = make_response(org, touchpoint_id, comment="Lovely shoes, quick delivery", created_at=T0)
    later = make_response(org, touchpoint_id, created_at=T0 + timedelta(minutes=5))
    synced_up_to = T0 + timedelta(minutes=10)
    with app.app_context():
        score_responses([commented])  # sentiment arrives after the last sync

    page = get(client, org, updated_after=synced_up_to.isoformat())

    assert ids(page) == [commented]
    assert page["data"][0]["sentiment"]["status"] == "scored"
    assert later not in ids(page)


def test_updated_after_pages_with_a_cursor(client, org, touchpoint_id, make_response):
    made = [make_response(org, touchpoint_id, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    since = (T0 - timedelta(days=1)).isoformat()

    first = get(client, org, updated_after=since, limit=2)
    rest = get(client, org, updated_after=since, limit=10, cursor=first["next_cursor"])

    assert ids(first) + ids(rest) == made


@pytest.mark.parametrize("value", ["2026-03-01T12:00:00", "2026-03-01", "yesterday", "2026-13-01T00:00:00Z"])
def test_updated_after_needs_a_timestamp_with_a_timezone(client, org, value):
    assert_error(client.get("/api/v1/responses", query_string={"updated_after": value}, headers=org.headers),
                 422, "updated_after")


def test_an_unknown_response_is_404(client, org):
    assert_error(client.get("/api/v1/responses/987654", headers=org.headers), 404)


# --- customers ----------------------------------------------------------------------

def test_a_customer_is_found_by_email_whatever_its_case(client, org, touchpoint_id, make_response):
    make_response(org, touchpoint_id, customer={"external_id": "cust-42", "email": "ada@example.com"})

    listed = client.get("/api/v1/customers?email=Ada@Example.COM", headers=org.headers).get_json()

    assert [(c["external_id"], c["email"]) for c in listed["data"]] == [("cust-42", "ada@example.com")]


def test_a_customer_is_found_by_external_id(client, org, touchpoint_id, make_response):
    make_response(org, touchpoint_id, customer={"external_id": "cust-42", "email": None})
    make_response(org, touchpoint_id, customer={"external_id": "cust-43", "email": None})

    listed = client.get("/api/v1/customers?external_id=cust-43", headers=org.headers).get_json()

    assert [c["external_id"] for c in listed["data"]] == ["cust-43"]


def test_an_unknown_email_finds_no_customer(client, org):
    assert client.get("/api/v1/customers?email=nobody@example.com", headers=org.headers).get_json() == {
        "data": [], "next_cursor": None}


def test_a_customers_timeline_spans_touchpoints_newest_first(app, client, org, make_journey, make_touchpoint,
                                                             make_response):
    journey = make_journey(org)
    checkout, _ = make_touchpoint(org, journey, name="Checkout", channel="web")
    support, _ = make_touchpoint(org, journey, name="Contact support", channel="phone",
                                 survey={"metric": "ces"})
    ada = {"external_id": "ada", "email": "ada@example.com"}
    first = make_response(org, checkout, score=2, comment="Free shipping never applied", customer=ada,
                          created_at=T0)
    third = make_response(org, checkout, score=5, customer=ada, created_at=T0 + timedelta(days=2))
    second = make_response(org, support, score=3, customer=ada, created_at=T0 + timedelta(days=1))
    make_response(org, support, score=7, customer={"external_id": "bob", "email": None})
    customer_id = client.get(f"/api/v1/responses/{first}", headers=org.headers).get_json()["customer_id"]

    customer = client.get(f"/api/v1/customers/{customer_id}", headers=org.headers).get_json()

    assert (customer["id"], customer["external_id"], customer["email"]) == (customer_id, "ada", "ada@example.com")
    timeline = customer["timeline"]
    assert [entry["response_id"] for entry in timeline] == [third, second, first]
    assert [(e["touchpoint_name"], e["channel"], e["metric"]) for e in timeline] == [
        ("Checkout", "web", "csat"), ("Contact support", "phone", "ces"), ("Checkout", "web", "csat")]
    assert timeline[2]["comment"] == "Free shipping never applied"
    assert timeline[2]["question"] == "How satisfied are you with your experience?"
    assert all(entry["type"] == "response" for entry in timeline)


def test_an_unknown_customer_is_404(client, org):
    assert_error(client.get("/api/v1/customers/31337", headers=org.headers), 404)
