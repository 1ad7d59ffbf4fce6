"""The instruction loop on the phone, in headless Chromium at 390×844: a town leader issues an instruction to
a village, one of its cadres finds it in 待办, confirms and feeds back, the leader closes it; a notice is
unread first and opening it marks it read."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import delete, func, select, text

from sandbox.store.command.instructions import Instruction, InstructionItem
from sandbox.store.command.notices import Notice, NoticeRead, post_notice
from sandbox.store.db import session_factory
from tests.field.browser import shoot, skip_reason, wait_for
from tests.field.conftest import invite_code, phone_api

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
TOWN = "522726103000"


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Instruction.id))) or 0
        first_notice = conn.scalar(select(func.max(Notice.id))) or 0
    with phone_api(demo_engine, tmp_path_factory.mktemp("cmd-data")) as srv:
        yield srv
    with demo_engine.begin() as conn:
        conn.execute(delete(InstructionItem).where(InstructionItem.instruction_id > first))
        conn.execute(delete(Instruction).where(Instruction.id > first))
        conn.execute(delete(NoticeRead).where(NoticeRead.notice_id > first_notice))
        conn.execute(delete(Notice).where(Notice.id > first_notice))


def text_of(driver, element_id: str) -> str:
    return driver.execute_script(f"var e = document.getElementById('{element_id}'); return e ? e.innerText : '';")


def _as(browser, server, cookie: dict | None, hash_: str) -> None:
    """Be the phone whose device cookie this is (None: not enrolled yet), on page `hash_`."""
    browser.delete_all_cookies()
    if cookie is not None:
        browser.add_cookie({k: cookie[k] for k in ("name", "value", "path") if k in cookie})
    browser.get("about:blank")  # a new hash alone does not reload the app: it would keep the last phone's identity
    browser.get(f"{server.url}/m/{hash_}")


def _click(browser, css: str) -> None:
    """Click the element `css` finds once it is there; found again if the page re-rendered it meanwhile (a
    list drawn once from the cache, then again from the answer, replaces the element found first)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for attempt in range(5):
        wait_for(lambda: browser.find_elements("css selector", css), what=css)
        try:
            el = browser.find_element("css selector", css)
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
            el.click()
            return
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.2)


