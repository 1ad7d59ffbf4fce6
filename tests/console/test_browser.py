"""The console in a real browser (Debian's headless Chromium) at an office laptop's 1366×768: sign in, upload the
demo's own export with one bad row, read the report, confirm, see the import on the data page; a clerk kept to
their town; five wrong passwords; a form that survives an expired session."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sandbox.server.runtime import EmbeddedServer
from sandbox.store.db import session_factory
from sandbox.store.models import Household
from tests.console.conftest import PASSWORD, TOWN, new_account
from tests.field.browser import shoot, skip_reason, wait_for

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
WIDTH, HEIGHT = 1366, 768
OTHER_TOWN = "522726101000"


@pytest.fixture(scope="module")
def server(real_county, tmp_path_factory):
    s = EmbeddedServer(real_county[0])
    app = s.server.config.app
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("uploads")})
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.field.browser import CHROMEDRIVER, CHROMIUM

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WIDTH},{HEIGHT}", "--lang=zh-CN", "--no-first-run"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    driver.set_page_load_timeout(30)
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


def _sign_in(driver, url: str, username: str, password: str) -> None:
    By = _by()
    driver.delete_all_cookies()
    driver.get(f"{url}/console/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button.primary").click()


def _on(driver, path: str) -> None:
    wait_for(lambda: path in driver.current_url, what=f"the page {path} (on {driver.current_url})")


def test_sign_in_upload_read_the_report_confirm_and_see_it_on_the_data_page(server, browser, real_county):
    By = _by()
    engine, register = real_county[:2]
    username, first = new_account(engine, "admin", changed=False, display_name="李主任")
    _sign_in(browser, server.url, username, first)
    _on(browser, "/console/password")
    shoot(browser, "console_password")
    browser.find_element(By.NAME, "old").send_keys(first)
    browser.find_element(By.NAME, "new").send_keys(PASSWORD)
    browser.find_element(By.NAME, "again").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    _on(browser, "/console/me")
    shoot(browser, "console_me")

    browser.get(f"{server.url}/console/data")
    shoot(browser, "console_data_before")
    assert "区划与边界" in _text(browser)
    households_row = browser.find_element(By.CSS_SELECTOR, 'tr[data-source="households"]')
    assert "无数据" in households_row.text  # nothing loaded yet: what the wall lacks, and what to load
    _fits(browser)

    browser.get(f"{server.url}/console/imports")
    browser.find_element(By.CSS_SELECTOR, 'select[name="kind"] option[value="households"]').click()
    browser.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(register))
    shoot(browser, "console_imports")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(lambda: browser.find_elements(By.ID, "confirm"), timeout=120, what="the check to finish")
    shoot(browser, "console_import_checked")
    body = _text(browser)
    assert "待确认" in body and "错误 1 条" in body
    report = browser.find_element(By.ID, "report").text
    assert "证件号码" in report and "校验" in report
    _fits(browser)

    box = browser.find_element(By.NAME, "q")
    box.send_keys("证件号码")
    box.submit()
    wait_for(lambda: "q=" in browser.current_url, what="the filtered report")
    rows = browser.find_elements(By.CSS_SELECTOR, "#report tbody tr")
    assert rows and all("证件号码" in r.text for r in rows)
    assert browser.find_element(By.ID, "download").get_attribute("href").endswith("/report.csv")

    browser.find_element(By.ID, "confirm").click()
    wait_for(lambda: "已导入" in browser.find_element(By.ID, "state").text, timeout=120, what="the import")
    shoot(browser, "console_import_done")
    assert "结果: 新增" in _text(browser)

    browser.get(f"{server.url}/console/data")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-source="households"]')
    assert username in row.text and "控制台上传" in row.text and "无数据" not in row.text
    shoot(browser, "console_data_after")

    for path, name in (("/console/households", "households"), ("/console/accounts", "accounts"),
                       ("/console/tokens", "tokens"), ("/console/access-log", "access_log"),
                       ("/console/command", "command")):
        browser.get(server.url + path)
        assert "Traceback" not in _text(browser)
        _fits(browser)
        shoot(browser, f"console_{name}")
    browser.get(f"{server.url}/console/households")
    browser.find_element(By.CSS_SELECTOR, "#households tbody a").click()
    _on(browser, "/console/households/")
    shoot(browser, "console_household")
    assert "家庭成员" in _text(browser)


def test_a_clerk_cannot_see_another_towns_households(server, browser, real_county):
    By = _by()
    engine = real_county[0]
    username, password = new_account(engine, "leader", TOWN, display_name="镇办事员")
    with session_factory(engine)() as s:
        theirs = s.scalar(select(Household.id).where(Household.village_code.startswith(OTHER_TOWN[:9])).limit(1))
        mine = s.scalar(select(Household.id).where(Household.village_code.startswith(TOWN[:9])).limit(1))
    _sign_in(browser, server.url, username, password)
    _on(browser, "/console/data")
    browser.get(f"{server.url}/console/households")
    towns = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, 'select[name="region"] option')]
    assert towns == [TOWN]  # only their own town is offered
    if mine is not None:  # the register imported above is this town's
        assert browser.find_elements(By.CSS_SELECTOR, "#households tbody a")
    if theirs is not None:
        browser.get(f"{server.url}/console/households/{theirs}")
        assert "无权查看" in _text(browser)
    browser.get(f"{server.url}/console/households?region={OTHER_TOWN}")
    assert "无权查看" in _text(browser) and "仅限 基长镇 辖区" in _text(browser)
    shoot(browser, "console_clerk_refused")


def test_five_wrong_passwords_lock_the_account_with_its_until_time(server, browser, real_county):
    By = _by()
    username, _ = new_account(real_county[0], "leader")
    for _ in range(5):
        _sign_in(browser, server.url, username, "not-the-password")
        wait_for(lambda: browser.find_elements(By.ID, "error"), what="the sign-in's answer")
    error = browser.find_element(By.ID, "error").text
    assert "账号已锁定至" in error and "(北京时间)" in error
    shoot(browser, "console_locked")


def test_an_expired_session_keeps_the_form(server, browser, real_county):
    By = _by()
    username, password = new_account(real_county[0], "admin")
    _sign_in(browser, server.url, username, password)
    _on(browser, "/console/data")
    browser.get(f"{server.url}/console/tokens")
    browser.find_element(By.NAME, "label").send_keys("指挥中心大屏3")
    browser.find_element(By.NAME, "expires").send_keys("30d")
    browser.delete_cookie("sbx_console")  # the session ends while the clerk types
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(lambda: "内容已保留" in _text(browser), what="the sign-in page that keeps the form")
    shoot(browser, "console_session_expired")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    _on(browser, "/console/tokens?draft=")
    assert browser.find_element(By.NAME, "label").get_attribute("value") == "指挥中心大屏3"
    assert browser.find_element(By.NAME, "expires").get_attribute("value") == "30d"
