"""The access log: reading a household as a leader writes one row; display and delegation write none; the log
cannot be changed; admins read and export it."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DatabaseError

from sandbox.store.db import session_factory
from sandbox.store.models import Household
from sandbox.store.office.tables import AccessLogEntry
from tests.conftest import auth

TOWN = "522726103000"


def _rows(engine) -> int:
    with session_factory(engine)() as s:
        return s.scalar(select(func.count()).select_from(AccessLogEntry))


def _last(engine) -> AccessLogEntry:
    with session_factory(engine)() as s:
        e = s.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id.desc()).limit(1)).one()
        s.expunge(e)
        return e


@pytest.fixture(scope="module")
def household_id(demo_engine) -> int:
    with session_factory(demo_engine)() as s:
        return s.scalar(select(Household.id).where(Household.village_code.startswith(TOWN[:9])).order_by(Household.id))


def test_reading_a_household_as_a_leader_writes_one_log_row(api, tokens, demo_engine, household_id):
    before = _rows(demo_engine)
    r = api.get(f"/api/v1/households/{household_id}", headers=auth(tokens["leader"]))
    assert r.status_code == 200
    assert _rows(demo_engine) == before + 1
    e = _last(demo_engine)
    assert (e.action, e.what, e.role, e.channel) == ("read", "household", "leader", "api")
    assert e.actor.startswith("令牌 #") and str(household_id) in e.subject and e.region_code.startswith(TOWN[:9])
    assert e.address == "testclient"


def test_a_leaders_list_is_logged_too(api, tokens, demo_engine):
    before = _rows(demo_engine)
    assert api.get("/api/v1/households", params={"region": TOWN}, headers=auth(tokens["leader"])).status_code == 200
    assert _rows(demo_engine) == before + 1 and _last(demo_engine).what == "household_list"


@pytest.mark.parametrize("role", ["display", "delegation"])
def test_display_and_delegation_log_nothing_personal(api, tokens, demo_engine, household_id, role):
    before = _rows(demo_engine)
    api.get(f"/api/v1/households/{household_id}", headers=auth(tokens[role]))
    api.get("/api/v1/households", params={"region": TOWN}, headers=auth(tokens[role]))
    assert _rows(demo_engine) == before


def test_the_log_is_append_only_in_the_database(demo_engine, api, tokens, household_id):
    api.get(f"/api/v1/households/{household_id}", headers=auth(tokens["admin"]))
    with session_factory(demo_engine)() as s:
        with pytest.raises(DatabaseError):
            s.execute(update(AccessLogEntry).values(actor="nobody"))
        s.rollback()
        with pytest.raises(DatabaseError):
            s.execute(delete(AccessLogEntry))
        s.rollback()
    assert _rows(demo_engine) > 0


def test_a_console_read_is_logged_with_the_person(console, demo_engine, signed_in, household_id):
    username = signed_in("leader")
    console.get(f"/console/households/{household_id}")
    e = _last(demo_engine)
    assert username in e.actor and e.channel == "console" and e.what == "household"


def test_admins_read_and_export_the_log(console, demo_engine, signed_in, household_id):
    username = signed_in("admin")
    console.get(f"/console/households/{household_id}")
    page = console.get("/console/access-log", params={"actor": username})
    assert page.status_code == 200 and "户详情" in page.text and username in page.text
    csv = console.get("/console/access-log.csv", params={"actor": username})
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode()) and username in csv.text
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = console.get("/console/access-log.xlsx", params={"actor": username})
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as z:
        assert any(username in z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert _last(demo_engine).what == "access_log"  # exporting the log is itself logged


def test_a_bad_date_in_the_filter_is_a_chinese_message(console, signed_in):
    signed_in("admin")
    r = console.get("/console/access-log", params={"since": "yesterday"})
    assert r.status_code == 422 and "日期应写成" in r.text
