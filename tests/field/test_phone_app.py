"""The phone app in headless Chromium at 390×844: enrol by invite link, my households, a check-in made
offline arrives exactly once when the network returns and shows on the wall's SSE stream; the bad
inputs of issue 15 (used/expired invite, revoked device, location refused, not an image, 20 MB photo,
another cadre's household, the same check-in resent) each get a Chinese message and store nothing."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import threading

import pytest
import requests
from sqlalchemy import func, select, text

from sandbox.server.runtime import new_token
from sandbox.store.db import session_factory
from sandbox.store.field import create_invite, revoke_devices
from sandbox.store.models import Checkin
from tests.field.browser import (
    refuse_location,
    set_location,
    set_offline,
    shoot,
    skip_reason,
    wait_for,
)
from tests.field.conftest import checkins_taken_back, phone_api

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    with checkins_taken_back(demo_engine), phone_api(demo_engine, tmp_path_factory.mktemp("phone-data")) as srv:
        yield srv


@pytest.fixture(scope="module")
def pairs(demo_engine) -> list[dict]:
    with demo_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.lon, h.lat FROM assignments a "
            "JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id DESC LIMIT 100")).all()
    seen, out = set(), []
    for r in rows:
        if r.cadre_id not in seen:
            seen.add(r.cadre_id)
            out.append(dict(r._mapping))
    return out


def invite(engine, cadre_id, now=None) -> str:
    with session_factory(engine)() as session:
        code, _ = create_invite(session, "cadre", cadre_id, now=now)
        session.commit()
    return code


def checkins_of(engine, cadre_id, since_id: int = 0) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(select(Checkin.id, Checkin.client_id).where(Checkin.cadre_id == cadre_id,
                                                                        Checkin.id > since_id)).all()


def max_id(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.max(Checkin.id))) or 0


def outbox(driver) -> list[dict]:
    return driver.execute_async_script("var done = arguments[0]; outboxAll().then(done, function () { done([]); });")


def text_of(driver, element_id: str) -> str:
    return driver.execute_script(f"var e = document.getElementById('{element_id}'); return e ? e.innerText : '';")


class Events:
    """The wall's SSE stream (a display token), read in a thread."""

    def __init__(self, url: str, token: str) -> None:
        self.items: list[dict] = []
        self.response = requests.get(url + "/api/v1/events", headers={"Authorization": f"Bearer {token}"},
                                     stream=True, timeout=(5, 120))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        kind = None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind == "checkin":
                    self.items.append(json.loads(line.split(":", 1)[1]))
        except Exception:  # noqa: BLE001 — closed at the end of the test
            pass

    def close(self) -> None:
        self.response.close()


def enrol(browser, server, engine, cadre_id) -> None:
    browser.get(f"{server.url}/m/#invite={invite(engine, cadre_id)}")
    wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households after enrolment")


def camera_photo(path, size=(4000, 3000)) -> int:
    """A 12 Mpx JPEG of about 4 MB, as a phone camera makes (upscaled noise: it does not compress away)."""
    import random

    from PIL import Image

    rnd = random.Random(1)
    small = Image.frombytes("RGB", (400, 300), bytes(rnd.getrandbits(8) for _ in range(400 * 300 * 3)))
    small.resize(size, Image.BICUBIC).save(path, "JPEG", quality=95)
    return path.stat().st_size


