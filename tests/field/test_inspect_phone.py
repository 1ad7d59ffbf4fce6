"""督查 on the phone in headless Chromium at 390×844: an inspector records a finding with a photo in a village
of this month's plan, the responsible cadre submits the evidence, the inspector sends it back once and then
accepts it; the store follows each step."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sandbox.store.command.findings import responsible_cadre
from sandbox.store.command.inspection import (
    Finding,
    InspectionAssignment,
    InspectionMember,
    Rectification,
)
from sandbox.store.command.inspection_plan import ensure_plan
from sandbox.store.db import session_factory
from sandbox.store.field import create_invite
from tests.field.browser import shoot, skip_reason, wait_for
from tests.field.conftest import added_rows_taken_back, month_plan_taken_back, phone_api, this_month

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    with month_plan_taken_back(demo_engine), \
            added_rows_taken_back(demo_engine, Finding.id, Rectification.finding_id), \
            phone_api(demo_engine, tmp_path_factory.mktemp("inspect-phone")) as srv:
        yield srv


@pytest.fixture(scope="module")
def case(server, demo_engine) -> dict:
    with session_factory(demo_engine)() as s:
        ensure_plan(s, this_month())
        s.commit()
        plan = dict(s.execute(select(InspectionAssignment.village_code, InspectionAssignment.subgroup_id)
                              .where(InspectionAssignment.month == this_month())).all())
        for village in sorted(plan):
            resp = responsible_cadre(s, village)
            member = s.scalar(select(InspectionMember).where(InspectionMember.subgroup_id == plan[village],
                                                             InspectionMember.cadre_id.is_not(None)))
            if resp is not None and member is not None and member.cadre_id != resp.id:
                return {"village": village, "inspector": member.cadre_id, "responsible": resp.id}
    raise AssertionError("no village with an inspector and a responsible cadre on the register")


def enrol(browser, server, engine, cadre_id) -> None:
    with session_factory(engine)() as s:
        code, _ = create_invite(s, "cadre", cadre_id)
        s.commit()
    browser.get(f"{server.url}/m/#invite={code}")
    wait_for(lambda: browser.execute_script("return !!(state.me && state.me.cadre_id === arguments[0])", cadre_id),
             what=f"the phone enrolled as cadre {cadre_id}")
    # the home page's households arrive after enrolment: navigating before they do would be overdrawn
    wait_for(lambda: "我的帮扶户" in view(browser) or "没有在册的结对帮扶户" in view(browser), what="the home page")


def view(browser) -> str:
    return browser.execute_script("var e = document.getElementById('view'); return e ? e.innerText : '';")


def tap(browser, element_id: str) -> None:
    """A thumb's tap: the element scrolled to the middle first (the tab bar covers the screen's foot)."""
    el = browser.find_element("id", element_id)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
    el.click()


def go(browser, hash_: str) -> None:
    browser.execute_script("location.hash = arguments[0];", hash_)


def rect_of(engine, finding_id: int) -> Rectification:
    with session_factory(engine)() as s:
        return s.scalar(select(Rectification).where(Rectification.finding_id == finding_id))


def test_record_a_finding_submit_evidence_and_accept(browser, server, demo_engine, case, tmp_path):
    from PIL import Image

    photo = tmp_path / "site.jpg"
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(photo, "JPEG", quality=90)

    # the inspector: this month's villages, record a finding with a photo
    enrol(browser, server, demo_engine, case["inspector"])
    go(browser, "#/inspect")
    wait_for(lambda: "本小组督查的村" in view(browser), what="the inspector's villages")
    shoot(browser, "inspect-1-villages")
    browser.find_element("css selector", f'a[href="#/inspect/new/{case["village"]}"]').click()
    wait_for(lambda: browser.find_elements("id", "text"), what="the finding form")
    browser.execute_script("document.getElementById('cat').value = 'policy_unmet';"
                           "document.getElementById('sev').value = 'major';")
    browser.find_element("id", "text").send_keys("医保参保补助未落实到户")
    browser.find_element("id", "photos").send_keys(str(photo))
    shoot(browser, "inspect-2-form")
    tap(browser, "go")
    wait_for(lambda: "整改中" in view(browser) and "医保参保补助未落实到户" in view(browser),
             timeout=30, what="the recorded finding")
    shoot(browser, "inspect-3-finding")
    with session_factory(demo_engine)() as s:
        f = s.scalar(select(Finding).where(Finding.village_code == case["village"],
                                           Finding.text == "医保参保补助未落实到户"))
    assert f is not None and f.category == "policy_unmet" and f.severity == "major"
    assert len(json.loads(f.photos)) == 1
    rect = rect_of(demo_engine, f.id)
    assert rect.status == "open" and rect.responsible_cadre_id == case["responsible"]

    # the responsible cadre: the item among theirs, evidence with a note
    enrol(browser, server, demo_engine, case["responsible"])
    go(browser, "#/inspect")
    wait_for(lambda: "我负责的整改" in view(browser) and "医保参保补助未落实到户" in view(browser),
             what="the responsible cadre's rectifications")
    go(browser, f"#/inspect/f/{f.id}")
    wait_for(lambda: browser.find_elements("id", "note"), what="the evidence form")
    tap(browser, "send")  # no note: the server's Chinese reason is shown
    wait_for(lambda: "请填写" in view(browser) or "无效" in view(browser), what="the refusal of an empty note")
    assert rect_of(demo_engine, f.id).status == "open"
    browser.find_element("id", "note").send_keys("已为该户办理医保补助, 附签字确认表")
    browser.find_element("id", "photos").send_keys(str(photo))
    tap(browser, "send")
    wait_for(lambda: "待验收" in view(browser), timeout=30, what="evidence submitted")
    shoot(browser, "inspect-4-evidence")
    assert rect_of(demo_engine, f.id).status == "submitted"

    # the inspector: sends it back once with a reason, then accepts the second submission
    enrol(browser, server, demo_engine, case["inspector"])
    go(browser, f"#/inspect/f/{f.id}")
    wait_for(lambda: browser.find_elements("id", "accept"), what="the acceptance buttons")
    shoot(browser, "inspect-5-review")
    browser.find_element("id", "why").send_keys("缺少群众签字")
    tap(browser, "reject")
    wait_for(lambda: "验收意见: 缺少群众签字" in view(browser), what="the rejection")
    back = rect_of(demo_engine, f.id)
    assert back.status == "open" and back.rejections == 1

    enrol(browser, server, demo_engine, case["responsible"])
    go(browser, f"#/inspect/f/{f.id}")
    wait_for(lambda: browser.find_elements("id", "note"), what="the evidence form again")
    browser.find_element("id", "note").send_keys("已补齐群众签字")
    tap(browser, "send")
    wait_for(lambda: "待验收" in view(browser), timeout=30, what="evidence submitted again")

    enrol(browser, server, demo_engine, case["inspector"])
    go(browser, f"#/inspect/f/{f.id}")
    wait_for(lambda: browser.find_elements("id", "accept"), what="the acceptance buttons again")
    tap(browser, "accept")
    wait_for(lambda: "已销号" in view(browser), what="the accepted rectification")
    shoot(browser, "inspect-6-closed")
    done = rect_of(demo_engine, f.id)
    assert done.status == "closed" and done.closed_on_time is True and done.rejections == 1
