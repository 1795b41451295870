"""Touchpoints: their place in the journey, their survey and its versions, their origins."""

from __future__ import annotations

import pytest

from feedback_service.models import utcnow
from tests.helpers.assertions import assert_error, row_counts


@pytest.fixture
def journey_id(org, make_journey):
    return make_journey(org)


@pytest.fixture
def post_touchpoint(client, org, journey_id):
    def post(name="Checkout", **fields):
        return client.post("/api/v1/touchpoints", json={"journey_id": journey_id, "name": name, **fields},
                           headers=org.headers)

    return post


@pytest.fixture
def order(client, org, journey_id):
    """The journey's touchpoints as (position, name), as the API shows them."""
    def read():
        journey = client.get(f"/api/v1/journeys/{journey_id}", headers=org.headers).get_json()
        return [(t["position"], t["name"]) for t in journey["touchpoints"]]

    return read


# --- CRUD ---------------------------------------------------------------------------

def test_creating_a_touchpoint_returns_its_keys_and_defaults(post_touchpoint, journey_id):
    response = post_touchpoint("Cart & checkout")

    assert response.status_code == 201
    touchpoint = response.get_json()
    assert (touchpoint["journey_id"], touchpoint["name"], touchpoint["position"]) == (journey_id, "Cart & checkout", 1)
    assert (touchpoint["channel"], touchpoint["team_id"], touchpoint["allowed_origins"]) == ("web", None, [])
    assert touchpoint["publishable_key"].startswith("pk_") and len(touchpoint["publishable_key"]) >= 20
    assert (touchpoint["survey"]["metric"], touchpoint["survey"]["version"]) == ("csat", 1)
    assert touchpoint["follow_up_policy"] == "low_scores"


def test_every_touchpoint_gets_its_own_publishable_key(post_touchpoint):
    keys = {post_touchpoint(f"Touchpoint {i}").get_json()["publishable_key"] for i in range(5)}

    assert len(keys) == 5


def test_the_embed_snippet_loads_the_widget_for_this_touchpoint(post_touchpoint):
    touchpoint = post_touchpoint().get_json()

    snippet = touchpoint["embed_snippet"]
    assert snippet.startswith("<script") and snippet.endswith("</script>")
    assert 'src="http://feedback.test/widget.js"' in snippet
    assert f'data-touchpoint="{touchpoint["publishable_key"]}"' in snippet


def test_a_touchpoint_can_be_read_back_and_listed(client, org, post_touchpoint):
    created = post_touchpoint(channel="phone").get_json()

    fetched = client.get(f"/api/v1/touchpoints/{created['id']}", headers=org.headers)
    listed = client.get("/api/v1/touchpoints", headers=org.headers).get_json()

    assert fetched.status_code == 200 and fetched.get_json() == created
    assert [t["id"] for t in listed["data"]] == [created["id"]]


def test_touchpoints_can_be_listed_per_journey(client, org, make_journey, make_touchpoint):
    first, second = make_journey(org, "Buying"), make_journey(org, "Returning")
    in_first, _ = make_touchpoint(org, first)
    make_touchpoint(org, second)

    listed = client.get(f"/api/v1/touchpoints?journey_id={first}", headers=org.headers).get_json()

    assert [t["id"] for t in listed["data"]] == [in_first]


def test_patching_a_touchpoint_changes_the_given_fields(client, org, post_touchpoint, make_team):
    team_id = make_team(org, name="Web")
    touchpoint = post_touchpoint().get_json()

    patched = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}",
                           json={"name": "Checkout page", "channel": "app", "team_id": team_id},
                           headers=org.headers)

    assert patched.status_code == 200
    body = patched.get_json()
    assert (body["name"], body["channel"], body["team_id"]) == ("Checkout page", "app", team_id)
    assert body["publishable_key"] == touchpoint["publishable_key"]


def test_the_follow_up_policy_is_set_at_creation_and_changed_by_patch(client, org, post_touchpoint):
    created = post_touchpoint(follow_up_policy="comments").get_json()
    assert created["follow_up_policy"] == "comments"

    patched = client.patch(f"/api/v1/touchpoints/{created['id']}", json={"follow_up_policy": "low_scores"},
                           headers=org.headers)
    renamed = client.patch(f"/api/v1/touchpoints/{created['id']}", json={"name": "Checkout page"},
                           headers=org.headers)

    assert patched.status_code == 200 and patched.get_json()["follow_up_policy"] == "low_scores"
    assert renamed.get_json()["follow_up_policy"] == "low_scores"  # untouched by other edits
    assert patched.get_json()["survey"]["version"] == 1  # not survey wording