def test_offline_checkin_arrives_exactly_once_and_on_the_wall_stream(browser, server, demo_engine, pairs, tmp_path):
    pair = pairs[0]
    photo = tmp_path / "IMG_20261206.jpg"
    assert camera_photo(photo) > 4_000_000
    events = Events(server.url, new_token(demo_engine, "display"))
    try:
        enrol(browser, server, demo_engine, pair["cadre_id"])
        shoot(browser, "01-my-households")
        assert "帮扶干部" in text_of(browser, "title")
        browser.get(f"{server.url}/m/#/h/{pair['household_id']}")
        wait_for(lambda: "两不愁三保障" in text_of(browser, "view"), what="the household card")
        shoot(browser, "02-household-card")
        view = browser.find_element("id", "view")
        assert view.find_element("css selector", "a[href^='geo:']")  # directions handed to the map app
        browser.get(f"{server.url}/m/#/checkin/{pair['household_id']}")
        wait_for(lambda: browser.find_elements("id", "go"), what="the check-in form")
        set_location(browser, server.url, pair["lon"] + 0.0004, pair["lat"], accuracy=12)
        browser.find_element("id", "note").send_keys("走访: 了解务工收入 (离线)")
        browser.find_element("id", "photos").send_keys(str(photo))
        start = max_id(demo_engine)

        set_offline(browser, True)
        browser.find_element("id", "go").click()
        wait_for(lambda: "没有网络" in text_of(browser, "cmsg"), what="the offline message")
        wait_for(lambda: "待发送 1" in text_of(browser, "queue"), what="the outbox banner")
        shoot(browser, "03-checkin-offline-queued")
        queued = outbox(browser)
        assert len(queued) == 1 and not queued[0].get("error")
        client_id = queued[0]["client_id"]
        (sent,) = queued[0]["body"]["photos"]  # resized on the phone: ≤ 1600 px, ≤ 400 KB
        from PIL import Image

        jpeg = base64.b64decode(sent.split(",", 1)[1])
        assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) <= 400 * 1024
        assert max(Image.open(io.BytesIO(jpeg)).size) == 1600
        assert checkins_of(demo_engine, pair["cadre_id"], start) == []  # nothing got through

        set_offline(browser, False)  # the phone's `online` event sends the outbox
        rows = wait_for(lambda: checkins_of(demo_engine, pair["cadre_id"], start), timeout=40, what="the upload")
        wait_for(lambda: outbox(browser) == [], what="the outbox to empty")
        assert [r.client_id for r in rows] == [client_id]
        wait_for(lambda: any(e["id"] == rows[0].id for e in events.items), timeout=20, what="the SSE event")
        assert [e["id"] for e in events.items if e["id"] == rows[0].id] == [rows[0].id]

        # The answer was lost on the way back (say): the phone sends the same check-in again, and again.
        browser.execute_async_script(
            "var item = arguments[0], done = arguments[1]; item.error = undefined;"
            "outboxPut(item).then(function () { return flush(); }).then(function () {"
            "  return outboxPut(item); }).then(function () { return flush(); }).then(done);", queued[0])
        wait_for(lambda: outbox(browser) == [], what="the resent outbox to empty")
        assert [r.client_id for r in checkins_of(demo_engine, pair["cadre_id"], start)] == [client_id]
        assert sum(1 for e in events.items if e["id"] == rows[0].id) == 1

        # online: the answer says at once whether the visit counts, and how far from the house
        browser.get(f"{server.url}/m/#/checkin/{pair['household_id']}")
        assert browser.find_element("id", "note").get_attribute("value") == ""  # the form started afresh
        set_location(browser, server.url, pair["lon"] + 0.0004, pair["lat"], accuracy=12)
        browser.find_element("id", "go").click()
        wait_for(lambda: "签到成功" in text_of(browser, "cmsg"), what="the online result")
        assert re.search(r"距该户 \d+ 米 \(有效范围 500 米\)", text_of(browser, "cmsg"))
        shoot(browser, "03b-checkin-online-result")
        assert len(checkins_of(demo_engine, pair["cadre_id"], start)) == 2

        browser.get(f"{server.url}/m/#/mine")
        wait_for(lambda: "离线" in text_of(browser, "view"), what="my check-ins with the note")
        wait_for(lambda: browser.execute_script(  # the photo, as stored, shown to its owner
            "var i = document.querySelector('.thumbs img'); return !!i && i.complete && i.naturalWidth > 0;"),
            what="the check-in's photo")
        shoot(browser, "04-my-checkins")
        assert "月" in text_of(browser, "view")
    finally:
        events.close()


