"""The public complaint form and tracking page in a phone-sized headless Chromium (390×844): file a
complaint with a photo, then read the town's reply, given through the API, on the tracking page."""

from __future__ import annotations

import io
import json

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from sandbox.server.runtime import EmbeddedServer
from sandbox.store.models import Complaint
from tests.conftest import auth
from tests.field.browser import WIDTH, phone_browser, shoot, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
TEXT = "村里饮水管道坏了半个月没人修, 请尽快处理。"


@pytest.fixture(scope="module")
def server(demo_engine):
    s = EmbeddedServer(demo_engine).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def phone():
    driver = phone_browser()
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _fits(driver) -> None:
    assert driver.execute_script("return document.documentElement.scrollWidth") <= WIDTH  # no sideways scrolling


def test_file_a_complaint_with_a_photo_and_read_the_reply(server, phone, tokens, sessions, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    photo = tmp_path / "pipe.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 90, 160)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())

    phone.get(f"{server.url}/q/complaint")
    WebDriverWait(phone, 20).until(lambda d: d.find_elements(By.ID, "town"))
    _fits(phone)
    Select(phone.find_element(By.ID, "town")).select_by_visible_text("基长镇")
    Select(phone.find_element(By.ID, "category")).select_by_visible_text("政策未落实")
    phone.find_element(By.ID, "text").send_keys(TEXT)
    phone.find_element(By.ID, "photos").send_keys(str(photo))
    phone.find_element(By.ID, "phone").send_keys("13908541111")
    shoot(phone, "complaint-form")
    phone.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(phone, 20).until(lambda d: d.find_elements(By.ID, "reference"))
    reference = phone.find_element(By.ID, "reference").text
    assert "已收到您反映的问题" in phone.find_element(By.TAG_NAME, "body").text
    _fits(phone)
    shoot(phone, "complaint-done")
    with sessions() as s:
        c = s.scalars(select(Complaint).where(Complaint.reference == reference)).one()
        assert (c.category, c.town_code, c.text, len(json.loads(c.photos))) == ("policy", "522726103000", TEXT, 1)

    # the town's leader answers through the API
    reply = "经核实, 管道已于本周修复通水, 感谢您的监督。"
    r = requests.post(f"{server.url}/api/v1/complaints/{c.id}/reply", json={"reply": reply},
                      headers=auth(tokens["leader_town"]), timeout=20)
    assert r.status_code == 200, r.text

    phone.find_element(By.CSS_SELECTOR, "a.btn-report").click()  # 查询办理进度, with the code filled in
    WebDriverWait(phone, 20).until(lambda d: d.find_elements(By.ID, "reply"))
    assert phone.find_element(By.ID, "reply").text == reply
    assert phone.find_element(By.ID, "status").text == "已答复"
    body = phone.find_element(By.TAG_NAME, "body").text
    assert "13908541111" not in body and TEXT not in body
    _fits(phone)
    shoot(phone, "complaint-track")

    phone.get(f"{server.url}/q/track")  # typed in by hand another day
    phone.find_element(By.ID, "code").send_keys(reference)
    phone.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(phone, 20).until(lambda d: d.find_elements(By.ID, "reply"))
    assert phone.find_element(By.ID, "reply").text == reply
