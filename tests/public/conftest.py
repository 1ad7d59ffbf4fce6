"""Fixtures for the public QR pages: a fresh app per test (its own rate-limit counters), slugs of the demo."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sandbox.server.app import create_app
from sandbox.store.db import session_factory
from sandbox.store.models import Assignment, Household, HouseholdYear, Project, ProjectBeneficiary, PublicSlug


@pytest.fixture()
def client(demo_engine):
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def sessions(demo_engine):
    return session_factory(demo_engine)


def active_slug(session, kind: str, subject_id: int) -> str:
    return session.scalar(select(PublicSlug.slug).where(PublicSlug.kind == kind, PublicSlug.subject_id == subject_id,
                                                        PublicSlug.revoked_at.is_(None)))


def linked_households(session, limit: int = 20, offset: int = 0) -> list[Household]:
    """Households with a 利益联结, a running assignment and a latest year that is not closed."""
    latest = session.scalar(select(func.max(HouseholdYear.year)))
    q = (select(Household).join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
         .join(HouseholdYear, (HouseholdYear.household_id == Household.id) & (HouseholdYear.year == latest))
         .where(HouseholdYear.status != "closed",
                Household.id.in_(select(Assignment.household_id).where(Assignment.end_year.is_(None))))
         .distinct().order_by(Household.id).offset(offset).limit(limit))
    return list(session.scalars(q))


@pytest.fixture(scope="session")
def household(sessions):
    """(Household, its slug) that no test revokes."""
    with sessions() as s:
        h = linked_households(s, 1)[0]
        s.expunge(h)
        return h, active_slug(s, "household", h.id)


@pytest.fixture(scope="session")
def project(sessions):
    """(Project, its slug): the flagship park, with beneficiaries and funds."""
    with sessions() as s:
        p = s.scalars(select(Project).order_by(Project.id).limit(1)).one()
        s.expunge(p)
        return p, active_slug(s, "project", p.id)