def test_deleting_a_touchpoint_archives_it(client, org, post_touchpoint):
    touchpoint = post_touchpoint().get_json()

    assert client.delete(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers).status_code == 204

    assert_error(client.get(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers), 404)
    assert client.get("/api/v1/touchpoints", headers=org.headers).get_json()["data"] == []


def test_an_archived_touchpoints_responses_are_still_listed(client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org)
    response_id = make_response(org, touchpoint_id, score=1, comment="Never again")

    client.delete(f"/api/v1/touchpoints/{touchpoint_id}", headers=org.headers)

    listed = client.get(f"/api/v1/responses?touchpoint_id={touchpoint_id}", headers=org.headers).get_json()
    assert [r["id"] for r in listed["data"]] == [response_id]
    kept = client.get(f"/api/v1/responses/{response_id}", headers=org.headers)
    assert kept.status_code == 200 and kept.get_json()["comment"] == "Never again"


def test_deleting_a_team_that_owns_touchpoints_is_409(app, client, org, make_team, make_touchpoint):
    team_id = make_team(org, name="Support")
    make_touchpoint(org, team_id=team_id)
    before = row_counts(app)

    body = assert_error(client.delete(f"/api/v1/teams/{team_id}", headers=org.headers), 409)

    assert "touchpoint" in body["message"]
    assert row_counts(app) == before


def test_a_team_can_be_deleted_once_its_touchpoints_are_handed_over(client, org, make_team, make_touchpoint):
    team_id = make_team(org, name="Support")
    touchpoint_id, _ = make_touchpoint(org, team_id=team_id)

    client.patch(f"/api/v1/touchpoints/{touchpoint_id}", json={"team_id": None}, headers=org.headers)

    assert client.delete(f"/api/v1/teams/{team_id}", headers=org.headers).status_code == 204


# --- positions ----------------------------------------------------------------------

def test_touchpoints_are_appended_by_default(post_touchpoint, order):
    for name in ("Advertisement", "Browse", "Checkout"):
        post_touchpoint(name)

    assert order() == [(1, "Advertisement"), (2, "Browse"), (3, "Checkout")]


def test_inserting_at_a_position_shifts_the_ones_after_it(post_touchpoint, order):
    for name in ("Advertisement", "Checkout", "Delivery"):
        post_touchpoint(name)

    inserted = post_touchpoint("Browse", position=2).get_json()

    assert inserted["position"] == 2
    assert order() == [(1, "Advertisement"), (2, "Browse"), (3, "Checkout"), (4, "Delivery")]


def test_a_position_past_the_end_appends(post_touchpoint, order):
    post_touchpoint("Advertisement")

    assert post_touchpoint("Returns", position=99).get_json()["position"] == 2
    assert order() == [(1, "Advertisement"), (2, "Returns")]


def test_moving_a_touchpoint_later_keeps_positions_dense(client, org, post_touchpoint, order):
    ids = [post_touchpoint(name).get_json()["id"] for name in ("A", "B", "C", "D")]

    client.patch(f"/api/v1/touchpoints/{ids[0]}", json={"position": 3}, headers=org.headers)

    assert order() == [(1, "B"), (2, "C"), (3, "A"), (4, "D")]


def test_moving_a_touchpoint_earlier_keeps_positions_dense(client, org, post_touchpoint, order):
    ids = [post_touchpoint(name).get_json()["id"] for name in ("A", "B", "C", "D")]

    moved = client.patch(f"/api/v1/touchpoints/{ids[3]}", json={"position": 1}, headers=org.headers)

    assert moved.get_json()["position"] == 1
    assert order() == [(1, "D"), (2, "A"), (3, "B"), (4, "C")]


def test_archiving_a_touchpoint_closes_the_gap(client, org, post_touchpoint, order):
    ids = [post_touchpoint(name).get_json()["id"] for name in ("A", "B", "C", "D")]

    client.delete(f"/api/v1/touchpoints/{ids[1]}", headers=org.headers)

    assert order() == [(1, "A"), (2, "C"), (3, "D")]


def test_moving_a_touchpoint_to_another_journey_closes_the_gap_and_inserts_there(
        client, org, journey_id, make_journey, post_touchpoint, order):
    ids = [post_touchpoint(name).get_json()["id"] for name in ("A", "B", "C")]
    other = make_journey(org, "Returning")
    client.post("/api/v1/touchpoints", json={"journey_id": other, "name": "X"}, headers=org.headers)

    moved = client.patch(f"/api/v1/touchpoints/{ids[0]}", json={"journey_id": other, "position": 1},
                         headers=org.headers).get_json()

    assert (moved["journey_id"], moved["position"]) == (other, 1)
    assert order() == [(1, "B"), (2, "C")]
    there = client.get(f"/api/v1/journeys/{other}", headers=org.headers).get_json()["touchpoints"]
    assert [(t["position"], t["name"]) for t in there] == [(1, "A"), (2, "X")]


