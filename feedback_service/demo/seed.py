"""The demo organisation: the online shoe shop from the articles this product comes from.

An advert promises free overnight shipping over $100; the cart will not apply
it; the phone number hides in the footer; the wait is fifteen minutes. The
sample answers follow that story, so the reports point where the journey hurts.
Everything is derived from fixed seeds: running it twice changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from .. import rollups
from ..accounts import staff
from ..accounts.organizations import NewOrganization, create_organization
from ..alerts.rules import create_starter_rules
from ..audits.walks import seed_demo_walks
from ..backlog.intake import seed_demo_backlog
from ..core.security import generate_api_key
from ..core.tenancy import tenant_scope
from ..core.urls import bare_origin
from ..customers.identity import resolve_customer
from ..extensions import db
from ..journeys import ordering, touchpoints
from ..journeys.surveys import METRICS
from ..loop import workflow
from ..loop.opening import open_for_response
from ..models import Organization, Response, User, utcnow
from ..rollups import steps
from ..sentiment.scoring import initial_sentiment, score_comments, write_sentiment
from ..themes.store import store_themes

DEMO_NAME = "Stride Shoes (demo)"
DEMO_ADMIN_EMAIL = "admin@stride-shoes.example"

TEAMS = {
    "Marketing": [("Maya Lund", "maya@stride-shoes.example")],
    "Web": [("Wes Okafor", "wes@stride-shoes.example"), ("Winnie Chen", "winnie@stride-shoes.example")],
    "Support": [("Sam Reyes", "sam@stride-shoes.example"), ("Sofia Marino", "sofia@stride-shoes.example")],
    "Shipping": [("Shay Novak", "shay@stride-shoes.example")],
    "Procurement": [("Pat Iyer", "pat@stride-shoes.example")],
}

# (name, channel, team, metric, score weights low→high, comments (good, bad)). The bad comments come
# in a few wordings per complaint, as customers write them, so each touchpoint's themes have a story.
TOUCHPOINTS = [
    ("Advertisement", "social", "Marketing", "csat", [1, 1, 3, 6, 5],
     (["The holiday special was clear and tempting.", "Great deal, exactly the shoes I wanted."],
      ["The ad promised free overnight shipping but never said which items count.",
       "Misleading offer, the small print hides the free shipping conditions."])),
    ("Browse the shop", "web", "Procurement", "ces", [1, 1, 2, 3, 5, 6, 4],
     (["Easy to find my size and colour.", "Love the filters, found the shoes in a minute.",
       "Good photos and honest size guide."],
      ["Half the sizes are out of stock.", "My size is out of stock in every colour.",
       "I could not tell which socks are your own brand.",
       "Out of stock again, the filter shows sizes you don't have."])),
    ("Cart & checkout", "web", "Web", "ces", [7, 6, 5, 3, 3, 2, 2],
     (["Checkout was quick and painless.", "Smooth payment, thanks!", "Paid in a minute, easy checkout."],
      ["I tried three times and the free shipping never activated. Terrible.",
       "Why is free shipping not applied when I am over $100? Awful experience.",
       "The free shipping code was rejected at checkout.",
       "Free shipping code does not work, the cart still charges shipping.",
       "Your free shipping offer is not applied in the cart, I gave up.",
       "The cart kept removing my discount. Frustrating and confusing.",
       "Discount removed from the cart at the last step.",
       "Card payment failed twice with an error."])),
    ("Contact support", "phone", "Support", "csat", [8, 5, 3, 3, 2],
     (["Sofia was very helpful and solved it quickly.", "Friendly agent, problem fixed.",
       "Sam sorted out my shipping charge in two minutes."],
      ["Waited 15 minutes on hold before anyone answered. Unacceptable.",
       "Hold time was over twenty minutes.", "On hold for ages, the hold music drove me mad.",
       "Long hold time again, I called about the free shipping code.",
       "Twenty minutes on hold just to ask why free shipping was not applied.",
       "It took five minutes to even find your phone number, hidden in the footer.",
       "The phone number is hidden in the footer.",
       "I had to explain my problem three times. Nobody listened."])),
    ("Delivery", "email", "Shipping", "csat", [1, 1, 2, 5, 7],
     (["Arrived next day, well packed. Excellent!", "Fast delivery, great service.",
       "Delivered a day early, well packed."],
      ["The parcel arrived two days late and the box was crushed.", "Delivery was three days late.",
       "Late delivery and nobody told me.", "The box was crushed and the shoes scuffed."])),
    ("Returns", "web", "Shipping", "nps", [1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 5],
     (["Returns were free and easy, I will buy again.", "Refund came within a week, very happy."],
      ["The return label did not print and nobody answered my email.", "Return label would not print.",
       "Returning shoes was a hassle, I will not recommend you.", "Still waiting for my refund after three weeks."])),
]

# The story the answers tell, week by week over the last twelve weeks: customers walk the
# journey in order; a bad checkout sends most of them to the phone line; the carrier has a
# bad week every other week, so delivery swings; few people answer about the advert, so its
# figure stays provisional.
WEEKS = 12
CUSTOMERS = 420
ANSWER_CHANCE = {"Advertisement": 0.05, "Browse the shop": 0.45, "Cart & checkout": 0.8, "Contact support": 0.12,
                 "Delivery": 0.6, "Returns": 0.2}
CALLS_AFTER_BAD_CHECKOUT = 0.7
COMMENT_CHANCE = 0.6
# Delivery's weights in the carrier's good weeks and in its bad ones.
DELIVERY_BAD_WEEK = [5, 4, 3, 2, 1]


def _secret(label: str) -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), label.encode(), hashlib.sha256).digest()


def demo_password() -> str:
    return "demo-" + _secret("demo-admin-password").hex()[:12]


def find_demo() -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.is_demo.is_(True)))


def ensure_demo() -> NewOrganization:
    """Create the demo organisation unless it exists; either way return its credentials.

    The key and password are derived from SECRET_KEY, so they are the same on
    every run and never stored in the clear.
    """
    password = demo_password()
    existing = find_demo()
    if existing is not None:
        key, _, _ = generate_api_key(_secret("demo-api-key"))
        with tenant_scope(existing.id):
            admin = staff_admin()
        return NewOrganization(existing, key, admin, password)
    created = create_organization(DEMO_NAME, DEMO_ADMIN_EMAIL, password, is_demo=True,
                                  api_key_seed=_secret("demo-api-key"))
    with tenant_scope(created.organization.id):
        _seed(created.organization)
    return created


def staff_admin():
    return db.session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))


def _seed(organization: Organization) -> None:
    rng = random.Random(20121119)
    organization.survey_cap_days = None
    teams = {}
    for team_name, members in TEAMS.items():
        users = [staff.create_user(email=email, name=name, role="agent") for name, email in members]
        teams[team_name] = staff.create_team(name=team_name, member_ids=[u.id for u in users],
                                             lead_id=users[0].id)
    journey = ordering.create_journey(
        name="Buying shoes online",
        description="From the holiday advert to a return: every step a customer takes with us.",
    )
    # The demo pages are served by this service: its own origin (PUBLIC_BASE_URL may carry a path).
    public = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    base = bare_origin(f"{public.scheme}://{public.netloc}")
    created = []
    for name, channel, team_name, metric, weights, comments in TOUCHPOINTS:
        touchpoint = touchpoints.create_touchpoint(
            journey_id=journey.id, name=name, channel=channel, team_id=teams[team_name].id,
            allowed_origins=[base], survey={"metric": metric},
        )
        created.append((touchpoint, weights, comments))

    now = utcnow()
    answers = list(_walks(rng, created, now))
    db.session.flush()
    rollups.count(answers)
    _work_the_follow_ups(rng, answers, now)
    # Scored here rather than by the queue, so the themes found next have every comment's sentiment.
    write_sentiment(score_comments([(r.id, r.comment) for r in answers if r.comment]))
    db.session.flush()
    for touchpoint, _, _ in created:
        store_themes(touchpoint.id)
    # The answers are dated in the past, where the worker's sweep of changed answers does not look.
    steps.refresh_customers({r.customer_id for r in answers})
    # Each rule is judged after the commit: the checkout and the phone line fire, and their
    # neighbours' teams hear of it.
    create_starter_rules(journey.id)
    # Two secret-shopper walks of the journey, five weeks and one week ago (the articles' story).
    seed_demo_walks(journey.id, staff_admin().id)
    # What the walks found, on one list: two fixes done (and checked), the hold time on top.
    seed_demo_backlog()


def _walks(rng: random.Random, created: list, now) -> Iterator[Response]:
    """Every answer the demo's customers give, walking the journey in order."""
    by_name = {touchpoint.name: (touchpoint, weights, comments) for touchpoint, weights, comments in created}
    for i in range(1, CUSTOMERS + 1):
        external_id, email = f"cust-{i:04d}", f"customer{i}@mail.example"
        at = now - timedelta(days=rng.uniform(0.5, 7 * WEEKS))
        bad_checkout = False
        for name, *_ in TOUCHPOINTS:
            at += timedelta(hours=rng.uniform(0.2, 30))
            if at >= now:
                break
            touchpoint, weights, comments = by_name[name]
            calls = name == "Contact support" and bad_checkout and rng.random() < CALLS_AFTER_BAD_CHECKOUT
            if not calls and rng.random() >= ANSWER_CHANCE[name]:
                continue
            if name == "Delivery" and ((now - at).days // 7) % 2:
                weights = DELIVERY_BAD_WEEK
            customer = resolve_customer(external_id=external_id, email=email, seen_at=at)
            answer = _answer(rng, touchpoint, weights, comments, customer, at)
            if name == "Cart & checkout":
                bad_checkout = METRICS[answer.metric].is_low(answer.score)
            yield answer


def _answer(rng: random.Random, touchpoint, weights, comments, customer, at) -> Response:
    survey = touchpoint.survey
    metric = METRICS[survey.metric]
    score = rng.choices(range(metric.low, metric.high + 1), weights=weights)[0]
    good, bad = comments
    comment = rng.choice(bad if metric.is_low(score) else good) if rng.random() < COMMENT_CHANCE else None
    response = Response(touchpoint=touchpoint, survey_version=survey, customer=customer, metric=survey.metric,
                        score=score, comment=comment, context={"demo": True}, source="widget",
                        **initial_sentiment(comment), created_at=at, updated_at=at)
    db.session.add(response)
    return response


ROOT_CAUSES = {
    "Advertisement": ["Promotion rules unclear"],
    "Browse the shop": ["Stock data out of date", "Own-brand items not marked"],
    "Cart & checkout": ["Promotion rules unclear", "Discount code bug"],
    "Contact support": ["Understaffed phone line", "Contact details hard to find"],
    "Delivery": ["Carrier delay", "Packaging too weak"],
    "Returns": ["Return label printing fails", "Refund takes too long"],
}


def _work_the_follow_ups(rng: random.Random, answers: list[Response], now) -> None:
    """Open the follow-ups the answers call for, dated like the answers, and close
    the older ones the way a team would: so the inbox and the metrics have a story."""
    for response in sorted(answers, key=lambda r: r.created_at):
        follow_up = open_for_response(response)
        if follow_up is None:
            continue
        follow_up.created_at = response.created_at
        follow_up.due_at = response.created_at + (follow_up.due_at - now)
        age_days = (now - response.created_at).days
        actor = f"user:{follow_up.owner_id}" if follow_up.owner_id else "system"
        if age_days < 3 or follow_up.owner_id is None:
            continue  # recent ones are still waiting
        follow_up.first_action_at = response.created_at + timedelta(hours=rng.uniform(0.5, 30))
        roll = rng.random()
        if roll < 0.55:  # the whole loop: worked on, the customer told, resolved
            workflow.transition(follow_up.id, "in_progress", actor)
            workflow.transition(follow_up.id, "responded", actor, note="Called the customer and explained the fix.")
            workflow.transition(follow_up.id, "resolved", actor,
                                  root_cause=rng.choice(ROOT_CAUSES[response.touchpoint.name]))
            follow_up.resolved_at = response.created_at + timedelta(hours=rng.uniform(2, 120))
        elif roll < 0.75:
            workflow.transition(follow_up.id, "in_progress", actor)
        elif roll < 0.85:
            workflow.transition(follow_up.id, "no_action", actor, note="Praise passed on to the team.")
            follow_up.resolved_at = response.created_at + timedelta(hours=rng.uniform(1, 48))
    db.session.flush()
