"""The desk's part-B workbenches in a real browser (Debian's headless Chromium) at 1366×768, as a town's clerk: reply
to a complaint and read the reply where the complainant does (/q/track), open the overdue items, download the
month's call list, fill it as a call centre would, upload it, read the check, confirm, see the outcomes."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from sandbox.store.command.callbacks import Callback
from sandbox.store.db import session_factory
from sandbox.store.models import Complaint
from sandbox.store.public import store_complaint
from tests.console.conftest import TOWN
from tests.console.desk_browser import browser, by, downloads, fits, server, sign_in, text  # noqa: F401 (fixtures)
from tests.field.browser import shoot, skip_reason, wait_for

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
MONTH = "2021-02"  # after the demo's call-backs: nothing on record


@pytest.fixture()
def complaint(demo_engine):
    sessions = session_factory(demo_engine)
    with sessions() as s:
        ref, _ = store_complaint(s, submission_id=f"test-browser-desk-{dt.datetime.now().timestamp()}", slug="",
                                 kind="form", subject_id=0, subject_name="基长镇", region_code=TOWN[:9] + "001",
                                 text="今年的产业分红到现在还没有发到户, 请核实。", phone="13900003333", category="funds")
    yield ref
    with sessions() as s:
        s.execute(delete(Complaint).where(Complaint.reference == ref))
        s.execute(delete(Callback).where(Callback.month == MONTH))
        s.commit()


def test_a_clerk_replies_follows_up_and_works_the_call_backs(server, browser, demo_engine, downloads, complaint):
    By = by()
    sign_in(browser, server, demo_engine, "leader", TOWN, display_name="基长镇办事员")

    browser.get(f"{server.url}/console/command")
    assert {"投诉处理", "督办跟踪", "满意度回访"} <= set(text(browser).split())
    shoot(browser, "desk_b_index")
    browser.find_element(By.LINK_TEXT, "投诉处理").click()
    wait_for(lambda: browser.find_elements(By.ID, "complaints"), what="the complaints list")
    fits(browser)
    shoot(browser, "desk_complaints")
    browser.get(f"{server.url}/console/command/complaints?order=new")
    browser.find_element(By.LINK_TEXT, complaint).click()
    wait_for(lambda: browser.find_elements(By.ID, "steps"), what="the complaint's page")
    assert "仅管理员可见" in browser.find_element(By.ID, "contact").text
    fits(browser)
    shoot(browser, "desk_complaint")
    browser.find_element(By.ID, "send-reply").click()  # empty: the browser's form asks for nothing, the server refuses
    wait_for(lambda: browser.find_elements(By.ID, "error"), what="the refusal of an empty reply")
    assert "请填写答复内容" in browser.find_element(By.ID, "error").text
    shoot(browser, "desk_complaint_empty_reply")
    answer = "经核实, 产业分红已于本周发放到户, 请查收。"
    browser.find_element(By.NAME, "reply").send_keys(answer)
    browser.find_element(By.ID, "send-reply").click()
    wait_for(lambda: browser.find_elements(By.ID, "done"), what="the reply stored")
    assert browser.find_element(By.ID, "status").text == "已答复" and answer in browser.find_element(By.ID, "reply").text
    shoot(browser, "desk_complaint_replied")
    browser.get(f"{server.url}/q/track?code={complaint}")
    assert answer in text(browser)
    shoot(browser, "desk_track_reply")

    browser.get(f"{server.url}/console/command/followup")
    wait_for(lambda: browser.find_elements(By.ID, "followup"), what="the follow-up list")
    fits(browser)
    shoot(browser, "desk_followup")
    links = browser.find_elements(By.CSS_SELECTOR, "#followup tbody a")
    if links:  # the demo has overdue items in this town; the page for one of them
        links[0].click()
        wait_for(lambda: "反馈情况" in text(browser) or "整改情况" in text(browser), what="an item's page")
        fits(browser)
        shoot(browser, "desk_followup_item")

    browser.get(f"{server.url}/console/command/callbacks?month={MONTH}")
    fits(browser)
    shoot(browser, "desk_callbacks")
    browser.find_element(By.ID, "download").click()
    listed = wait_for(lambda: [p for p in downloads.glob("*.xlsx")], timeout=30, what="the call list downloaded")[0]
    time.sleep(0.5)  # the browser renames the finished download; let it settle
    listed = next(downloads.glob("*.xlsx"))
    book = load_workbook(listed)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    outcome, answer_col = header.index("通话结果") + 1, header.index("满意度") + 1
    filled_rows = sheet.max_row - 1
    assert filled_rows >= 10
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=outcome, value="接通" if row % 3 else "未接通")
        if row % 3:
            sheet.cell(row=row, column=answer_col, value="满意" if row % 2 else "基本满意")
    sheet.cell(row=2, column=outcome, value="占线")  # one row the importer refuses
    filled = downloads / "回访结果.xlsx"
    book.save(filled)
    browser.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(filled))
    browser.find_element(By.ID, "upload").click()
    wait_for(lambda: browser.find_elements(By.ID, "confirm"), timeout=60, what="the check")
    assert "待确认" in browser.find_element(By.ID, "state").text
    report = browser.find_element(By.ID, "report").text
    assert "占线" in report and "通话结果" in report
    fits(browser)
    shoot(browser, "desk_callbacks_checked")
    with session_factory(demo_engine)() as s:
        assert s.scalars(select(Callback).where(Callback.month == MONTH)).first() is None
    browser.find_element(By.ID, "confirm").click()
    wait_for(lambda: "已导入" in browser.find_element(By.ID, "state").text, timeout=60, what="the import")
    shoot(browser, "desk_callbacks_done")
    with session_factory(demo_engine)() as s:
        stored = list(s.scalars(select(Callback).where(Callback.month == MONTH)))
    assert len(stored) == filled_rows - 1
    browser.get(f"{server.url}/console/command/callbacks?month={MONTH}")
    outcomes = browser.find_element(By.ID, "outcomes").text
    assert "基长镇" in outcomes and "合计" in outcomes
    fits(browser)
    shoot(browser, "desk_callbacks_outcomes")
