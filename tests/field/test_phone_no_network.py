"""A form sent with no network (or the API down) on a 360×780 phone, in headless Chromium: the page says so in
Chinese, in its own words for that form, on screen where the thumb tapped, keeps what was typed, and stores
nothing. Before 2026-12-07 a leader's
指令, an inspector's 问题 and a cadre's 反馈 said the browser's own "Failed to fetch", above the fold."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sandbox.store.command.findings import Finding
from sandbox.store.command.inspection import Rectification
from sandbox.store.command.instructions import Instruction, InstructionItem
from tests.field.browser import phone_size, set_offline, shoot, skip_reason, wait_for
from tests.field.conftest import (
    added_rows_taken_back,
    an_inspection_this_month,
    invite_code,
    month_plan_taken_back,
    phone_api,
)
from tests.field.fit import fits

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
TOWN = "522726103000"


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    with month_plan_taken_back(demo_engine), \
            added_rows_taken_back(demo_engine, Instruction.id, InstructionItem.instruction_id), \
            added_rows_taken_back(demo_engine, Finding.id, Rectification.finding_id), \
            phone_api(demo_engine, tmp_path_factory.mktemp("no-network")) as srv:
        yield srv


@pytest.fixture
def small_phone(browser):
    phone_size(browser, 360, 780)
    yield browser
    set_offline(browser, False)
    phone_size(browser)


def _text(driver, element_id: str) -> str:
    return driver.execute_script(f"var e = document.getElementById('{element_id}'); return e ? e.innerText : '';")


def _tap(driver, element_id: str) -> None:
    el = driver.find_element("id", element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
    el.click()


def _send_and_hear_no_network(driver, page: str, button: str) -> str:
    driver.execute_script("document.getElementById('cmsg').innerHTML = '';")  # the last message gone first
    _tap(driver, button)
    wait_for(lambda: _text(driver, "cmsg"), what=f"{page}: the message")
    said = _text(driver, "cmsg")
    shoot(driver, f"no-network-{page}")
    assert "没有网络" in said and "fetch" not in said.lower(), f"{page}: {said!r}"
    # on screen where the thumb tapped: between the sticky title bar and the tab bar, not above the fold
    top, bottom, bar, tabs = driver.execute_script(
        "var r = document.getElementById('cmsg').getBoundingClientRect();"
        "return [r.top, r.bottom, document.getElementById('bar').getBoundingClientRect().bottom,"
        " document.getElementById('tabs').getBoundingClientRect().top];")
    assert bar <= top and bottom <= tabs, f"{page}: the message is off screen ({top:.0f}..{bottom:.0f}, " \
                                          f"visible {bar:.0f}..{tabs:.0f})"
    fits(driver, f"no-network-{page}")
    return said


def _typed_then_sent_offline(driver, engine, model, page: str, field: str, typed: str, button: str) -> None:
    """`typed` into the form's `field`, sent with the phone offline: the page says so, the text stays in the form
    and no `model` row is stored."""
    driver.find_element("id", field).send_keys(typed)
    with engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(model))
    set_offline(driver, True)
    _send_and_hear_no_network(driver, page, button)
    assert driver.find_element("id", field).get_attribute("value") == typed
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(model)) == before

def test_a_leaders_instruction_sent_offline_says_no_network_and_keeps_the_form(small_phone, server, demo_engine):
    driver = small_phone
    driver.delete_all_cookies()
    driver.get("about:blank")
    driver.get(f"{server.url}/m/#invite={invite_code(demo_engine, 'leader', region=TOWN, label='基长镇镇长')}")
    wait_for(lambda: "走访率" in _text(driver, "view"), what="the leader's overview")
    driver.execute_script("location.hash = '#/instructions/new';")
    wait_for(lambda: driver.find_elements("id", "isend"), what="the instruction form")
    _tap(driver, "isend")  # empty: the page's own reason, nothing sent
    wait_for(lambda: "请填写指令内容" in _text(driver, "cmsg"), what="the empty form's reason")
    _typed_then_sent_offline(driver, demo_engine, Instruction, "instruction", "itext", "请核实住房安全情况", "isend")
    assert driver.find_element("id", "isend").is_enabled()


def test_an_inspectors_finding_sent_offline_says_no_network(small_phone, server, demo_engine):
    driver = small_phone
    village, inspector = an_inspection_this_month(demo_engine)
    driver.delete_all_cookies()
    driver.get("about:blank")
    driver.get(f"{server.url}/m/#invite={invite_code(demo_engine, 'cadre', cadre_id=inspector)}")
    wait_for(lambda: driver.execute_script("return !!(state.me && state.me.cadre_id === arguments[0])", inspector),
             what="the inspector enrolled")
    wait_for(lambda: "帮扶户" in _text(driver, "view") or "没有在册" in _text(driver, "view"), what="the home page")
    driver.execute_script("location.hash = arguments[0];", f"#/inspect/new/{village}")
    wait_for(lambda: driver.find_elements("id", "go"), what="the finding form")
    _typed_then_sent_offline(driver, demo_engine, Finding, "finding", "text", "公示栏信息未按期更新", "go")