# --- surveys ------------------------------------------------------------------------

@pytest.mark.parametrize(("metric", "low", "high", "question_part", "labels"), [
    ("csat", 1, 5, "How satisfied are you", {"1": "Very dissatisfied", "5": "Very satisfied"}),
    ("nps", 0, 10, "recommend us to a friend or colleague", {"0": "Not at all likely", "10": "Extremely likely"}),
    ("ces", 1, 7, "made it easy", {"1": "Strongly disagree", "7": "Strongly agree"}),
])
def test_each_metric_has_its_standard_scale_question_and_labels(post_touchpoint, metric, low, high,
                                                                question_part, labels):
    survey = post_touchpoint(survey={"metric": metric}).get_json()["survey"]

    assert (survey["metric"], survey["scale"]["min"], survey["scale"]["max"]) == (metric, low, high)
    assert question_part in survey["question"]
    assert survey["scale_labels"] == labels
    assert survey["comment_prompt"] == "What is the main reason for your score?"
    assert survey["language"] == "en"


def test_a_survey_asks_again_after_thirty_days_by_default(app, client, post_touchpoint):
    from datetime import timedelta

    from sqlalchemy import update

    from feedback_service.extensions import db
    from feedback_service.models import Display

    touchpoint = post_touchpoint().get_json()
    survey = f"/w/{touchpoint['publishable_key']}/survey?customer_id=c-1"
    client.post(f"/w/{touchpoint['publishable_key']}/displays", json={"customer": {"id": "c-1"}})

    def shown_days_ago(days: int) -> bool:
        with app.app_context():
            db.session.execute(update(Display).values(created_at=utcnow() - timedelta(days=days)))
            db.session.commit()
        return client.get(survey).get_json()["suppressed"]

    assert touchpoint["survey"]["fatigue_days"] == 30
    assert (shown_days_ago(29), shown_days_ago(31)) == (True, False)


def test_a_german_survey_gets_german_defaults(post_touchpoint):
    survey = post_touchpoint(survey={"metric": "csat", "language": "de"}).get_json()["survey"]

    assert survey["language"] == "de"
    assert survey["question"] == "Wie zufrieden sind Sie mit Ihrer Erfahrung?"
    assert survey["comment_prompt"] == "Was ist der wichtigste Grund für Ihre Bewertung?"
    assert survey["scale_labels"] == {"1": "Sehr unzufrieden", "5": "Sehr zufrieden"}


def test_switching_language_translates_the_default_wording(client, org, post_touchpoint):
    touchpoint = post_touchpoint(survey={"metric": "nps"}).get_json()

    survey = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", json={"survey": {"language": "de"}},
                          headers=org.headers).get_json()["survey"]

    assert survey["question"].startswith("Wie wahrscheinlich ist es")
    assert survey["version"] == 2


def test_custom_wording_is_kept(post_touchpoint):
    survey = post_touchpoint(survey={"metric": "ces", "question": "Was returning your shoes easy?",
                                     "comment_prompt": "Tell us more",
                                     "scale_labels": {"1": "Very hard", "7": "Very easy"}}).get_json()["survey"]

    assert (survey["question"], survey["comment_prompt"]) == ("Was returning your shoes easy?", "Tell us more")
    assert survey["scale_labels"] == {"1": "Very hard", "7": "Very easy"}


def test_editing_the_survey_makes_a_new_version_and_old_responses_keep_theirs(
        client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org)
    before_edit = make_response(org, touchpoint_id, score=4)

    edited = client.patch(f"/api/v1/touchpoints/{touchpoint_id}",
                          json={"survey": {"question": "How was checkout today?"}}, headers=org.headers)
    after_edit = make_response(org, touchpoint_id, score=5)

    assert edited.get_json()["survey"]["version"] == 2
    assert edited.get_json()["survey"]["question"] == "How was checkout today?"
    old = client.get(f"/api/v1/responses/{before_edit}", headers=org.headers).get_json()
    new = client.get(f"/api/v1/responses/{after_edit}", headers=org.headers).get_json()
    assert (old["survey_version"], new["survey_version"]) == (1, 2)


