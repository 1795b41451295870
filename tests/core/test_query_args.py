"""Query strings: a parameter we do not know is refused by name; `limit` and `cursor`
page every list; the widget's own query string is always accepted."""

from __future__ import annotations

import pytest

from tests.helpers.assertions import assert_error
from tests.helpers.console import sign_in
from tests.helpers.webhooks import subscribe


@pytest.fixture
def client(webhook_app):
    return webhook_app.test_client()


@pytest.mark.parametrize("path, typo", [
    ("/api/v1/responses", "touchpointid"),
    ("/api/v1/follow-ups", "owner"),
    ("/api/v1/follow-ups/metrics", "groupby"),
    ("/api/v1/events", "types"),
    ("/api/v1/teams", "page"),
    ("/api/v1/touchpoints", "journey"),
    ("/api/v1/customers", "external"),
    ("/api/v1/exports/responses.csv", "since"),
])
def test_an_unknown_parameter_is_a_422_naming_it(client, org, path, typo):
    answer = client.get(path, query_string={typo: "1"}, headers=org.headers)

    body = assert_error(answer, 422, typo)
    assert body["errors"][typo] == ["Unknown field."]


def test_a_typo_in_a_filter_no_longer_returns_the_unfiltered_list(client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org)
    make_response(org, touchpoint_id)

    assert client.get(f"/api/v1/responses?touchpointid={touchpoint_id}", headers=org.headers).status_code == 422
    assert len(client.get(f"/api/v1/responses?touchpoint_id={touchpoint_id}",
                          headers=org.headers).get_json()["data"]) == 1


LISTS = ["teams", "users", "journeys", "api-keys", "touchpoints", "responses", "customers", "follow-ups",
         "events", "webhook-endpoints", "webhook-endpoints/{endpoint_id}/deliveries"]


@pytest.fixture
def two_of_everything(client, org, make_team, make_key, make_touchpoint, receiver):  # noqa: F811
    make_team(org, "Support", members=1)
    make_team(org, "Web")
    make_key(org, "viewer")
    endpoint = subscribe(client, org, receiver.url())
    subscribe(client, org, receiver.url())
    _, pk = make_touchpoint(org, name="Checkout")
    make_touchpoint(org, name="Delivery")
    for i in range(2):
        answered = client.post(f"/w/{pk}/responses", json={"score": 2, "comment": f"Problem {i}",
                                                          "customer": {"id": f"c-{i}"}})
        assert answered.status_code == 201
    return {"endpoint_id": endpoint["id"]}


@pytest.mark.parametrize("path", LISTS)
def test_limit_and_cursor_page_every_list(client, org, two_of_everything, path):
    url = "/api/v1/" + path.format(**two_of_everything)

    first = client.get(url, query_string={"limit": 1}, headers=org.headers)
    assert first.status_code == 200, first.get_json()
    second = client.get(url, query_string={"limit": 1, "cursor": first.get_json()["next_cursor"]},
                        headers=org.headers)
    assert second.status_code == 200, second.get_json()

    [one], [two] = first.get_json()["data"], second.get_json()["data"]
    assert one["id"] != two["id"]


def test_the_widgets_own_query_string_is_accepted(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)

    # What widgets/src/widget.js sends: customer_id and customer_email when known, always lang
    # (empty when the browser reports no language).
    for query in ({"customer_id": "c-1", "customer_email": "ann@example.com", "lang": "en-US"},
                  {"lang": ""}, {}):
        answer = client.get(f"/w/{pk}/survey", query_string=query)
        assert answer.status_code == 200, (query, answer.get_json())
        assert answer.get_json()["survey"]["language"] == "en"


def test_the_widget_survey_refuses_a_parameter_it_does_not_know(client, org, make_touchpoint):
    _, pk = make_touchpoint(org)

    assert_error(client.get(f"/w/{pk}/survey?customer=c-1"), 422, "customer")


def test_console_pages_ignore_parameters_they_do_not_use(client, org):
    sign_in(client, org.admin_email, org.admin_password)

    # Pages are links people share and bookmark: an extra parameter (a cache buster,
    # a tracking tag) must not break them.
    for path in ("/inbox?_=1700000000", "/outbox?utm_source=mail", "/settings?x=1"):
        assert client.get(path).status_code == 200, path
