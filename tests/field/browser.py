"""Headless Chromium for the phone pages: Debian's /usr/bin/chromium and chromedriver driven by Selenium,
a 390×844 phone screen, and the CDP levers the field needs (geolocation, permission, network).

Shared by the phone app's and the public pages' tests: `phone_browser()` starts one browser (a module
keeps one), `skip_reason()` says why there is none (a test skips only for that).
"""

from __future__ import annotations

import json
import os
import shutil
import time

__all__ = ["CHROMIUM", "CHROMEDRIVER", "skip_reason", "phone_browser", "set_location", "refuse_location",
           "set_offline", "wait_for", "shoot", "phone_size"]

CHROMIUM = os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SANDBOX_CHROMEDRIVER", "/usr/bin/chromedriver")
WIDTH, HEIGHT = 390, 844
PHONE_UA = ("Mozilla/5.0 (Linux; Android 10; HMA-AL00) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/78.0.3904.62 Mobile Safari/537.36")


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)) and not shutil.which(path):
            return f"{path} 不存在: 安装 Debian 软件包 {pkg} (以 root 运行 scripts/setup 会安装)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "未安装 selenium (pip install -e '.[test]')"
    return None


def phone_browser():
    """A headless Chromium with a phone's screen (390×844, touch, a phone's user agent)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WIDTH},{HEIGHT}", "--lang=zh-CN", "--no-first-run",
                "--disable-background-networking", "--disable-extensions"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    phone_size(driver)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": PHONE_UA, "acceptLanguage": "zh-CN"})
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Shanghai"})  # a phone in China
    driver.set_page_load_timeout(30)
    return driver


def phone_size(driver, width: int = WIDTH, height: int = HEIGHT) -> None:
    """The phone's screen in CSS pixels (390×844; 360×780 is the smallest phone the pages are made for)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})


def set_location(driver, origin: str, lon: float, lat: float, accuracy: float = 8.0) -> None:
    """Location allowed for `origin`, and where the phone is (WGS-84, as a phone's GPS gives it)."""
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": lat, "longitude": lon, "accuracy": accuracy})


def refuse_location(driver, origin: str) -> None:
    """The user said no to the location prompt."""
    driver.execute_cdp_cmd("Browser.setPermission", {"origin": origin, "permission": {"name": "geolocation"},
                                                     "setting": "denied"})


def set_offline(driver, offline: bool) -> None:
    """No network for the page and for its service workers, or the network back for both.

    The page's emulated conditions do not reach a service worker's own fetches (checked in Chromium 156:
    its cache fallback was never used), so each worker target gets them too, through a session attached
    to it; chromedriver speaks only to the page, hence `Target.sendMessageToTarget`.
    """
    conditions = {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
    sessions = driver.__dict__.setdefault("_worker_sessions", {})
    for target in driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]:
        if target["type"] != "service_worker":
            continue
        if target["targetId"] not in sessions:
            sessions[target["targetId"]] = driver.execute_cdp_cmd(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": False})["sessionId"]
        for n, (method, params) in enumerate((("Network.enable", {}),
                                               ("Network.emulateNetworkConditions", conditions)), start=1):
            driver.execute_cdp_cmd("Target.sendMessageToTarget", {
                "sessionId": sessions[target["targetId"]],
                "message": json.dumps({"id": n, "method": method, "params": params})})


def wait_for(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 — a page mid-render raises; try again
            last = exc
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def shoot(driver, name: str) -> None:
    """A screenshot into $SANDBOX_SCREENSHOTS (when set): for people to look at the pages."""
    where = os.environ.get("SANDBOX_SCREENSHOTS")
    if where:
        os.makedirs(where, exist_ok=True)
        driver.save_screenshot(os.path.join(where, name + ".png"))
