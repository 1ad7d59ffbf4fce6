"""The desk's part-A workbenches in a real browser (headless Chromium) at an office laptop's 1366×768: a clerk of
the centre posts a notice, changes a row of the month's inspection plan, and downloads a brief as a PDF."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from sandbox.server.runtime import EmbeddedServer
from sandbox.store.command.inspection import InspectionAssignment, InspectionSubgroup
from sandbox.store.command.notices import Notice
from sandbox.store.db import session_factory
from sandbox.store.models import Region
from tests.console.conftest import PASSWORD, new_account
from tests.field.browser import shoot, skip_reason, wait_for

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
WIDTH, HEIGHT = 1366, 768
TOWN = "522726103000"
MONTH = "2020-06"  # a cross-inspection month: the rule shows in the page


@pytest.fixture(scope="module")
def server(demo_engine):
    s = EmbeddedServer(demo_engine)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.field.browser import CHROMEDRIVER, CHROMIUM

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WIDTH},{HEIGHT}", "--lang=zh-CN", "--no-first-run"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _by():
    from selenium.webdriver.common.by import By

    return By


def _text(driver) -> str:
    return driver.find_element(_by().TAG_NAME, "body").text


def _fits(driver) -> None:
    """Nothing to scroll sideways at 1366 wide."""
    assert driver.execute_script("return document.documentElement.scrollWidth") <= WIDTH


def _open(driver, url: str, shot: str) -> None:
    driver.get(url)
    assert "Traceback" not in _text(driver)
    _fits(driver)
    shoot(driver, shot)


def test_a_clerk_posts_a_notice_changes_a_plan_row_and_downloads_a_brief(server, browser, downloads, demo_engine):
    from selenium.webdriver.support.ui import Select

    By = _by()
    username, _ = new_account(demo_engine, "leader", display_name="指挥部办事员")
    browser.get(f"{server.url}/console/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(lambda: "/console/data" in browser.current_url, what="the signed-in console")
    _open(browser, f"{server.url}/console/command", "desk_index")
    browser.find_element(By.LINK_TEXT, "通知公告 / 办事指南").click()

    # 1. a notice to one town
    wait_for(lambda: browser.find_elements(By.ID, "post-notice"), what="the notices page")
    _fits(browser)
    shoot(browser, "desk_notices")
    Select(browser.find_element(By.NAME, "region")).select_by_value(TOWN)
    browser.find_element(By.NAME, "title").send_keys("关于开展2020年6月入户走访的通知")
    browser.find_element(By.NAME, "content").send_keys("各村第一书记、帮扶责任人:\n请于6月底前完成本月入户走访, 并在手机端签到。")
    browser.find_element(By.CSS_SELECTOR, "#post-notice button.primary").click()
    wait_for(lambda: browser.find_elements(By.ID, "posted"), what="the posted notice")
    _fits(browser)
    shoot(browser, "desk_notice_posted")
    assert "未读干部" in _text(browser) and "阅读率" in _text(browser)
    with session_factory(demo_engine)() as s:
        n = s.scalars(select(Notice).where(Notice.title == "关于开展2020年6月入户走访的通知")).one()
        assert n.region_code == TOWN and "入户走访" in n.content
    browser.find_element(By.CSS_SELECTOR, f'#towns a[href="?town={TOWN}"]').click()
    wait_for(lambda: browser.find_elements(By.ID, "villages"), what="the town's villages")
    _fits(browser)
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
