"""The desk's part-A workbenches in a real browser (headless Chromium) at an office laptop's 1366×768: a clerk of
the centre posts a notice, changes a row of the month's inspection plan, and downloads a brief as a PDF."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from sandbox.store.command.inspection import InspectionAssignment, InspectionSubgroup
from sandbox.store.command.notices import Notice
from sandbox.store.db import session_factory
from sandbox.store.models import Region
from tests.console.desk_browser import browser, by, downloads, fits, server, sign_in, text  # noqa: F401 (fixtures)
from tests.field.browser import shoot, skip_reason, wait_for

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
TOWN = "522726103000"
MONTH = "2020-06"  # a cross-inspection month: the rule shows in the page


def _open(driver, url: str, shot: str) -> None:
    driver.get(url)
    assert "Traceback" not in text(driver)
    fits(driver)
    shoot(driver, shot)


def test_a_clerk_posts_a_notice_changes_a_plan_row_and_downloads_a_brief(server, browser, downloads, demo_engine):
    from selenium.webdriver.support.ui import Select

    By = by()
    sign_in(browser, server, demo_engine, "leader", display_name="指挥部办事员")
    _open(browser, f"{server.url}/console/command", "desk_index")
    browser.find_element(By.LINK_TEXT, "通知公告 / 办事指南").click()

    # 1. a notice to one town
    wait_for(lambda: browser.find_elements(By.ID, "post-notice"), what="the notices page")
    fits(browser)
    shoot(browser, "desk_notices")
    Select(browser.find_element(By.NAME, "region")).select_by_value(TOWN)
    browser.find_element(By.NAME, "title").send_keys("关于开展2020年6月入户走访的通知")
    browser.find_element(By.NAME, "content").send_keys("各村第一书记、帮扶责任人:\n请于6月底前完成本月入户走访, 并在手机端签到。")
    browser.find_element(By.CSS_SELECTOR, "#post-notice button.primary").click()
    wait_for(lambda: browser.find_elements(By.ID, "posted"), what="the posted notice")
    fits(browser)
    shoot(browser, "desk_notice_posted")
    assert "未读干部" in text(browser) and "阅读率" in text(browser)
    with session_factory(demo_engine)() as s:
        n = s.scalars(select(Notice).where(Notice.title == "关于开展2020年6月入户走访的通知")).one()
        assert n.region_code == TOWN and "入户走访" in n.content
    browser.find_element(By.CSS_SELECTOR, f'#towns a[href="?town={TOWN}"]').click()
    wait_for(lambda: browser.find_elements(By.ID, "villages"), what="the town's villages")
    fits(browser)
    shoot(browser, "desk_notice_town")

    # 2. a row of the plan: a cross-inspection month refuses the village's own town, then takes another
    _open(browser, f"{server.url}/console/command/plan?month={MONTH}", "desk_plan")
    with session_factory(demo_engine)() as s:
        village = s.scalar(select(InspectionAssignment.village_code).where(
            InspectionAssignment.month == MONTH, InspectionAssignment.village_code.startswith(TOWN[:9]))
            .order_by(InspectionAssignment.village_code).limit(1))
        current = s.scalar(select(InspectionAssignment.subgroup_id).where(InspectionAssignment.month == MONTH,
                                                                          InspectionAssignment.village_code == village))
        own = s.scalar(select(InspectionSubgroup.id).where(InspectionSubgroup.town_code == TOWN).limit(1))
        other = s.scalar(select(InspectionSubgroup.id).where(InspectionSubgroup.town_code != TOWN,
                                                             InspectionSubgroup.id != current).limit(1))
        village_name = s.get(Region, village).name
    row = browser.find_element(By.ID, f"v{village}")
    Select(row.find_element(By.NAME, "subgroup")).select_by_value(str(own))
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(lambda: browser.find_elements(By.ID, "error"), what="the rule's refusal")
    assert "不得检查本镇" in browser.find_element(By.ID, "error").text
    shoot(browser, "desk_plan_refused")
    row = browser.find_element(By.ID, f"v{village}")
    Select(row.find_element(By.NAME, "subgroup")).select_by_value(str(other))
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(lambda: browser.find_elements(By.ID, "done"), what="the changed row")
    shoot(browser, "desk_plan_changed")
    assert village_name in browser.find_element(By.CSS_SELECTOR, "tr.edited").text
    with session_factory(demo_engine)() as s:
        assert s.scalar(select(InspectionAssignment.subgroup_id).where(
            InspectionAssignment.month == MONTH, InspectionAssignment.village_code == village)) == other

    # 3. the town's brief as a PDF download
    _open(browser, f"{server.url}/console/command/prints", "desk_prints")
    form = browser.find_element(By.CSS_SELECTOR, "#brief form")
    Select(form.find_element(By.NAME, "region")).select_by_value(TOWN)
    Select(form.find_element(By.NAME, "year")).select_by_value("2020")
    form.find_element(By.CSS_SELECTOR, "button.primary").click()
    pdf = wait_for(lambda: [p for p in downloads.iterdir() if p.suffix == ".pdf"], timeout=60, what="the download")[0]
    wait_for(lambda: not any(p.suffix == ".crdownload" for p in downloads.iterdir()), timeout=60, what="the file")
    assert pdf.read_bytes()[:5] == b"%PDF-" and "镇情简报-2020" in pdf.name, os.listdir(downloads)
    assert "/console/command/prints" in browser.current_url  # the page stays; the file is saved