def test_bad_input_gets_a_chinese_message_and_stores_nothing(browser, server, demo_engine, pairs, tmp_path):
    pair, other = pairs[1], pairs[2]
    enrol(browser, server, demo_engine, pair["cadre_id"])
    start = max_id(demo_engine)

    # location refused: how to allow it, and no check-in
    refuse_location(browser, server.url)
    browser.get(f"{server.url}/m/#/checkin/{pair['household_id']}")
    wait_for(lambda: browser.find_elements("id", "go"), what="the check-in form")
    browser.find_element("id", "go").click()
    msg = wait_for(lambda: text_of(browser, "cmsg"), what="the location message")
    assert "定位权限" in msg and "设置" in msg and "必须有位置" in msg
    shoot(browser, "05-location-refused")

    set_location(browser, server.url, pair["lon"], pair["lat"])
    # a file that is not an image
    fake = tmp_path / "照片.jpg"
    fake.write_bytes(b"%PDF-1.4 this is a document, not a photo")
    browser.get(f"{server.url}/m/#/checkin/{pair['household_id']}")
    wait_for(lambda: browser.find_elements("id", "photos"), what="the check-in form")
    browser.find_element("id", "photos").send_keys(str(fake))
    browser.find_element("id", "go").click()
    wait_for(lambda: "不是图片" in text_of(browser, "cmsg"), what="the not-an-image message")
    shoot(browser, "06-not-an-image")

    # a 20 MB photo
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(20 * 1024 * 1024))
    browser.refresh()
    wait_for(lambda: browser.find_elements("id", "photos"), what="the check-in form")
    browser.find_element("id", "photos").send_keys(str(big))
    browser.find_element("id", "go").click()
    wait_for(lambda: "过大" in text_of(browser, "cmsg"), what="the too-large message")

    # another cadre's household: not on this phone, and the server refuses it too
    browser.get(f"{server.url}/m/#/checkin/{other['household_id']}")
    wait_for(lambda: "不是您的结对帮扶户" in text_of(browser, "view"), what="the not-yours message")
    assert outbox(browser) == [] and checkins_of(demo_engine, pair["cadre_id"], start) == []

    # a used invite, an expired one
    used = invite(demo_engine, pair["cadre_id"])
    assert requests.post(server.url + "/api/v1/field/enrol", json={"invite": used}, timeout=10).status_code == 200
    browser.get(f"{server.url}/m/#invite={used}")
    wait_for(lambda: "已使用过" in text_of(browser, "view"), what="the used-invite message")
    shoot(browser, "07-used-invite")
    old = invite(demo_engine, pair["cadre_id"], now=dt.datetime.utcnow() - dt.timedelta(hours=80))
    browser.get(f"{server.url}/m/#invite={old}")
    wait_for(lambda: "已过期" in text_of(browser, "view"), what="the expired-invite message")

    # a revoked device: the next request is refused, with what to do
    enrol(browser, server, demo_engine, pair["cadre_id"])
    with session_factory(demo_engine)() as session:
        revoke_devices(session, cadre_id=pair["cadre_id"])
        session.commit()
    browser.refresh()
    wait_for(lambda: "重新绑定" in text_of(browser, "view"), what="the revoked-device message")
    shoot(browser, "08-revoked-device")
    assert checkins_of(demo_engine, pair["cadre_id"], start) == []


def test_a_leader_phone_shows_its_area_month_of_visits(browser, server, demo_engine):
    with session_factory(demo_engine)() as session:
        code, _ = create_invite(session, "leader", region="522726103000", label="镇长")
        session.commit()
    browser.get(f"{server.url}/m/#invite={code}")
    wait_for(lambda: "走访率" in text_of(browser, "view"), what="the leader's overview")
    shoot(browser, "09-leader")
    assert "帮扶户" not in text_of(browser, "tabs") and "我的签到" not in text_of(browser, "tabs")  # no cadre pages
    assert "领导" in text_of(browser, "title")
