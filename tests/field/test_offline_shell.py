"""The phone app without signal, in headless Chromium: the service worker serves the app shell and
我的帮扶户 from its cache on a reload with the network off (the server sees no request), the page says
离线, a check-in made then waits on the phone and is stored once when the network returns; with the
server down while the browser believes it is online, the cached answer still makes the page say 离线."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from sandbox.server.runtime import EmbeddedServer
from sandbox.store.db import session_factory
from sandbox.store.field import create_invite
from sandbox.store.models import Checkin
from tests.field.browser import set_location, set_offline, shoot, skip_reason, wait_for
from tests.field.conftest import checkins_taken_back, phone_api

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    """The API with a log of every request path it answers: what reached it while the phone was offline."""

    def log_paths(srv):
        srv.seen = []

        @srv.server.config.app.middleware("http")
        async def log_path(request, call_next):
            srv.seen.append(request.url.path)
            return await call_next(request)

    with checkins_taken_back(demo_engine), phone_api(demo_engine, tmp_path_factory.mktemp("offline-data"),
                                                     before_start=log_paths) as srv:
        yield srv


def text_of(driver, element_id: str) -> str:
    return driver.execute_script(f"var e = document.getElementById('{element_id}'); return e ? e.innerText : '';")


def cards_of(driver) -> str:
    """The households' cards (offline the page adds a line saying when its data was fetched)."""
    return driver.execute_script("return Array.prototype.map.call(document.querySelectorAll('#view .card'),"
                                 " function (e) { return e.innerText; }).join('\\n');")


def app_requests(seen: list[str]) -> list[str]:
    """What the app asked for: the browser's own update check of the worker script is not the app."""
    return [path for path in seen if path != "/m/sw.js"]


def controlled(driver) -> bool:
    return driver.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller);")


def test_offline_reload_shows_cached_households_and_queues_a_checkin(browser, server, demo_engine):
    with demo_engine.connect() as conn:
        pair = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.lon, h.lat, h.head_name FROM assignments a "
            "JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id LIMIT 1")).one()
        start = conn.scalar(select(func.max(Checkin.id))) or 0
    with session_factory(demo_engine)() as session:
        code, _ = create_invite(session, "cadre", pair.cadre_id)
        session.commit()

    browser.get(f"{server.url}/m/#invite={code}")
    wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households after enrolment")
    wait_for(lambda: controlled(browser), what="the service worker to control the page")
    browser.refresh()  # online, now through the worker: my households go into its cache
    wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households through the worker")
    online_list = cards_of(browser)
    assert "离线" not in text_of(browser, "net")

    set_offline(browser, True)
    before = len(server.seen)
    browser.refresh()
    wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households from the cache")
    assert cards_of(browser) == online_list and "联网时的数据" in text_of(browser, "view")
    assert pair.head_name in text_of(browser, "view")
    assert "离线" in text_of(browser, "net")
    shoot(browser, "10-offline-my-households")
    assert app_requests(server.seen[before:]) == []  # the shell and the data came from the phone, not from the server

    browser.get(f"{server.url}/m/#/checkin/{pair.household_id}")
    wait_for(lambda: browser.find_elements("id", "go"), what="the check-in form offline")
    set_location(browser, server.url, pair.lon + 0.0003, pair.lat)
    browser.find_element("id", "note").send_keys("山里没有信号")
    browser.find_element("id", "go").click()
    wait_for(lambda: "没有网络" in text_of(browser, "cmsg"), what="the queued message")
    wait_for(lambda: "待发送 1" in text_of(browser, "queue"), what="the outbox banner")
    shoot(browser, "11-offline-checkin-waiting")
    with demo_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Checkin).where(Checkin.id > start)) == 0
    assert app_requests(server.seen[before:]) == []

    set_offline(browser, False)  # the `online` event sends the outbox
    wait_for(lambda: not text_of(browser, "queue"), timeout=30, what="the outbox to empty")
    with demo_engine.connect() as conn:
        rows = conn.execute(select(Checkin.cadre_id, Checkin.note).where(Checkin.id > start)).all()
    assert [tuple(r) for r in rows] == [(pair.cadre_id, "山里没有信号")]
    assert "离线" not in text_of(browser, "net")


def test_no_data_while_the_phone_thinks_it_is_online_still_shows_offline(browser, demo_engine):
    """A mast in sight but no data: the browser says online, every request fails (the server is down).
    The cached households show, and 离线 with them; when the server answers again, 离线 goes."""
    with demo_engine.connect() as conn:
        cadre_id = conn.execute(text(
            "SELECT a.cadre_id FROM assignments a JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id DESC LIMIT 1")).scalar_one()
    with session_factory(demo_engine)() as session:
        code, _ = create_invite(session, "cadre", cadre_id)
        session.commit()
    srv = EmbeddedServer(demo_engine).start()
    try:
        browser.get(f"{srv.url}/m/#invite={code}")
        wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households after enrolment")
        wait_for(lambda: controlled(browser), what="the service worker to control the page")
        browser.refresh()
        wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households through the worker")
        online_list = cards_of(browser)
        srv.stop()

        browser.refresh()
        wait_for(lambda: "我的帮扶户" in text_of(browser, "view"), what="my households from the cache")
        assert cards_of(browser) == online_list
        assert browser.execute_script("return navigator.onLine;")  # the browser does not know
        wait_for(lambda: "离线" in text_of(browser, "net"), what="离线 from the cached answer")
        shoot(browser, "12-no-data-cached")

        srv = EmbeddedServer(demo_engine, port=srv.port).start()  # the same origin: its worker and cookie
        browser.refresh()
        wait_for(lambda: cards_of(browser) == online_list and not text_of(browser, "net")
                 and "联网时的数据" not in text_of(browser, "view"),
                 what="离线 gone once the server answers")
    finally:
        srv.stop()