def test_changing_the_metric_makes_a_new_version_with_that_metrics_defaults(client, org, post_touchpoint):
    touchpoint = post_touchpoint(survey={"metric": "csat"}).get_json()

    survey = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", json={"survey": {"metric": "nps"}},
                          headers=org.headers).get_json()["survey"]

    assert (survey["version"], survey["metric"], survey["scale"]["max"]) == (2, "nps", 10)
    assert survey["scale_labels"] == {"0": "Not at all likely", "10": "Extremely likely"}


@pytest.mark.parametrize("changes", [
    {"name": "Checkout page"},
    {"channel": "app"},
    {"position": 1},
    {"allowed_origins": ["https://shop.example.com"]},
    {"trigger": {"mode": "manual"}},
    {"survey": {"metric": "csat"}},  # the same as now
    {"survey": {"question": "How satisfied are you with your experience?"}},  # the default, spelt out
    {"survey": {"fatigue_days": 7}},
    {"follow_up_policy": "comments"},
])
def test_editing_anything_but_the_survey_wording_keeps_the_version(client, org, post_touchpoint, changes):
    touchpoint = post_touchpoint().get_json()

    patched = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", json=changes, headers=org.headers)

    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["survey"]["version"] == 1


def test_fatigue_days_can_be_changed(client, org, post_touchpoint):
    touchpoint = post_touchpoint(survey={"fatigue_days": 0}).get_json()
    assert touchpoint["survey"]["fatigue_days"] == 0

    patched = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", json={"survey": {"fatigue_days": 90}},
                           headers=org.headers).get_json()

    assert patched["survey"]["fatigue_days"] == 90


@pytest.mark.parametrize(("metric", "labels"), [
    ("csat", {"0": "Zero"}),
    ("csat", {"6": "Six"}),
    ("ces", {"8": "Eight"}),
    ("nps", {"11": "Eleven"}),
    ("nps", {"-1": "Minus one"}),
    ("csat", {"one": "Lowest"}),
    ("csat", {"03": "Padded"}),
    ("csat", {"٣": "Arabic-Indic three"}),
])
def test_scale_labels_outside_the_metrics_scale_are_422(app, post_touchpoint, metric, labels):
    before = row_counts(app)

    response = post_touchpoint(survey={"metric": metric, "scale_labels": labels})

    assert_error(response, 422, "survey.scale_labels")
    assert row_counts(app) == before


def test_scale_labels_left_over_from_another_metric_are_refused_on_edit(client, org, post_touchpoint):
    touchpoint = post_touchpoint(survey={"metric": "nps"}).get_json()

    response = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}",
                            json={"survey": {"metric": "csat", "scale_labels": {"10": "Extremely likely"}}},
                            headers=org.headers)

    assert_error(response, 422, "survey.scale_labels")
    assert client.get(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers).get_json()["survey"][
        "metric"] == "nps"


def test_translated_scale_labels_are_checked_against_the_scale_too(post_touchpoint):
    response = post_touchpoint(survey={"metric": "csat", "translations": {"de": {"scale_labels": {"9": "Neun"}}}})

    assert_error(response, 422, "survey.translations.de.scale_labels")


def test_translations_are_stored_with_the_survey(post_touchpoint):
    survey = post_touchpoint(survey={"translations": {"de": {"question": "Wie war der Checkout?"}}}).get_json()[
        "survey"]

    assert survey["translations"] == {"de": {"question": "Wie war der Checkout?"}}


def test_a_survey_and_its_translations_carry_the_widgets_own_words(client, org, post_touchpoint):
    touchpoint = post_touchpoint(survey={"language": "it", "texts": {"send": "Invia", "close": "Chiudi"},
                                         "translations": {"pt": {"texts": {"send": "Enviar"}}}}).get_json()
    survey = touchpoint["survey"]
    assert survey["texts"] == {"send": "Invia", "close": "Chiudi"}
    assert survey["translations"] == {"pt": {"texts": {"send": "Enviar"}}}

    # Other edits keep them; a new set replaces them.
    edited = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers,
                          json={"survey": {"question": "Com'è andata?"}}).get_json()["survey"]
    assert edited["texts"] == {"send": "Invia", "close": "Chiudi"}
    replaced = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers,
                            json={"survey": {"texts": {"skip": "Nessun commento"}}}).get_json()["survey"]
    assert replaced["texts"] == {"skip": "Nessun commento"}


@pytest.mark.parametrize("texts, field", [
    ({"sendd": "Invia"}, "sendd"),        # a word the widget does not have is a typo
    ({"send": ""}, "send"),
    ({"send": "x" * 201}, "send"),
])
def test_the_widgets_words_are_checked_by_name(post_touchpoint, texts, field):
    own = post_touchpoint(survey={"language": "it", "texts": texts})
    translated = post_touchpoint(survey={"translations": {"it": {"texts": texts}}})

    assert field in assert_error(own, 422, "survey")["errors"]["survey"]["texts"]
    assert field in assert_error(translated, 422, "survey")["errors"]["survey"]["translations"]["it"]["value"][
        "texts"]


