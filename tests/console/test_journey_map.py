"""The journey map: figures from the service, checked by hand, and the page that draws them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from feedback_service.analytics import figures, journey_map
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.journeys import touchpoints
from feedback_service.models import utcnow
from tests.helpers.console import page_text


@pytest.fixture
def shop(org, make_team, make_journey, make_touchpoint, make_response):
    """A journey of four touchpoints with answers whose headlines are easy to work out by hand."""
    journey_id = make_journey(org, "Buying shoes")
    support = make_team(org, "Support")
    ids = {}
    for name, metric, channel in (("Advert", "csat", "social"), ("Returns", "nps", "web"),
                                  ("Call us", "ces", "phone"), ("Survey nobody answered", "csat", "email")):
        ids[name], _ = make_touchpoint(org, journey_id, name=name, channel=channel, team_id=support,
                                       survey={"metric": metric})
    for score in (5, 4, 4, 2, 1):
        make_response(org, ids["Advert"], score=score)
    for score in (10, 9, 8, 6, 0, 3):
        make_response(org, ids["Returns"], score=score)
    for score in (7, 5, 3, 1):
        make_response(org, ids["Call us"], score=score)
    # Outside the 90-day window: never counted.
    make_response(org, ids["Advert"], score=1, created_at=utcnow() - timedelta(days=91))
    return journey_id, ids


def _map(app, org, journey_id, **kwargs):
    with app.app_context(), org.scope():
        return journey_map.journey_map(journey_id, **kwargs)


def test_headlines_and_n_match_a_hand_computation(app, org, shop):
    journey_id, ids = shop

    stations = {s.name: s for s in _map(app, org, journey_id).stations}

    # CSAT: 3 of 5 answers are 4-5.
    assert (stations["Advert"].n, stations["Advert"].score) == (5, 60.0)
    # NPS: promoters 10, 9 (2); detractors 6, 0, 3 (3); of 6: (2 - 3) / 6 = -16.7.
    assert (stations["Returns"].n, stations["Returns"].score) == (6, -16.7)
    # CES: 7 and 5 of 4 answers are 5-7.
    assert (stations["Call us"].n, stations["Call us"].score) == (4, 50.0)
    assert (stations["Survey nobody answered"].n, stations["Survey nobody answered"].score) == (0, None)


def test_each_headline_is_judged_on_its_own_metrics_scale(app, org, shop):
    journey_id, _ = shop

    stations = {s.name: s for s in _map(app, org, journey_id).stations}

    assert stations["Advert"].band == "at_risk"      # CSAT 60 %: at the hurting line, not below it
    assert stations["Returns"].band == "hurting"     # NPS below 0
    assert stations["Call us"].band == "at_risk"     # CES 50 %
    assert stations["Survey nobody answered"].band == "no_data"


def test_the_touchpoint_that_hurts_most_is_marked_once(app, org, shop):
    journey_id, ids = shop

    result = _map(app, org, journey_id)

    # By the points, Returns hurts most: friction CSAT (80-60)/20 = 1.0, CES (70-50)/20 = 1.0,
    # NPS (30+16.7)/30 = 1.557. But four to six answers say little, and the mark goes by the
    # report's rule, the friction at each interval's upper end: Advert's CSAT is at best 88.2 %
    # (friction -0.41), Returns' NPS at best +46.0 (-0.533), Call us' CES at best 85 % (-0.75).
    assert {s.name: s.friction for s in result.stations} == {
        "Advert": 1.0, "Returns": 1.557, "Call us": 1.0, "Survey nobody answered": None}
    assert {s.name: s.friction_at_best for s in result.stations} == {
        "Advert": -0.41, "Returns": -0.533, "Call us": -0.75, "Survey nobody answered": None}
    assert [s.name for s in result.stations if s.hurts_most] == ["Advert"]
    assert result.hurts_most.touchpoint_id == ids["Advert"]


def test_stations_follow_the_journeys_order_not_creation_order(app, org, shop, make_touchpoint):
    journey_id, _ = shop
    make_touchpoint(org, journey_id, name="Search", position=1)

    result = _map(app, org, journey_id)

    assert [s.name for s in result.stations] == ["Search", "Advert", "Returns", "Call us",
                                                 "Survey nobody answered"]
    assert [s.position for s in result.stations] == [1, 2, 3, 4, 5]


def test_the_window_ends_now_and_reaches_back_ninety_days(app, org, shop):
    journey_id, _ = shop

    earlier = _map(app, org, journey_id, now=utcnow() - timedelta(days=2))
    shorter = _map(app, org, journey_id, window=timedelta(days=1))
    later = _map(app, org, journey_id, now=utcnow() + timedelta(days=89, hours=23))

    assert earlier.n == 1  # only the answer from 91 days ago; the others are newer
    assert shorter.n == 15
    assert {s.name: s.n for s in later.stations}["Advert"] == 5


def test_answers_given_under_a_previous_metric_are_left_out(app, org, shop, make_response):
    journey_id, ids = shop
    with app.app_context(), org.scope():
        touchpoints.update_touchpoint(ids["Advert"], {"survey": {"metric": "nps"}})
        commit()
    make_response(org, ids["Advert"], score=10)

    advert = {s.name: s for s in _map(app, org, journey_id).stations}["Advert"]

    assert (advert.metric, advert.n, advert.score) == ("nps", 1, 100.0)


def test_archived_touchpoints_leave_the_map(app, org, shop):
    journey_id, ids = shop
    with app.app_context(), org.scope():
        touchpoints.archive_touchpoint(ids["Call us"])
        commit()

    assert "Call us" not in [s.name for s in _map(app, org, journey_id).stations]


def test_another_organisations_answers_do_not_count(app, org, shop, make_org, make_touchpoint, make_response):
    journey_id, _ = shop
    other = make_org("Other")
    their_touchpoint, _ = make_touchpoint(other, name="Advert")
    make_response(other, their_touchpoint, score=1)

    assert {s.name: s.n for s in _map(app, org, journey_id).stations}["Advert"] == 5


def test_the_figures_come_from_one_grouped_query_however_many_touchpoints(
        app, org, make_journey, make_touchpoint, make_response):
    def selects_for(journey_id) -> int:
        statements = []

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        with app.app_context(), org.scope():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                journey_map.journey_map(journey_id)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    small, large = make_journey(org, "Small"), make_journey(org, "Large")
    for journey_id, size in ((small, 2), (large, 8)):
        for index in range(size):
            touchpoint_id, _ = make_touchpoint(org, journey_id, name=f"Step {index}")
            make_response(org, touchpoint_id, score=3)

    # The rollups' whole days, and the answers of the part-days at either end: three, however many.
    assert selects_for(small) == selects_for(large) <= 5


@pytest.mark.parametrize(("metric", "score", "band"), [
    ("csat", 80.0, "healthy"), ("csat", 79.9, "at_risk"), ("csat", 60.0, "at_risk"), ("csat", 59.9, "hurting"),
    ("nps", 30.0, "healthy"), ("nps", 0.0, "at_risk"), ("nps", -0.1, "hurting"),
    ("ces", 70.0, "healthy"), ("ces", 50.0, "at_risk"), ("ces", 49.9, "hurting"),
    ("ces", None, "no_data"),
])
def test_band_thresholds(metric, score, band):
    assert figures.band_for(metric, score) == band


# ---- The page --------------------------------------------------------------------

def _svg(page: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match, "no SVG on the page"
    return match.group(0)


def test_the_journey_page_draws_the_touchpoints_in_order_with_their_figures(admin_client, shop):
    journey_id, ids = shop

    page = page_text(admin_client.get(f"/journeys/{journey_id}"))
    svg = _svg(page)

    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="map-title map-desc"', svg)
    assert '<title id="map-title">Journey map of Buying shoes</title>' in svg
    names = re.findall(r'<text class="name"[^>]*>([^<]+)</text>', svg)
    assert names == ["Advert", "Returns", "Call us", "Survey nobody", "answered"]
    xs = [int(x) for x in re.findall(r'<circle class="dot" cx="(\d+)"', svg)]
    assert xs == sorted(xs) and len(xs) == 4
    assert re.findall(r'<text class="dot-score"[^>]*>([^<]+)</text>', svg) == ["60%", "−16.7", "50%", "—"]
    assert re.findall(r'<text class="count"[^>]*>n = (\d+)</text>', svg) == ["5", "6", "4", "0"]
    assert re.findall(r'class="station band-([a-z-]+)', svg) == ["at-risk", "hurting", "at-risk", "no-data"]
    assert svg.count("Hurts most</text>") == 1
    assert f'href="/touchpoints/{ids["Advert"]}" tabindex="-1" class="station band-at-risk provisional worst"' in svg
    assert "style=" not in svg


def test_the_table_under_the_map_gives_the_same_figures_and_links(admin_client, shop):
    journey_id, ids = shop

    page = page_text(admin_client.get(f"/journeys/{journey_id}"))
    table = re.search(r"<table.*?</table>", page, re.S).group(0)

    rows = re.findall(r'<tr(?: class="row-worst")?>\s*<td class="num" data-label="Step">(\d+)</td>\s*'
                      r'<th scope="row" data-label="Touchpoint"><a href="/touchpoints/(\d+)">([^<]+)</a></th>.*?'
                      r'<td class="num" data-label="n">(\d+)</td>\s*'
                      r'<td class="num strong" data-label="Score">([^<]+)</td>', table, re.S)
    assert rows == [
        ("1", str(ids["Advert"]), "Advert", "5", "60%"),
        ("2", str(ids["Returns"]), "Returns", "6", "−16.7"),
        ("3", str(ids["Call us"]), "Call us", "4", "50%"),
        ("4", str(ids["Survey nobody answered"]), "Survey nobody answered", "0", "—"),
    ]
    assert '<th scope="col">Touchpoint</th>' in table
    assert "Support" in table and "Phone" in table


def test_the_journeys_list_names_each_journey_and_where_it_hurts(admin_client, shop, make_journey, org):
    journey_id, _ = shop
    make_journey(org, "An empty journey")

    page = page_text(admin_client.get("/journeys"))

    assert f'<a href="/journeys/{journey_id}">Buying shoes</a>' in page
    assert "Hurts most: <strong>Advert</strong>" in page
    assert "An empty journey" in page


def test_a_journey_without_touchpoints_says_so(admin_client, make_journey, org):
    journey_id = make_journey(org, "Nothing yet")

    page = page_text(admin_client.get(f"/journeys/{journey_id}"))

    assert "No touchpoints yet" in page
    assert "<svg" not in page


def test_a_touchpoint_name_with_markup_is_escaped_in_the_map(admin_client, org, make_journey, make_touchpoint):
    journey_id = make_journey(org, "<b>Bold</b> journey")
    make_touchpoint(org, journey_id, name="<img src=x onerror=alert(1)>")

    page = page_text(admin_client.get(f"/journeys/{journey_id}"))

    assert "<img src=x" not in page and "<b>Bold</b>" not in page
    assert "&lt;img src=x" in page
