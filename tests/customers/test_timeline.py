"""A customer's timeline, a page at a time: every answer once, newest first, each with its
follow-ups; cursors of this list only; in the API, the follow-up detail and the console."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from feedback_service.core.database import commit
from feedback_service.core.pagination import encode_cursor
from feedback_service.customers import identity as customers
from feedback_service.extensions import db
from feedback_service.loop import opening
from feedback_service.models import Response, Touchpoint
from tests.helpers.assertions import assert_error
from tests.helpers.console import page_text

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADA = {"external_id": "ada", "email": "ada@example.com"}


@pytest.fixture
def touchpoint_id(org, make_team, make_touchpoint):
    # A team with an agent, so a low score with a comment opens a follow-up that someone owns.
    team_id = make_team(org, "Support", members=1)
    return make_touchpoint(org, name="Checkout", team_id=team_id)[0]


def customer_of(client, org, response_id: int) -> int:
    return client.get(f"/api/v1/responses/{response_id}", headers=org.headers).get_json()["customer_id"]


def open_follow_up(app, org, response_id: int) -> int:
    with app.app_context(), org.scope():
        follow_up = opening.open_for_response(db.session.get(Response, response_id))
        assert follow_up is not None, "this answer opens no follow-up"
        commit()
        return follow_up.id


def add_answers(app, org, touchpoint_id: int, customer: dict, count: int, newest: datetime) -> list[int]:
    """``count`` answers from ``customer``, a minute apart up to ``newest``, in one transaction
    (a page's worth, cheaply); their ids, newest first."""
    with app.app_context(), org.scope():
        touchpoint = db.session.get(Touchpoint, touchpoint_id)
        person = customers.resolve_customer(**customer, seen_at=newest)
        rows = [Response(touchpoint=touchpoint, survey_version=touchpoint.survey, customer=person,
                         metric=touchpoint.survey.metric, score=5, sentiment_status="skipped",
                         sentiment_reason="no_comment", created_at=newest - timedelta(minutes=i),
                         updated_at=newest - timedelta(minutes=i))
                for i in range(count)]
        db.session.add_all(rows)
        commit()
        return [row.id for row in rows]


def read(client, org, customer_id: int, **query) -> dict:
    answer = client.get(f"/api/v1/customers/{customer_id}", query_string=query, headers=org.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def responses_on(page: dict) -> list[int]:
    return [entry["response_id"] for entry in page["timeline"] if entry["type"] == "response"]


def at(entry: dict) -> datetime:
    return datetime.fromisoformat(entry["at"])


@pytest.fixture
def history(app, client, org, touchpoint_id, make_response):
    """Seven answers from Ada over five days, two of them at the same instant, three with a
    follow-up; and one from someone else. Ada's answers and follow-ups as the timeline should
    give them: answer ids newest first, and the follow-up of each answer that has one."""
    days = [0, 1, 2, 3, 3, 4, 5]
    made = []
    for n, day in enumerate(days):
        unhappy = n % 2 == 0
        made.append((T0 + timedelta(days=day), make_response(
            org, touchpoint_id, score=1 if unhappy else 5, comment=f"Answer {n}" if unhappy else None,
            customer=ADA, created_at=T0 + timedelta(days=day))))
    make_response(org, touchpoint_id, score=1, comment="Not Ada", customer={"external_id": "bob", "email": None})
    newest_first = [response_id for _, response_id in sorted(made, reverse=True)]
    with_follow_up = {response_id: open_follow_up(app, org, response_id)
                      for n, (_, response_id) in enumerate(made) if n in (0, 4, 6)}
    return {"customer_id": customer_of(client, org, made[0][1]), "responses": newest_first,
            "follow_ups": with_follow_up}


def walk(client, org, customer_id: int, limit: int) -> list[dict]:
    pages = [read(client, org, customer_id, limit=limit)]
    while pages[-1]["next_cursor"] is not None:
        assert len(pages) < 20, "the cursor does not move on"
        pages.append(read(client, org, customer_id, limit=limit, cursor=pages[-1]["next_cursor"]))
    return pages


def test_walking_the_pages_gives_every_answer_once_newest_first_with_its_follow_ups(client, org, history):
    pages = walk(client, org, history["customer_id"], limit=3)

    # 3 + 3 + 1: the two answers at one instant (ordered by id) fall on either side of a page break.
    assert [len(responses_on(page)) for page in pages] == [3, 3, 1]
    assert [response_id for page in pages for response_id in responses_on(page)] == history["responses"]
    for page in pages:
        assert (page["id"], page["external_id"], page["email"]) == (history["customer_id"], "ada", "ada@example.com")
        follow_ups_here = {e["response_id"]: e["follow_up_id"] for e in page["timeline"] if e["type"] == "follow_up"}
        # Each follow-up on the page of its answer, whenever it last changed; the page sorted by `at`.
        assert follow_ups_here == {r: f for r, f in history["follow_ups"].items() if r in responses_on(page)}
        assert [at(e) for e in page["timeline"]] == sorted((at(e) for e in page["timeline"]), reverse=True)
    assert pages[-1]["next_cursor"] is None


def test_without_a_limit_the_page_holds_200_answers(app, client, org, touchpoint_id):
    made = add_answers(app, org, touchpoint_id, ADA, 201, newest=T0)
    customer_id = customer_of(client, org, made[0])

    first = read(client, org, customer_id)
    rest = read(client, org, customer_id, cursor=first["next_cursor"])

    assert responses_on(first) == made[:200] and first["next_cursor"] is not None
    assert responses_on(rest) == made[200:] and rest["next_cursor"] is None


def test_a_short_history_is_one_page(client, org, history):
    page = read(client, org, history["customer_id"])

    assert responses_on(page) == history["responses"]
    assert page["next_cursor"] is None
    assert read(client, org, history["customer_id"], cursor="") == page  # an empty cursor is none: the first page


def test_the_follow_up_detail_embeds_the_first_page_and_its_cursor(app, client, org, touchpoint_id, make_response):
    made = add_answers(app, org, touchpoint_id, ADA, 3, newest=T0)
    newest = make_response(org, touchpoint_id, score=1, comment="Still broken", customer=ADA,
                           created_at=T0 + timedelta(days=1))
    follow_up_id = open_follow_up(app, org, newest)
    customer_id = customer_of(client, org, newest)

    embedded = client.get(f"/api/v1/follow-ups/{follow_up_id}", headers=org.headers).get_json()["customer"]
    first = read(client, org, customer_id)

    assert (embedded["timeline"], embedded["next_cursor"]) == (first["timeline"], None)
    assert responses_on(embedded) == [newest, *made]


def test_the_embedded_cursor_pages_on_at_the_customer(app, client, org, touchpoint_id, make_response):
    made = add_answers(app, org, touchpoint_id, ADA, 200, newest=T0)
    newest = make_response(org, touchpoint_id, score=1, comment="Still broken", customer=ADA,
                           created_at=T0 + timedelta(days=1))
    follow_up_id = open_follow_up(app, org, newest)

    embedded = client.get(f"/api/v1/follow-ups/{follow_up_id}", headers=org.headers).get_json()["customer"]
    older = read(client, org, embedded["id"], cursor=embedded["next_cursor"])

    assert responses_on(embedded) == [newest, *made[:199]]
    assert responses_on(older) == made[199:] and older["next_cursor"] is None


def test_a_cursor_of_another_list_is_422_naming_cursor(client, org, history):
    customer_id = history["customer_id"]
    # The same answers in the same order, and the same kinds of values in the cursor: still another list.
    responses_cursor = client.get("/api/v1/responses", query_string={"customer_id": customer_id, "limit": 1},
                                  headers=org.headers).get_json()["next_cursor"]
    follow_ups_cursor = client.get("/api/v1/follow-ups", query_string={"limit": 1},
                                   headers=org.headers).get_json()["next_cursor"]
    timeline_cursor = read(client, org, customer_id, limit=1)["next_cursor"]

    for cursor in (responses_cursor, follow_ups_cursor):
        assert cursor is not None
        assert_error(client.get(f"/api/v1/customers/{customer_id}", query_string={"cursor": cursor},
                                headers=org.headers), 422, "cursor")
    to_responses = assert_error(client.get("/api/v1/responses", query_string={"cursor": timeline_cursor},
                                           headers=org.headers), 422, "cursor")
    assert "a customer's timeline" in to_responses["errors"]["cursor"][0]


@pytest.mark.parametrize("cursor", [
    "not-a-cursor", encode_cursor(["2026-03-01T12:00:00+00:00", 1]),
    encode_cursor(["2026-03-01T12:00:00+00:00", 1], "response:elsewhere"),
    encode_cursor(["yesterday", 1], "response:timeline"), "x" * 501,
])
def test_a_cursor_that_is_not_this_lists_is_422_naming_cursor(client, org, history, cursor):
    assert_error(client.get(f"/api/v1/customers/{history['customer_id']}", query_string={"cursor": cursor},
                            headers=org.headers), 422, "cursor")


@pytest.mark.parametrize("query, field", [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": -1}, "limit"),
    ({"page": 2}, "page"),
])
def test_a_bad_limit_or_an_unknown_parameter_is_422_naming_it(client, org, history, query, field):
    assert_error(client.get(f"/api/v1/customers/{history['customer_id']}", query_string=query,
                            headers=org.headers), 422, field)


def test_another_organisation_cannot_read_the_customer_with_or_without_a_cursor(client, org, make_org, history):
    other = make_org("Other shop")
    cursor = read(client, org, history["customer_id"], limit=2)["next_cursor"]

    for query in ({}, {"limit": 2}, {"cursor": cursor}):
        assert_error(client.get(f"/api/v1/customers/{history['customer_id']}", query_string=query,
                                headers=other.headers), 404)


def test_the_openapi_document_shows_the_timelines_arguments_and_next_cursor(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/customers/{customer_id}"]["get"]

    assert {"limit", "cursor"} <= {parameter["name"] for parameter in operation.get("parameters", [])}
    schema = document["components"]["schemas"]["CustomerDetail"]
    assert {"id", "external_id", "email", "timeline", "next_cursor"} <= set(schema["properties"])


# ---- The console ---------------------------------------------------------------

OLDER_LINK = re.compile(r'<a class="button button-small" rel="next" href="(/customers/\d+\?cursor=[^"]+)">Older entries')


def test_the_customer_page_links_to_older_entries_and_the_link_works(app, admin_client, org, touchpoint_id,
                                                                       make_response):
    made = add_answers(app, org, touchpoint_id, ADA, 200, newest=T0)
    make_response(org, touchpoint_id, score=1, comment="The very first time", customer=ADA,
                  created_at=T0 - timedelta(days=30))
    with app.app_context(), org.scope():
        customer_id = db.session.get(Response, made[0]).customer_id

    newest = page_text(admin_client.get(f"/customers/{customer_id}"))

    assert "The very first time" not in newest
    # The figures are the whole history's, not the page's.
    assert "<dt>Answers</dt><dd>201</dd>" in newest
    link = OLDER_LINK.search(newest)
    assert link, "no Older entries link"

    older = admin_client.get(link.group(1).replace("&amp;", "&"))

    assert older.status_code == 200
    older = page_text(older)
    assert "The very first time" in older
    assert "<dt>Answers</dt><dd>201</dd>" in older
    assert not OLDER_LINK.search(older)
    assert f'href="/customers/{customer_id}">← Newest entries</a>' in older


def test_a_short_history_has_no_older_link(app, admin_client, org, history):
    page = page_text(admin_client.get(f"/customers/{history['customer_id']}"))

    assert "Answer 0" in page and "Answer 6" in page
    assert "Older entries" not in page and "Newest entries" not in page


def test_a_broken_older_link_is_a_422_page_not_a_500(admin_client, org, history):
    answer = admin_client.get(f"/customers/{history['customer_id']}", query_string={"cursor": "garbage"})

    assert answer.status_code == 422
    assert "text/html" in answer.content_type
    assert "This link to older entries" in page_text(answer)


def test_the_follow_up_page_links_to_the_customers_older_entries(app, admin_client, org, touchpoint_id,
                                                                  make_response):
    add_answers(app, org, touchpoint_id, ADA, 200, newest=T0)
    newest = make_response(org, touchpoint_id, score=1, comment="Still broken", customer=ADA,
                           created_at=T0 + timedelta(days=1))
    follow_up_id = open_follow_up(app, org, newest)

    link = OLDER_LINK.search(page_text(admin_client.get(f"/follow-ups/{follow_up_id}")))

    assert link, "no Older entries link"
    assert admin_client.get(link.group(1).replace("&amp;", "&")).status_code == 200