def test_leader_issues_cadre_confirms_and_feeds_back_leader_closes(browser, server, demo_engine):
    with demo_engine.connect() as conn:
        cadre = conn.execute(text(
            "SELECT c.id, c.name, c.region_code FROM cadres c JOIN assignments a ON a.cadre_id = c.id "
            "WHERE c.region_code LIKE '522726103%' AND c.role = 'helper' AND a.end_year IS NULL "
            "ORDER BY c.id LIMIT 1")).one()

    # the town leader enrols and issues to the cadre's village
    browser.get(f"{server.url}/m/#invite={invite_code(demo_engine, 'leader', region=TOWN, label='基长镇镇长')}")
    wait_for(lambda: "走访率" in text_of(browser, "view"), what="the leader's overview")
    assert "指令" in text_of(browser, "tabs") and "帮扶户" not in text_of(browser, "tabs")
    leader = browser.get_cookie("sbx_device")
    browser.get(f"{server.url}/m/#/instructions/new")
    wait_for(lambda: browser.find_elements("id", "iscope"), what="the instruction form")
    browser.execute_script(f"document.getElementById('iscope').value = '{cadre.region_code}';")
    browser.find_element("id", "ititle").send_keys("核实住房安全")
    browser.find_element("id", "itext").send_keys("请于一周内逐户核实结对户住房安全情况, 附照片反馈。")
    browser.execute_script("document.getElementById('iprio').value = 'urgent';")
    browser.find_element("id", "iname").send_keys("镇长 李四")
    shoot(browser, "h16i-01-issue")
    _click(browser, "#isend")
    wait_for(lambda: re.search(r"#/instructions/\d+$", browser.current_url) and "待审核" in text_of(browser, "view"),
             what="the issued instruction")
    iid = int(browser.current_url.rsplit("/", 1)[1])
    with demo_engine.connect() as conn:
        item = conn.execute(select(InstructionItem.id, InstructionItem.status).where(
            InstructionItem.instruction_id == iid, InstructionItem.cadre_id == cadre.id)).one()
    assert item.status == "pending"

    # the cadre: 待办, confirm, feed back
    _as(browser, server, None, f"#invite={invite_code(demo_engine, 'cadre', cadre_id=cadre.id)}")
    wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="the cadre's households")
    # a cadre's five tabs at 390 px: every label on one line (one line box, not two) and inside its tab
    lines = browser.execute_script(
        "return Array.from(document.querySelectorAll('#tabs a')).map(function (a) {"
        " var r = document.createRange(); r.selectNodeContents(a);"
        " var tops = Array.from(r.getClientRects()).map(function (b) { return Math.round(b.top); });"
        " return [a.textContent, new Set(tops).size, r.getBoundingClientRect().width <= a.clientWidth]; });")
    assert len(lines) == 5 and all(n == 1 and fits for _, n, fits in lines), lines
    _click(browser, "a[data-tab='todo']")
    wait_for(lambda: "核实住房安全" in text_of(browser, "view"), what="the instruction in 待办")
    shoot(browser, "h16i-02-todo")
    _click(browser, f"a[href='#/todo/{iid}']")
    _click(browser, "#confirm")
    wait_for(lambda: "已确认" in text_of(browser, "view"), what="confirmed")
    browser.find_element("id", "fnote").send_keys("已逐户核实 4 户, 住房均安全。")
    _click(browser, "#feed")
    wait_for(lambda: "我的反馈" in text_of(browser, "view") and "已反馈" in text_of(browser, "view"), what="fed back")
    shoot(browser, "h16i-03-feedback")

    # the leader again: close the cadre's item
    _as(browser, server, leader, f"#/instructions/{iid}")
    wait_for(lambda: "基长镇" in text_of(browser, "view") or "领导" in text_of(browser, "title"), what="the leader again")
    shoot(browser, "h16i-04-review")
    _click(browser, f"[data-close='{item.id}']")
    wait_for(lambda: "办结" in browser.find_element("id", f"it{item.id}").text, what="closed")
    shoot(browser, "h16i-05-closed")
    with demo_engine.connect() as conn:
        assert conn.scalar(select(InstructionItem.status).where(InstructionItem.id == item.id)) == "closed"

    # the leader's list, and a notice's read rate per town
    browser.get(f"{server.url}/m/#/instructions")
    wait_for(lambda: "指令批示" in text_of(browser, "view"), what="the leader's list")
    shoot(browser, "h16i-07-leader-list")
    _click(browser, "a[data-tab='notices']")
    _click(browser, "#view a.card")
    wait_for(lambda: "阅读率" in text_of(browser, "view"), what="the read rate per town")
    shoot(browser, "h16i-08-leader-notice")


def test_a_notice_is_unread_first_and_opening_marks_it_read(browser, server, demo_engine):
    with demo_engine.connect() as conn:
        cadre = conn.execute(text(
            "SELECT c.id FROM cadres c JOIN assignments a ON a.cadre_id = c.id WHERE c.region_code LIKE '522726103%' "
            "AND a.end_year IS NULL ORDER BY c.id DESC LIMIT 1")).scalar()
    with session_factory(demo_engine)() as session:
        notice = post_notice(session, "guide", TOWN, "低保申请办事指南", "到镇民政所办理, 带身份证和户口簿。")
        session.commit()
        nid = notice.id
    _as(browser, server, None, f"#invite={invite_code(demo_engine, 'cadre', cadre_id=cadre)}")
    wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="the cadre's households")
    _click(browser, "a[data-tab='notices']")
    wait_for(lambda: "低保申请办事指南" in text_of(browser, "view"), what="the notice list")
    first = browser.find_element("css selector", "#view a.card")
    assert "unread" in first.get_attribute("class")
    shoot(browser, "h16i-06-notices")
    _click(browser, f"a[href='#/notices/{nid}']")
    wait_for(lambda: "民政所" in text_of(browser, "view"), what="the notice")
    with demo_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(NoticeRead).where(
            NoticeRead.notice_id == nid, NoticeRead.cadre_id == cadre)) == 1
