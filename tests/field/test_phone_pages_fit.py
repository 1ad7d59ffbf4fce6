"""Every main page a cadre, a town leader and a villager opens on a phone, in headless Chromium at 390×844 and at the
smallest and a large phone's size (360×780, 412×915), held to tests/field/fit.py: nothing wider than the screen, every button a thumb can hit (44 px high at least),
no count broken from its label, no file picker in the browser's language, no English or programming word."""

from __future__ import annotations

import datetime as dt

import pytest
from PIL import Image
from sqlalchemy import select, text

from sandbox.store.command.findings import beijing_today
from sandbox.store.command.instruction_scope import Issuer, NewInstruction, issue
from sandbox.store.command.instructions import Instruction, InstructionItem
from sandbox.store.command.notices import Notice, NoticeRead, post_notice
from sandbox.store.db import session_factory
from sandbox.store.models import PublicSlug
from tests.field.browser import phone_size, skip_reason, wait_for
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
            added_rows_taken_back(demo_engine, Notice.id, NoticeRead.notice_id), \
            added_rows_taken_back(demo_engine, Instruction.id, InstructionItem.instruction_id), \
            phone_api(demo_engine, tmp_path_factory.mktemp("fit-data")) as srv:
        yield srv


@pytest.fixture(params=[(390, 844), (360, 780), (412, 915)], ids=lambda s: f"{s[0]}x{s[1]}")
def size(request, browser):
    """The phone's screen for the test; back to 390×844 after."""
    phone_size(browser, *request.param)
    yield f"{request.param[0]}-"
    phone_size(browser)


def _view(driver) -> str:
    return driver.execute_script("var e = document.getElementById('view'); return e ? e.innerText : '';")


def _fresh(driver, url: str) -> None:
    """Open `url` as a phone not enrolled yet (no device cookie, no cached identity)."""
    driver.delete_all_cookies()
    driver.get("about:blank")
    driver.get(url)
    driver.execute_script("try { localStorage.clear(); } catch (e) {}")


def _go(driver, hash_: str, until: str | tuple[str, ...]) -> None:
    """Open page `hash_` and wait until it shows `until` (or any of them): drawn, not its loading line."""
    texts = until if isinstance(until, tuple) else (until,)
    driver.execute_script("location.hash = arguments[0];", hash_)
    wait_for(lambda: any(t in _view(driver) for t in texts), what=f"{hash_}: {until}")


def test_the_cadres_pages_fit_a_phone(browser, size, server, demo_engine):
    with demo_engine.connect() as conn:
        cadre, household, village = conn.execute(text(
            "SELECT c.id, a.household_id, h.village_code FROM cadres c JOIN assignments a ON a.cadre_id = c.id "
            "JOIN households h ON h.id = a.household_id WHERE c.region_code LIKE '522726103%' "
            "AND a.end_year IS NULL AND c.end_year IS NULL ORDER BY c.id LIMIT 1")).one()
    with session_factory(demo_engine)() as session:
        post_notice(session, "guide", TOWN, "低保申请办事指南（2020年修订版）",
                    "到镇民政所办理, 带身份证和户口簿。办理时限: 受理之日起 20 个工作日内。")
        today = beijing_today()  # an open to-do: its card says how many days are left (剩 8 天)
        issue(session, Issuer("leader", TOWN), NewInstruction("cadres", None, (cadre,), "核实住房安全",
                                                              "请逐户核实住房安全情况", "urgent",
                                                              today + dt.timedelta(days=8), "镇长 李四"), today)
        session.commit()

    _fresh(browser, f"{server.url}/m/")
    wait_for(lambda: "邀请链接" in _view(browser), what="the page of a phone not enrolled")
    fits(browser, size + "cadre-0-not-enrolled")

    browser.get(f"{server.url}/m/#invite={invite_code(demo_engine, 'cadre', cadre_id=cadre)}")
    wait_for(lambda: "我的帮扶户" in _view(browser), what="my households")
    fits(browser, size + "cadre-1-households")
    for hash_, until, name in ((f"#/h/{household}", "家庭成员", "2-household"),
                               (f"#/checkin/{household}", "获取位置并签到", "3-checkin"),
                               ("#/mine", ("次)", "还没有签到记录"), "4-my-checkins"),
                               ("#/todo", "我的待办", "5-todo"),
                               ("#/notices", "低保申请办事指南", "6-notices"),
                               ("#/inspect", "我负责的整改", "7-inspect")):
        _go(browser, hash_, until)
        fits(browser, size + "cadre-" + name)


