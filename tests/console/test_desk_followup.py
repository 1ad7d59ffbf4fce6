"""The desk's 督办跟踪 workbench: overdue and soon-due items within the region, oldest first, with their ages and who
must act; the filters; an item's detail (scrubbed below admin); the xlsx export (logged); who may open it."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.server.console.desk.followup import HEADER, followup_rows
from sandbox.server.console.session import StaffUser
from sandbox.store.command.duty import SOURCES
from sandbox.store.command.inspection import Rectification
from sandbox.store.command.instructions import InstructionItem, today_beijing
from sandbox.store.db import session_factory
from sandbox.store.models import Region
from sandbox.store.office.tables import AccessLogEntry
from tests.console.conftest import TOWN

OTHER_TOWN = "522726100000"  # 百泉镇: the demo has items overdue there
URL = "/console/command/followup"


def _user(role: str = "leader", region: str | None = None) -> StaffUser:
    return StaffUser(1, "t", "t", Role(role), RegionCode(region) if region else None, False, False)


def _rows(demo_engine, region: str | None = None, kind: str = "", role: str = "leader") -> list[dict]:
    with session_factory(demo_engine)() as s:
        return followup_rows(s, _user(role, region), RegionCode(region).prefix if region else "", kind, today_beijing())


def _town_name(demo_engine, code: str) -> str:
    with session_factory(demo_engine)() as s:
        return s.get(Region, code).name


def test_the_overdue_come_first_oldest_first_then_the_soon_due(demo_engine):
    rows = _rows(demo_engine)
    today = today_beijing()
    late = [r for r in rows if r["overdue"]]
    assert len(late) >= 5 and {r["kind"] for r in late} == {"instruction", "rectification"}
    assert rows[:len(late)] == late  # every overdue item before any that is merely due soon
    assert [r["opened"] for r in late] == sorted(r["opened"] for r in late)
    for r in late:
        assert r["late"] == (today - r["deadline"]).days > 0 and r["age"] == (today - r["opened"]).days
        assert r["responsible"] and r["issuer"] and r["status"]
    soon = rows[len(late):]
    assert all(0 <= r["left"] <= 7 for r in soon)
    assert [r["deadline"] for r in soon] == sorted(r["deadline"] for r in soon)
    with session_factory(demo_engine)() as s:  # the 督办 sources' own overdue items, none left out
        expected = {(i.kind, i.id) for k in ("instruction", "rectification") for i in SOURCES[k](s, "", today)
                    if i.open and i.overdue}
    assert {(r["kind"], r["id"]) for r in late} == expected


def test_a_town_clerk_sees_its_town_only(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    page = console.get(URL)
    assert page.status_code == 200
    mine = _rows(demo_engine, TOWN)
    assert mine and all(r["town"] == _town_name(demo_engine, TOWN) for r in mine)
    listed = re.findall(r'href="/console/command/followup/(instruction|rectification)/(\d+)"', page.text)
    assert [(k, int(i)) for k, i in listed] == [(r["kind"], r["id"]) for r in mine]
    assert re.findall(r'<option value="(\d{12})"', page.text) == [TOWN]
    refused = console.get(f"{URL}?town={OTHER_TOWN}")
    assert refused.status_code == 403 and "仅限 基长镇 辖区" in refused.text
    theirs = next(r for r in _rows(demo_engine, OTHER_TOWN))
    r = console.get(f"{URL}/{theirs['kind']}/{theirs['id']}")
    assert r.status_code == 403 and "不在其中" in r.text
    assert console.get(f"{URL}/export.xlsx?town={OTHER_TOWN}").status_code == 403


def test_filters_by_town_and_kind(console, signed_in, demo_engine):
    signed_in("admin")
    page = console.get(f"{URL}?kind=rectification&town={OTHER_TOWN}")
    assert page.status_code == 200
    kinds = re.findall(r'href="/console/command/followup/(\w+)/\d+"', page.text)
    assert kinds and set(kinds) == {"rectification"}
    assert len(kinds) == len(_rows(demo_engine, OTHER_TOWN, "rectification"))
    r = console.get(f"{URL}?kind=complaint")
    assert r.status_code == 422 and "可选: 指令、整改" in r.text
    r = console.get(f"{URL}?town=12")
    assert r.status_code == 422 and "本县没有这个乡镇" in r.text


def _town_with_both(demo_engine) -> str:
    """A town with an overdue (or soon due) instruction and rectification in the demo's history, whichever it is."""
    with session_factory(demo_engine)() as s:
        towns = s.scalars(select(Region.code).where(Region.level == "town").order_by(Region.code)).all()
    for town in [TOWN, *towns]:
        kinds = {r["kind"] for r in _rows(demo_engine, town)}
        if {"instruction", "rectification"} <= kinds:
            return town
    pytest.fail("the demo has no town with both an instruction and a rectification to follow")


