"""The QR pages in a real phone-sized browser (Debian's headless Chromium, 390×844): read a household's card,
follow its project, report a problem; nothing is cut off or needs sideways scrolling."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from sandbox.domain.masking import mask_name
from sandbox.server.runtime import EmbeddedServer
from sandbox.store.models import Complaint

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTH, HEIGHT = 390, 844


@pytest.fixture(scope="module")
def server(demo_engine):
    s = EmbeddedServer(demo_engine).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def phone():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WIDTH},{HEIGHT}", "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": True})
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _fits_the_phone(driver) -> None:
    assert driver.execute_script("return window.innerWidth") == WIDTH
    assert driver.execute_script("return document.documentElement.scrollWidth") <= WIDTH  # no sideways scrolling
    small = driver.execute_script(
        "return [...document.querySelectorAll('a.btn, button')].filter(e => e.getBoundingClientRect().height < 44)"
        ".map(e => e.textContent)")
    assert small == []  # every button a thumb can hit


def _reference_after_navigation(driver) -> str:
    """The receipt's reference once the page after a form post has loaded: a click returns before the
    navigation it starts has finished, so a slow CI machine may still be on the form."""
    try:
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "reference"))
    except Exception:  # say what page the browser is on instead of a bare "no such element"
        pytest.fail(f"no receipt after submitting; the page reads: {driver.find_element(By.TAG_NAME, 'body').text!r}")
    return driver.find_element(By.ID, "reference").text


def test_a_phone_reads_a_card_follows_its_project_and_reports_a_problem(server, phone, household, project, sessions):
    h, slug = household
    p, project_slug = project
    phone.get(f"{server.url}/q/{slug}")
    assert phone.find_element(By.TAG_NAME, "h1").text == f"{mask_name(h.head_name)} 户"
    body = phone.find_element(By.TAG_NAME, "body").text
    assert "帮扶责任人" in body and "利益联结项目" in body and h.head_name not in body
    assert phone.find_element(By.CSS_SELECTOR, "a.btn-call").get_attribute("href").startswith("tel:")
    _fits_the_phone(phone)

    phone.get(f"{server.url}/q/{project_slug}")
    assert phone.find_element(By.TAG_NAME, "h1").text == p.name
    assert "资金使用" in phone.find_element(By.TAG_NAME, "body").text
    _fits_the_phone(phone)

    phone.find_element(By.CSS_SELECTOR, "a.btn-report").click()
    WebDriverWait(phone, 20).until(lambda d: d.current_url.endswith(f"/q/{project_slug}/complaint"))
    WebDriverWait(phone, 20).until(lambda d: d.find_elements(By.ID, "text"))
    _fits_the_phone(phone)
    phone.find_element(By.ID, "text").send_keys("基地的务工工资拖欠了两个月, 请核实。")
    phone.find_element(By.ID, "phone").send_keys("13908541234")
    phone.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    reference = _reference_after_navigation(phone)
    assert reference.startswith("TS") and "已收到您反映的问题" in phone.find_element(By.TAG_NAME, "body").text
    phone.refresh()  # the browser sends the form again: still one complaint
    assert _reference_after_navigation(phone) == reference
    with sessions() as s:
        (c,) = s.scalars(select(Complaint).where(Complaint.reference == reference)).all()
        assert (c.kind, c.subject_id, c.phone) == ("project", p.id, "13908541234")
        assert c.text == "基地的务工工资拖欠了两个月, 请核实。"


def test_an_unknown_code_is_a_readable_page(server, phone):
    phone.get(f"{server.url}/q/NOSUCHSLUG000000")
    assert phone.find_element(By.TAG_NAME, "h1").text == "页面不存在"
    _fits_the_phone(phone)