# --- allowed origins ----------------------------------------------------------------

def test_allowed_origins_are_normalised_like_a_browsers_origin_header(post_touchpoint):
    touchpoint = post_touchpoint(allowed_origins=[
        "HTTPS://Shop.Example.COM:443", "http://Localhost:8080", "http://shop.example.com:80",
        "https://shop.example.com", "https://[::1]:8443",
    ]).get_json()

    assert touchpoint["allowed_origins"] == [
        "https://shop.example.com", "http://localhost:8080", "http://shop.example.com", "https://[::1]:8443"]


@pytest.mark.parametrize("origin", [
    "https://shop.example.com/checkout",
    "https://shop.example.com?page=1",
    "https://shop.example.com#cart",
    "https://user:secret@shop.example.com",
    "https://user@shop.example.com",
    "https://*.example.com",
    "*",
    "ftp://shop.example.com",
    "javascript:alert(1)",
    "shop.example.com",
    "https://",
    "https://shop.example.com:99999",
    "https://shop.example.com:port",
    # characters no host name has
    "https://a b.com", "https://a.com\\evil", "https://a,b.com", "https://a.com;b", "https://a.com%2F",
    "https://a.com%00", "https://a_b.com", "https://a.com\tx",
    # malformed names and numbers
    "https://a..com", "https://-a.com", "https://a-.com", "https://.a.com", "https://a.com.",
    "https://" + "a" * 64 + ".com", "https://" + ".".join(["a" * 60] * 5), "https://xn--zz.com",
    "https://\u2603.com", "https://1.2.3", "https://2130706433", "https://0x7f.0.0.1", "https://01.2.3.4",
    "https://[::1", "https://[fe80::1%25eth0]", "https://[1.2.3.4]",
    # ports
    "https://a.com:0", "https://a.com:", "https://a.com:123456", "https://a.com:-1",
    # nothing after the host, not even its separator
    "https://a.com/", "https://a.com?", "https://a.com#", "https://a.com:8080/",
])
def test_anything_but_a_bare_origin_is_refused(app, post_touchpoint, origin):
    before = row_counts(app)

    response = post_touchpoint(allowed_origins=["https://fine.example.com", origin])

    body = assert_error(response, 422, "allowed_origins")
    assert "1" in body["errors"]["allowed_origins"]  # the offending entry, by index
    assert row_counts(app) == before


@pytest.mark.parametrize(("given", "stored"), [
    ("https://exämple.com", "https://xn--exmple-cua.com"),  # what a browser's Origin header says
    ("https://EXÄMPLE.com:8443", "https://xn--exmple-cua.com:8443"),
    ("https://xn--exmple-cua.com", "https://xn--exmple-cua.com"),
    ("https://faß.de", "https://xn--fa-hia.de"),
    ("http://localhost", "http://localhost"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("https://[2001:DB8:0:0:0:0:0:1]:443", "https://[2001:db8::1]"),
    ("https://[::ffff:1.2.3.4]", "https://[::ffff:102:304]"),
    ("https://shop.example.com:08080", "https://shop.example.com:8080"),
    ("https://a-b--c.example.com:65535", "https://a-b--c.example.com:65535"),
    ("  https://shop.example.com\n", "https://shop.example.com"),
])
def test_each_origin_is_stored_as_a_browser_sends_it(post_touchpoint, given, stored):
    response = post_touchpoint(allowed_origins=[given])

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["allowed_origins"] == [stored]


def test_a_refused_origin_changes_nothing_on_patch(client, org, post_touchpoint):
    touchpoint = post_touchpoint(allowed_origins=["https://old.example.com"]).get_json()

    refused = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers,
                           json={"allowed_origins": ["https://new.example.com", "https://a..com"]})

    body = assert_error(refused, 422, "allowed_origins")
    assert "a..com" in body["errors"]["allowed_origins"]["1"][0]
    shown = client.get(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers).get_json()
    assert shown["allowed_origins"] == ["https://old.example.com"]


def test_allowed_origins_can_be_replaced(client, org, post_touchpoint):
    touchpoint = post_touchpoint(allowed_origins=["https://old.example.com"]).get_json()

    patched = client.patch(f"/api/v1/touchpoints/{touchpoint['id']}",
                           json={"allowed_origins": ["https://NEW.example.com"]}, headers=org.headers).get_json()

    assert patched["allowed_origins"] == ["https://new.example.com"]
