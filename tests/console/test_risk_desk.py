"""The console's cases workbench: hits in the account's region, masked by role; assign → 核实属实/排除 → close with
a note; a display account sees counts only; another town's hit is not found; the desk lists the workbench."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.store.risk.tables import RiskCase, RiskHit
from tests.console.conftest import TOWN, csrf_of, post_form

BASE = "/console/command/risk"


def _hit(engine, rule: str, inside: str | None = None, outside: str | None = None) -> int:
    with Session(engine) as s:
        q = select(RiskHit.id).outerjoin(RiskCase, RiskCase.hit_id == RiskHit.id).where(
            RiskHit.rule == rule, RiskHit.active.is_(True), RiskCase.id.is_(None))
        if inside:
            q = q.where(RiskHit.region_code.startswith(inside))
        if outside:
            q = q.where(~RiskHit.region_code.startswith(outside))
        return s.scalar(q.order_by(RiskHit.id).limit(1))


def test_the_desk_lists_the_workbench(console, signed_in):
    signed_in("leader")
    assert 'href="/console/command/risk"' in console.get("/console/command").text


def test_a_leader_assigns_decides_and_closes_a_case(console, demo_engine, signed_in):
    signed_in("leader")
    page = console.get(BASE)
    assert page.status_code == 200 and 'id="hits"' in page.text and "准确率" in page.text
    hit = _hit(demo_engine, "funds.shared_account")
    url = f"{BASE}/{hit}"
    detail = console.get(url)
    assert detail.status_code == 200 and "收款账号" in detail.text
    assert not re.search(r"\b\d{17}[\dX]\b", detail.text)  # a leader reads ID numbers masked
    r = post_form(console, url, f"{url}/case", {"action": "close"})
    assert r.status_code == 409 and "交办" in r.text
    assert post_form(console, url, f"{url}/case", {"action": "assign", "assignee": "县财政局监督股"}).status_code == 303
    r = post_form(console, url, f"{url}/case", {"action": "exclude", "note": ""})
    assert r.status_code == 409 and "说明" in r.text
    assert post_form(console, url, f"{url}/case", {"action": "exclude", "note": "系户主代全家领取, 已核实"}).status_code == 303
    assert post_form(console, url, f"{url}/case", {"action": "close"}).status_code == 303
    done = console.get(url).text
    assert "已办结" in done and "排除" in done and "县财政局监督股" in done
    with Session(demo_engine) as s:
        case = s.scalar(select(RiskCase).where(RiskCase.hit_id == hit))
    assert case.state == "closed" and case.outcome == "excluded" and case.note.startswith("系户主")
    assert "已办结" in console.get(f"{BASE}?case=closed").text


def test_a_town_account_sees_its_town_only(console, demo_engine, signed_in):
    signed_in("leader", TOWN)
    outside = _hit(demo_engine, "funds.duplicate_invoice", outside=TOWN[:9]) or \
        _hit(demo_engine, "funds.chain_idle", outside=TOWN[:9])
    assert console.get(f"{BASE}/{outside}").status_code == 404
    html = console.get(BASE).text
    r = console.post(f"{BASE}/{outside}/case", data={"csrf": csrf_of(html), "action": "assign", "assignee": "某"})
    assert r.status_code == 404
    with Session(demo_engine) as s:
        assert s.scalar(select(RiskCase.id).where(RiskCase.hit_id == outside)) is None
        regions = {h for (h,) in s.execute(select(RiskHit.region_code).where(RiskHit.active.is_(True)))}
    shown = set(re.findall(r'href="/console/command/risk/(\d+)"', html))
    with Session(demo_engine) as s:
        for hid in shown:
            assert s.get(RiskHit, int(hid)).region_code.startswith(TOWN[:9])
    assert regions  # the register is not empty


def test_a_display_account_sees_counts_only(console, demo_engine, signed_in):
    signed_in("display")
    html = console.get(BASE).text
    assert 'id="counts-only"' in html and 'id="hits"' not in html
    hit = _hit(demo_engine, "checkins.too_fast")
    assert console.get(f"{BASE}/{hit}").status_code == 403
    r = console.post(f"{BASE}/{hit}/case", data={"csrf": csrf_of(html), "action": "assign", "assignee": "某"})
    assert r.status_code == 403


def test_a_bad_filter_is_a_page_not_an_error(console, signed_in):
    signed_in("admin")
    assert console.get(f"{BASE}?rule=nope").status_code == 422
    assert console.get(f"{BASE}/abc").status_code == 422
    assert console.get(f"{BASE}/99999999999999999999").status_code in (404, 422)
