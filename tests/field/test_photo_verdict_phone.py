"""我的签到 on the phone says what the server found in each check-in's photos: 照片核验中 while the check runs,
nothing once they are fine, and 照片未通过核验 with the problem and a way to make the visit good when not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from sandbox.store.db import session_factory
from sandbox.store.field import create_invite
from sandbox.store.models import Checkin
from tests.field.browser import shoot, skip_reason, wait_for
from tests.field.conftest import checkins_taken_back, phone_api

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
PROBLEM = "第 1 张照片无法解码 (文件已损坏)"
VERDICTS = {"pending": ("pending", None), "bad": ("bad", PROBLEM), "ok": ("ok", None)}
NOTES = {"pending": "了解务工收入", "bad": "宣讲低保政策", "ok": "核实住房安全"}  # which card is which


@pytest.fixture(scope="module")
def server(demo_engine, tmp_path_factory):
    with checkins_taken_back(demo_engine), phone_api(demo_engine, tmp_path_factory.mktemp("verdict-data")) as srv:
        yield srv


def test_my_checkins_show_each_photo_verdict_and_how_to_make_a_bad_one_good(browser, server, demo_engine):
    with demo_engine.connect() as conn:
        cadre, household, village, lon, lat = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.village_code, h.lon, h.lat FROM assignments a "
            "JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id LIMIT 1")).one()
    now = dt.datetime.now().replace(microsecond=0)
    with session_factory(demo_engine)() as s:
        for minutes, (check, problem) in enumerate(VERDICTS.values(), start=1):
            s.add(Checkin(cadre_id=cadre, household_id=household, village_code=village, at=now - dt.timedelta(minutes=minutes),
                          lon=lon, lat=lat, source_crs="WGS-84", accuracy_m=8, distance_m=12, effective=True,
                          note=NOTES[check], photos=f'["{minutes:032x}.jpg"]', photo_check=check, photo_problem=problem))
        code, _ = create_invite(s, "cadre", cadre)
        s.commit()

    browser.get(f"{server.url}/m/#invite={code}")
    wait_for(lambda: browser.execute_script("return !!(state.me && state.me.cadre_id === arguments[0])", cadre),
             what="the cadre enrolled")
    browser.execute_script("location.hash = '#/mine'")

    def cards() -> dict[str, str] | None:
        shown = browser.execute_script("return Array.prototype.map.call(document.querySelectorAll('#view .card'),"
                                       " function (e) { return e.innerText; })")
        found = {k: c for k, note in NOTES.items() for c in shown if note in c}
        return found if len(found) == len(NOTES) else None

    try:
        cards = wait_for(cards, what="my check-ins")
    except AssertionError:
        shoot(browser, "photo-verdicts-missing")
        raise AssertionError(f"my check-ins: {browser.find_element('id', 'view').text[:600]!r}") from None
    shoot(browser, "photo-verdicts")
    assert "照片核验中" in cards["pending"] and "未通过" not in cards["pending"]
    assert f"照片未通过核验：{PROBLEM}" in cards["bad"] and "请重新拍照补签" in cards["bad"]
    assert "核验" not in cards["ok"]
    redo = browser.find_element("css selector", f'#view a.btn[href="#/checkin/{household}"]')
    assert redo.text == "重新拍照补签"
    redo.click()
    wait_for(lambda: "获取位置并签到" in browser.find_element("id", "view").text, what="the check-in form again")