def test_an_items_detail_shows_what_was_asked_and_fed_back(console, signed_in, demo_engine):
    town = _town_with_both(demo_engine)
    item = next(r for r in _rows(demo_engine, town) if r["kind"] == "instruction")
    rect = next(r for r in _rows(demo_engine, town) if r["kind"] == "rectification")
    signed_in("leader", town)
    page = console.get(f"{URL}/instruction/{item['id']}")
    assert page.status_code == 200 and item["issuer"] in page.text and "下达内容" in page.text
    assert "反馈情况" in page.text and item["responsible"].split(" ")[0] in page.text
    page = console.get(f"{URL}/rectification/{rect['id']}")
    assert page.status_code == 200 and "整改情况" in page.text and rect["issuer"] in page.text
    for bad in ("instruction/0", "instruction/999999999", f"rectification/{2**63}", "rectification/abc"):
        r = console.get(f"{URL}/{bad}")
        assert r.status_code in (404, 422) and "Traceback" not in r.text, bad


@pytest.fixture()
def noted(demo_engine):
    """A rectification and an instruction item of the town with a phone number in their notes; restored after."""
    sessions = session_factory(demo_engine)
    with sessions() as s:
        rect = s.scalar(select(Rectification).where(Rectification.village_code.startswith(TOWN[:9]),
                                                    Rectification.status == "open").limit(1))
        item = s.scalar(select(InstructionItem).where(InstructionItem.region_code.startswith(TOWN[:9])).limit(1))
        saved = (rect.evidence_note, item.note)
        rect.evidence_note = item.note = "已联系村民, 电话13912345678, 正在整改。"
        s.commit()
        ids = rect.id, item.id
    yield ids
    with sessions() as s:
        s.get(Rectification, ids[0]).evidence_note, s.get(InstructionItem, ids[1]).note = saved
        s.commit()


def test_free_text_is_scrubbed_below_admin(console, signed_in, noted):
    rect_id, item_id = noted
    signed_in("leader", TOWN)
    for path in (f"{URL}/rectification/{rect_id}", f"{URL}/instruction/{item_id}"):
        page = console.get(path)
        assert "正在整改" in page.text and "13912345678" not in page.text, path
    console.cookies.clear()
    signed_in("admin")
    assert "13912345678" in console.get(f"{URL}/rectification/{rect_id}").text


def test_the_export_is_the_list_as_a_workbook_and_is_logged(console, signed_in, demo_engine):
    username = signed_in("leader", TOWN)
    r = console.get(f"{URL}/export.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r.headers["content-disposition"] and r.headers["cache-control"] == "no-store"
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADER
    mine = _rows(demo_engine, TOWN)
    assert [(row[0], row[1], row[6]) for row in rows[1:]] == [(m["kind_zh"], m["title"], m["late"]) for m in mine]
    with session_factory(demo_engine)() as s:
        logged = list(s.scalars(select(AccessLogEntry).where(AccessLogEntry.what == "followup",
                                                             AccessLogEntry.actor.contains(username))))
    assert len(logged) == 1 and logged[0].subject == f"导出 {len(mine)} 项" and logged[0].region_code == TOWN


def test_display_accounts_are_refused(console, signed_in):
    signed_in("display")
    for path in (URL, f"{URL}/export.xlsx", f"{URL}/instruction/1"):
        r = console.get(path)
        assert r.status_code == 403 and "仅限管理员和领导" in r.text, path
