"""What the desk's browser tests share: the embedded server, a headless Chromium at an office laptop's 1366×768 that
saves downloads to a folder, and signing a new account in (import the fixtures into the test module)."""

from __future__ import annotations

import pytest

from sandbox.server.runtime import EmbeddedServer
from tests.console.conftest import new_account
from tests.field.browser import CHROMEDRIVER, CHROMIUM, wait_for

__all__ = ["WIDTH", "HEIGHT", "server", "downloads", "browser", "by", "text", "fits", "sign_in"]

WIDTH, HEIGHT = 1366, 768


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    """The app on a random port, with its own data folder (uploads' checks live there)."""
    s = EmbeddedServer(demo_engine)
    app = s.server.config.app
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("desk-data")})
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
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def by():
    from selenium.webdriver.common.by import By

    return By


def text(driver) -> str:
    return driver.find_element(by().TAG_NAME, "body").text


def fits(driver) -> None:
    """Nothing to scroll sideways at 1366 wide."""
    assert driver.execute_script("return document.documentElement.scrollWidth") <= WIDTH


def sign_in(driver, server, engine, role: str, region: str | None = None, display_name: str | None = None) -> str:
    """A new account of `role` (and region) signed in on the console's start page; its username."""
    username, password = new_account(engine, role, region, display_name=display_name)
    driver.get(f"{server.url}/console/login")
    driver.find_element(by().NAME, "username").send_keys(username)
    driver.find_element(by().NAME, "password").send_keys(password)
    driver.find_element(by().CSS_SELECTOR, "button.primary").click()
    wait_for(lambda: "/console/data" in driver.current_url, what="the signed-in console")
    return username