def test_the_inspectors_pages_fit_a_phone(browser, size, server, demo_engine):
    village, inspector = an_inspection_this_month(demo_engine)
    _fresh(browser, f"{server.url}/m/#invite={invite_code(demo_engine, 'cadre', cadre_id=inspector)}")
    wait_for(lambda: browser.execute_script("return !!(state.me && state.me.cadre_id === arguments[0])", inspector),
             what="the inspector enrolled")
    wait_for(lambda: "帮扶户" in _view(browser) or "没有在册" in _view(browser), what="the home page")
    _go(browser, "#/inspect", "本小组督查的村")
    fits(browser, size + "inspector-1-villages")
    _go(browser, f"#/inspect/new/{village}", "记录问题")
    fits(browser, size + "inspector-2-finding-form")


def test_the_leaders_pages_fit_a_phone(browser, size, server, demo_engine):
    _fresh(browser, f"{server.url}/m/#invite={invite_code(demo_engine, 'leader', region=TOWN, label='基长镇镇长')}")
    wait_for(lambda: "走访率" in _view(browser), what="the leader's overview")
    fits(browser, size + "leader-1-overview")
    for hash_, until, name in (("#/instructions", "指令批示", "2-instructions"),
                               ("#/instructions/new", "下达指令 ·", "3-new-instruction"),
                               ("#/notices", "通知公告 ·", "4-notices"),
                               ("#/inspect", "未销号的问题 (", "5-inspect")):
        _go(browser, hash_, until)
        fits(browser, size + "leader-" + name)


def test_the_public_qr_pages_and_complaint_forms_fit_a_phone(browser, size, server, demo_engine, tmp_path):
    with session_factory(demo_engine)() as s:
        slugs = {kind: s.scalar(select(PublicSlug.slug).where(PublicSlug.kind == kind, PublicSlug.revoked_at.is_(None))
                                .order_by(PublicSlug.subject_id).limit(1)) for kind in ("household", "project")}
    for path, until, name in ((f"/q/{slugs['household']}", "帮扶责任人", "household"),
                              (f"/q/{slugs['project']}", "资金", "project"),
                              (f"/q/{slugs['project']}/complaint", "提交", "project-complaint"),
                              ("/q/complaint", "提交", "complaint-desk")):
        browser.get(server.url + path)
        wait_for(lambda: until in browser.find_element("tag name", "body").text, what=f"{path}: {until}")
        fits(browser, size + "public-" + name)
        if "complaint" in name:
            _pick_a_photo(browser, tmp_path)


def _pick_a_photo(driver, tmp_path) -> None:
    """The complaint form's picker: a Chinese button a keyboard reaches, and the chosen file's name beside it."""
    photo = tmp_path / "水管漏水.png"
    Image.new("RGB", (40, 30), (40, 90, 160)).save(photo)
    button = driver.find_element("css selector", "label[for=photos].btn")
    chosen = driver.find_element("css selector", "[data-chosen]")
    assert (button.text, chosen.text) == ("选择照片", "未选择照片")
    assert driver.execute_script("var e = document.getElementById('photos'); e.focus();"
                                 "return document.activeElement === e && e.tabIndex >= 0")  # Tab reaches it, Enter opens it
    driver.find_element("id", "photos").send_keys(str(photo))
    wait_for(lambda: chosen.text == "已选择 1 张: 水管漏水.png", what=f"the chosen file's name (shown: {chosen.text!r})")
