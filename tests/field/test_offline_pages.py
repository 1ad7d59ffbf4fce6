"""The pages a cadre sees with no signal, in headless Chromium at 390×844: each page opened online once (so the
phone keeps it), then again with the network off; a check-in made offline waits in the outbox. Every page says
it is offline, holds to tests/field/fit.py, and tells what waits on the phone."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sandbox.store.db import session_factory
from sandbox.store.field import create_invite
from tests.field.browser import set_location, set_offline, skip_reason, wait_for
from tests.field.conftest import checkins_taken_back, phone_api
from tests.field.fit import fits

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    with checkins_taken_back(demo_engine), phone_api(demo_engine, tmp_path_factory.mktemp("offline-pages")) as srv:
        yield srv


def _text(driver, element_id: str) -> str:
    return driver.execute_script(f"var e = document.getElementById('{element_id}'); return e ? e.innerText : '';")


def _go(driver, hash_: str, until: tuple[str, ...]) -> str:
    driver.execute_script("location.hash = arguments[0];", hash_)
    return wait_for(lambda: next((t for t in until if t in _text(driver, "view")), None), what=f"{hash_}: {until}")


def test_the_offline_pages_fit_and_say_what_waits(browser, server, demo_engine):
    with demo_engine.connect() as conn:
        pair = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.lon, h.lat, h.head_name FROM assignments a "
            "JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL AND c.region_code LIKE '522726103%' "
            "ORDER BY a.id LIMIT 1")).one()
    with session_factory(demo_engine)() as session:
        code, _ = create_invite(session, "cadre", pair.cadre_id)
        session.commit()
    pages = ((f"#/h/{pair.household_id}", ("家庭成员",), "household"),
             ("#/mine", ("次)", "还没有签到记录"), "my-checkins"),
             ("#/todo", ("我的待办",), "todo"),
             ("#/notices", ("通知公告",), "notices"),
             ("#/inspect", ("我负责的整改",), "inspect"))

    browser.get(f"{server.url}/m/#invite={code}")
    wait_for(lambda: "我的帮扶户" in _text(browser, "view"), what="my households after enrolment")
    wait_for(lambda: browser.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"),
             what="the service worker to control the page")
    browser.refresh()
    wait_for(lambda: "我的帮扶户" in _text(browser, "view"), what="my households through the worker")
    for hash_, until, _ in pages:  # each page once online: the worker keeps what it fetched
        _go(browser, hash_, until)

    set_offline(browser, True)
    browser.get(f"{server.url}/m/#/")
    wait_for(lambda: "我的帮扶户" in _text(browser, "view"), what="my households from the cache")
    assert "离线" in _text(browser, "net")
    fits(browser, "offline-1-households")

    _go(browser, f"#/checkin/{pair.household_id}", ("获取位置并签到",))
    set_location(browser, server.url, pair.lon + 0.0003, pair.lat)
    browser.find_element("id", "note").send_keys("山里没有信号")
    browser.find_element("id", "go").click()
    wait_for(lambda: "没有网络" in _text(browser, "cmsg"), what="the queued message")
    assert "待发送 1" in _text(browser, "queue")
    fits(browser, "offline-2-checkin-queued")

    for n, (hash_, until, name) in enumerate(pages, start=3):
        _go(browser, hash_, until)
        assert "离线" in _text(browser, "net") and "待发送 1" in _text(browser, "queue"), name
        if name == "my-checkins":  # what waits, with its note, and the stored ones said to be as last seen
            assert "山里没有信号" in _text(browser, "view") and "上次联网时的记录" in _text(browser, "view")
        fits(browser, f"offline-{n}-{name}")
    _go(browser, "#/", ("我的帮扶户",))  # the visit made offline shows on its household's card, and the data's age
    card = browser.find_element("css selector", f'#view a.card[href="#/h/{pair.household_id}"]').text
    assert "本机待发送签到 1 次" in card and "联网时的数据" in _text(browser, "view")
    fits(browser, "offline-8-households-queued")
    set_offline(browser, False)
