"""The event log: written with the change, paged with a cursor, scoped to the tenant."""

from __future__ import annotations


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
