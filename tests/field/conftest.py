"""What the phone-page modules share: the real API on the demo database, one headless phone per module, and the
rows a module added (check-ins, instructions, findings, this month's inspection plan) taken back after it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from sandbox.server.runtime import EmbeddedServer
from sandbox.store.command.findings import beijing_today
from sandbox.store.command.inspection import InspectionAssignment, InspectionMember, InspectionPlan
from sandbox.store.command.inspection_plan import ensure_plan
from sandbox.store.db import session_factory
from sandbox.store.field import create_invite
from sandbox.store.models import Checkin
from tests.field.browser import phone_browser


@contextmanager
def phone_api(demo_engine, data_dir: Path, before_start: Callable[[EmbeddedServer], None] | None = None
              ) -> Iterator[EmbeddedServer]:
    """The embedded API on the demo database, its photos and files under `data_dir`; `before_start` may add to the
    app (a middleware) before it serves."""
    srv = EmbeddedServer(demo_engine)
    app = srv.server.config.app
    app.state.settings = app.state.settings.model_copy(update={"data_dir": data_dir})
    if before_start is not None:
        before_start(srv)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def invite_code(engine, role: str, **kw) -> str:
    """A one-time enrolment code for a phone of `role` (cadre, leader, ...; `kw` as `create_invite` takes)."""
    with session_factory(engine)() as session:
        code, _ = create_invite(session, role, **kw)
        session.commit()
    return code


def this_month() -> str:
    """The inspection month the API works in today (Beijing)."""
    t = beijing_today()
    return f"{t.year:04d}-{t.month:02d}"


def an_inspection_this_month(engine) -> tuple[str, int]:
    """A village on this month's inspection plan (made if need be) and a cadre of the subgroup that inspects it."""
    month = this_month()
    with session_factory(engine)() as s:
        ensure_plan(s, month)
        s.commit()
        village, inspector = s.execute(
            select(InspectionAssignment.village_code, InspectionMember.cadre_id)
            .join(InspectionMember, InspectionMember.subgroup_id == InspectionAssignment.subgroup_id)
            .where(InspectionAssignment.month == month, InspectionMember.cadre_id.is_not(None))
            .order_by(InspectionAssignment.village_code).limit(1)).one()
    return village, inspector


@contextmanager
def added_rows_taken_back(demo_engine, key, *dependents) -> Iterator[None]:
    """The rows whose id column `key` passes its largest value before are deleted after, and first the rows of
    each `dependents` column (a child's reference to that id), so the next module starts from the demo's own."""
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(key))) or 0
    try:
        yield
    finally:
        with demo_engine.begin() as conn:
            for column in (*dependents, key):
                conn.execute(delete(column.class_).where(column > first))


def checkins_taken_back(demo_engine):
    """The check-ins made inside are deleted after."""
    return added_rows_taken_back(demo_engine, Checkin.id)


@contextmanager
def month_plan_taken_back(demo_engine) -> Iterator[None]:
    """This month's inspection plan, if a module made it, is deleted after (a plan the demo had is kept)."""
    month = this_month()
    with demo_engine.connect() as conn:
        had_plan = conn.scalar(select(InspectionPlan.month).where(InspectionPlan.month == month)) is not None
    try:
        yield
    finally:
        if not had_plan:
            with demo_engine.begin() as conn:
                conn.execute(delete(InspectionAssignment).where(InspectionAssignment.month == month))
                conn.execute(delete(InspectionPlan).where(InspectionPlan.month == month))


@pytest.fixture(scope="module")
def browser():
    """One headless phone (Chromium at 390×844) for the module."""
    driver = phone_browser()
    yield driver
    driver.quit()
