"""Factories: fixtures that return callables making real rows through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from feedback_service import rollups
from feedback_service.accounts import organizations, staff
from feedback_service.core.database import commit
from feedback_service.core.tenancy import tenant_scope
from feedback_service.customers import identity as customers
from feedback_service.extensions import db
from feedback_service.journeys import ordering as journeys
from feedback_service.journeys import touchpoints
from feedback_service.models import Response, utcnow


@dataclass
class Tenant:
    """An organisation as a test sees it: its id, admin key and the headers to use it."""

    id: int
    name: str
    api_key: str
    admin_email: str
    admin_password: str
    headers: dict = field(default_factory=dict)

    def scope(self):
        return tenant_scope(self.id)


@pytest.fixture
def make_org(app):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None) -> Tenant:
        n = next(counter)
        with app.app_context():
            result = organizations.create_organization(name or f"Org {n}", f"admin{n}@org{n}.example",
                                                       "correct-horse-battery")
            commit()
            return Tenant(result.organization.id, result.organization.name, result.api_key,
                          result.admin.email, result.admin_password,
                          {"Authorization": f"Bearer {result.api_key}"})

    return make


@pytest.fixture
def org(make_org) -> Tenant:
    return make_org("Stride Shoes")


@pytest.fixture
def make_key(app):
    def make(tenant: Tenant, role: str) -> dict:
        with app.app_context():
            key, _ = organizations.create_api_key(tenant.id, name=f"{role} key", role=role)
            commit()
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def make_team(app):
    def make(tenant: Tenant, name: str = "Support", members: int = 0, **kwargs) -> int:
        with app.app_context(), tenant.scope():
            users = [staff.create_user(email=f"{name.lower()}{i}@staff.example", name=f"{name} {i}")
                     for i in range(members)]
            team = staff.create_team(name=name, member_ids=[u.id for u in users], **kwargs)
            commit()
            return team.id

    return make


@pytest.fixture
def make_journey(app):
    def make(tenant: Tenant, name: str = "Buying shoes online") -> int:
        with app.app_context(), tenant.scope():
            journey = journeys.create_journey(name=name)
            commit()
            return journey.id

    return make


@pytest.fixture
def make_touchpoint(app, make_journey):
    def make(tenant: Tenant, journey_id: int | None = None, name: str = "Checkout", **kwargs):
        journey_id = journey_id or make_journey(tenant)
        with app.app_context(), tenant.scope():
            touchpoint = touchpoints.create_touchpoint(journey_id=journey_id, name=name, **kwargs)
            commit()
            return touchpoint.id, touchpoint.publishable_key

    return make


@pytest.fixture
def make_response(app):
    def make(tenant: Tenant, touchpoint_id: int, score: int = 4, comment: str | None = None,
             customer: dict | None = None, created_at: datetime | None = None, source: str = "widget",
             sentiment: tuple[str, float] | None = None) -> int:
        """An answer, stored and counted; ``sentiment`` (label, compound) makes its comment scored already."""
        with app.app_context(), tenant.scope():
            from feedback_service.models import Touchpoint

            touchpoint = db.session.get(Touchpoint, touchpoint_id)
            at = created_at or utcnow()
            person = customers.resolve_customer(**(customer or {"external_id": None, "email": None}), seen_at=at)
            response = Response(touchpoint=touchpoint, survey_version=touchpoint.survey, customer=person,
                                metric=touchpoint.survey.metric, score=score, comment=comment,
                                sentiment_status="pending" if comment else "skipped",
                                sentiment_reason=None if comment else "no_comment",
                                created_at=at, updated_at=at, source=source)
            if sentiment is not None:
                response.sentiment_status, response.sentiment_reason = "scored", None
                response.sentiment_label, response.sentiment_compound = sentiment
            db.session.add(response)
            db.session.flush()
            rollups.count([response])
            commit()
            return response.id

    return make
