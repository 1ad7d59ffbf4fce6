"""Drill-down on the wall with a three-level fake county: clicks, breadcrumb, back, village panel,
timeline, indicator menu, fixed class breaks, and what the screen does when the API fails."""

import gc
import threading
import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton

from sandbox.client.api import ApiError
from sandbox.ui.frame_timing.gc_pause import held
from sandbox.ui.prefetch import PREFETCH_TTL
from sandbox.ui.theme import NO_DATA_COLOR, ramp
from sandbox.ui.village import DELEGATION_NOTE
from sandbox.ui.wall import LEAF_NOTE, ROOT_NOTE
from tests.api_double import ApiDouble

from .conftest import COUNTY, LEAFLESS_TOWN, NO_DATA_VILLAGE, shown_wall, town_code, village_code

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

TOWN = town_code(0)  # 百泉镇
VILLAGE = village_code(0, 0)  # 百泉1村, a poor village that exited in 2018


@pytest.fixture
def make_wall(qtbot):
    def make(client, **kw):
        kw.setdefault("region", COUNTY)
        kw.setdefault("prefetch", False)
        w = shown_wall(qtbot, client, **kw)
        settle(qtbot, w)
        return w
    return make


def settle(qtbot, wall):
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading and not wall.canvas.animating
                    and not wall.worker.busy(), timeout=15000)
    return wall


def click_region(qtbot, wall, code, button=Qt.MouseButton.LeftButton):
    qtbot.mouseClick(wall.canvas, button, pos=wall.canvas.region_center(code).toPoint())


def drill(qtbot, wall, code):
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        click_region(qtbot, wall, code)
    return settle(qtbot, wall)


def open_village(qtbot, wall, code):
    with qtbot.waitSignal(wall.villageApplied, timeout=10000):
        click_region(qtbot, wall, code)
    return settle(qtbot, wall)


def fill(wall, code) -> str:
    """The fill colour at a region's centre, labels and hover out of the way."""
    ms = wall.state.map
    ms.hovered_code = None
    ms.show_labels = False
    try:
        img = wall.canvas.grab().toImage()
        return QColor(img.pixel(wall.canvas.region_center(code).toPoint())).name()
    finally:
        ms.show_labels = True


def class_colour(wall, code) -> str:
    ms = wall.state.map
    c = ms.class_of(code)
    return NO_DATA_COLOR if c < 0 else ramp(ms.classification.k, ms.indicator.higher_is_better)[c]


def shown_codes(wall) -> list[str]:
    return [f.code for f in wall.state.map.region_map.features]


# -- drilling ---------------------------------------------------------------------------------------

def test_clicking_a_town_zooms_into_its_villages(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    assert wall.breadcrumb.text() == "独山县" and not wall.breadcrumb.back.isEnabled()
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        click_region(qtbot, wall, TOWN)
    assert wall.canvas.animating  # the new level is complete before the zoom's first frame
    with qtbot.waitSignal(wall.canvas.transitionFinished, timeout=3000):
        pass
    assert wall.breadcrumb.text() == "独山县 › 百泉镇"
    assert [b.text() for b in wall.breadcrumb.crumb_buttons()] == ["独山县", "百泉镇"]
    assert wall.breadcrumb.back.isEnabled()
    assert wall.state.nav.codes() == [COUNTY, TOWN]
    assert shown_codes(wall) == [village_code(0, j) for j in range(4)]
    assert {lab.code for lab in wall.canvas.labels()} == set(shown_codes(wall))
    assert wall.header.title_label.text() == "百泉镇脱贫攻坚电子沙盘"
    assert ("region", TOWN, 2020) in county_client.calls  # the year on screen is kept
    assert threading.main_thread().name not in county_client.threads


def test_nothing_moves_until_the_drill_data_has_arrived(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    county_client.gate = threading.Event()
    click_region(qtbot, wall, TOWN)
    qtbot.waitUntil(lambda: wall.canvas._busy_shown, timeout=5000)  # shown after a short delay, however loaded
    assert wall.state.loading and not wall.canvas.animating
    assert shown_codes(wall) == [town_code(i) for i in range(6)] and wall.breadcrumb.text() == "独山县"
    assert wall.canvas._busy_shown  # "正在载入 百泉镇…" says the click was heard
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        county_client.gate.set()
    assert wall.canvas.animating and shown_codes(wall)[0] == village_code(0, 0)


def test_village_fills_are_their_class_colours_after_drilling(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    for code in shown_codes(wall):
        assert fill(wall, code) == class_colour(wall, code), code
    # 2020: 百泉 villages at 2.5–5.5% straddle the 3% exit line: two classes, green and light green
    assert fill(wall, village_code(0, 0)) == ramp(6, False)[0]
    assert fill(wall, village_code(0, 3)) == ramp(6, False)[2]


def test_escape_and_right_click_go_up_one_level(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    settle(qtbot, wall)
    assert wall.breadcrumb.text() == "独山县" and shown_codes(wall) == [town_code(i) for i in range(6)]
    assert wall.state.map.selected_code == TOWN  # the town just left stays outlined
    drill(qtbot, wall, TOWN)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.RightButton, pos=QPoint(10, 10))
    settle(qtbot, wall)
    assert wall.breadcrumb.text() == "独山县" and wall.state.map.region_code == COUNTY
    qtbot.keyClick(wall, Qt.Key.Key_Escape)  # at the top: nothing to go up to, and it says so
    assert wall.canvas.note() == ROOT_NOTE and not wall.state.loading


def test_breadcrumb_and_back_button_navigate_by_code(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    open_village(qtbot, wall, VILLAGE)
    assert wall.breadcrumb.text() == "独山县 › 百泉镇 › 百泉1村"
    crumbs = wall.breadcrumb.crumb_buttons()
    assert [b.property("code") for b in crumbs] == [COUNTY, TOWN, VILLAGE]
    qtbot.mouseClick(crumbs[1], Qt.MouseButton.LeftButton)  # the town: closes the village only
    assert wall.breadcrumb.text() == "独山县 › 百泉镇" and not wall.village_panel.isVisible()
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(wall.breadcrumb.back, Qt.MouseButton.LeftButton)
    settle(qtbot, wall)
    assert wall.breadcrumb.text() == "独山县" and not wall.breadcrumb.back.isEnabled()
    shown = [b for b in wall.breadcrumb.findChildren(QPushButton) if b.isVisible() and b is not wall.breadcrumb.back]
    assert [b.text() for b in shown] == ["独山县"] and shown[0].objectName() == "crumbCurrent"
    n = len(wall.breadcrumb.findChildren(QPushButton))
    drill(qtbot, wall, TOWN)
    assert [b.text() for b in wall.breadcrumb.crumb_buttons()] == ["独山县", "百泉镇"]
    assert len(wall.breadcrumb.findChildren(QPushButton)) == n  # crumbs are reused, not made per drill
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):  # a crumb that is not the current level: a link
        qtbot.mouseClick(wall.breadcrumb.crumb_buttons()[0], Qt.MouseButton.LeftButton)
    settle(qtbot, wall)
    assert wall.state.map.region_code == COUNTY


# -- the village panel ----------------------------------------------------------------------------------

def test_clicking_a_village_opens_its_panel_with_masked_households(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    open_village(qtbot, wall, VILLAGE)
    panel = wall.village_panel
    assert panel.isVisible() and panel.name_label.text() == "百泉1村"
    assert panel.tag_label.text() == "贫困村 · 2018年出列"
    assert wall.state.map.selected_code == VILLAGE
    rows = panel.cell_texts()
    assert len(rows) == 10
    assert all("*" in r[0] and "*" in r[1] for r in rows)  # 户主, 身份证号 arrive masked
    assert rows[0][6] == "发展生产" and rows[0][7] == "8,001元"
    assert panel.page_label.text() == "第 1 / 3 页" and not panel.prev_button.isEnabled()
    with qtbot.waitSignal(wall.villageApplied, timeout=5000):
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert ("households", VILLAGE, 2) in county_client.calls
    assert panel.page_label.text() == "第 2 / 3 页" and panel.cell_texts()[0][1].endswith("1011")


def test_a_village_cannot_be_drilled_further(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    open_village(qtbot, wall, VILLAGE)
    n = len(county_client.calls)
    click_region(qtbot, wall, VILLAGE)
    assert wall.canvas.note() == LEAF_NOTE
    qtbot.wait(100)
    assert county_client.calls[n:] == []  # nothing asked of the API
    qtbot.keyClick(wall, Qt.Key.Key_Escape)  # closes the panel; the town's map stays
    assert not wall.village_panel.isVisible() and wall.breadcrumb.text() == "独山县 › 百泉镇"
    assert wall.state.map.region_code == TOWN and wall.state.map.selected_code is None


def test_delegation_token_sees_no_household_records(qtbot, make_wall, make_county):
    client = make_county(role="delegation")
    wall = drill(qtbot, make_wall(client), TOWN)
    open_village(qtbot, wall, VILLAGE)
    panel = wall.village_panel
    assert panel.isVisible() and panel.note_label.isVisible() and not panel.table.isVisible()
    assert panel.note_label.text() == DELEGATION_NOTE
    assert panel.cell_texts() == []
    assert not wall.banner.isVisible()  # a policy, not a fault


def test_a_village_code_opens_its_panel_over_its_town(qtbot, make_wall, county_client):
    wall = make_wall(county_client, region=village_code(0, 1))
    qtbot.waitUntil(wall.village_panel.isVisible, timeout=5000)
    assert wall.state.map.region_code == TOWN
    assert wall.breadcrumb.text() == "独山县 › 百泉镇 › 百泉2村"
    assert wall.village_panel.tag_label.text() == "非贫困村"


# -- bad input -------------------------------------------------------------------------------------------

def test_api_failure_mid_drill_keeps_the_current_level(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    before = {code: fill(wall, code) for code in shown_codes(wall)}
    county_client.fail_codes = {TOWN}
    with qtbot.waitSignal(wall.loadFailed, timeout=10000):
        click_region(qtbot, wall, TOWN)
    assert not wall.canvas.animating
    assert wall.banner.isVisible()
    assert "无法连接中心数据接口" in wall.banner.text() and "屏幕保持" in wall.banner.text()
    assert wall.breadcrumb.text() == "独山县" and wall.state.map.region_code == COUNTY
    assert {code: fill(wall, code) for code in shown_codes(wall)} == before
    county_client.fail_codes = set()  # the API is back: the same click works and the banner goes
    drill(qtbot, wall, TOWN)
    assert not wall.banner.isVisible() and wall.breadcrumb.text() == "独山县 › 百泉镇"


def test_failure_loading_the_series_never_half_draws(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    real = county_client.handle_children_series

    def broken(code):
        if code == TOWN:
            raise ApiError(500, "boom")
        return real(code)

    county_client.handle_children_series = broken  # GET /level carries it: that fails the same way
    with qtbot.waitSignal(wall.loadFailed, timeout=10000):
        click_region(qtbot, wall, TOWN)
    assert "内部错误（500）" in wall.banner.text()
    assert wall.state.map.region_code == COUNTY and len(shown_codes(wall)) == 6


def test_a_region_without_children_says_so(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        click_region(qtbot, wall, LEAFLESS_TOWN)
    assert wall.canvas.note() == "上司镇 没有下级区域"
    assert wall.state.map.region_code == COUNTY and wall.breadcrumb.text() == "独山县"
    assert not wall.banner.isVisible()


def test_an_indicator_without_data_shows_no_data_not_zero(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), town_code(4))
    assert wall.state.map.value_of(NO_DATA_VILLAGE) is None
    assert fill(wall, NO_DATA_VILLAGE) == NO_DATA_COLOR  # one village without figures
    wall.set_indicator("relapse_rate")  # nobody reported it
    assert [(e[1], e[2]) for e in wall.legend.entries()] == [("无数据", 4)]
    for lab in wall.canvas.labels():
        assert [t for t, *_ in lab.lines][1] == "无数据"
    assert all(fill(wall, c) == NO_DATA_COLOR for c in shown_codes(wall))


# -- indicator switcher ----------------------------------------------------------------------------------

def test_indicator_menu_lists_every_indicator_and_the_legend_follows(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    qtbot.mouseClick(wall.indicator_picker, Qt.MouseButton.LeftButton)
    menu = wall.indicator_menu
    assert menu.isVisible()
    assert set(menu.buttons()) == {"poverty_incidence", "poor_population", "housing_safe_rate", "relapse_rate"}
    assert menu.buttons()["poverty_incidence"].isChecked()
    assert menu.buttons()["housing_safe_rate"].height() >= 44  # touch-sized
    qtbot.mouseClick(menu.buttons()["housing_safe_rate"], Qt.MouseButton.LeftButton)
    assert not menu.isVisible()
    assert wall.state.map.indicator_key == "housing_safe_rate"
    assert wall.indicator_picker.text().startswith("指标：住房安全保障率")
    assert wall.legend.title.text() == "住房安全保障率（单位：%）"
    assert wall.legend.hint.text() == "▲ 数值越高越好"
    entries = wall.legend.entries()
    assert entries[0][0] == ramp(5, False)[-1] and entries[-2][0] == ramp(5, False)[0]  # low = red
    # 百泉镇 (96% safe housing) is redder than 麻尾镇 (100%): higher is better flips the ramp
    worse, better = town_code(0), town_code(1)
    ms = wall.state.map
    assert ms.class_of(worse) < ms.class_of(better) == ms.classification.k - 1
    assert fill(wall, worse) == class_colour(wall, worse) and fill(wall, better) == ramp(5, False)[0]
    redness = [QColor(fill(wall, c)).red() - QColor(fill(wall, c)).green() for c in (worse, better)]
    assert redness[0] > redness[1]


def test_escape_closes_the_menu_before_going_up(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    wall.indicator_picker.click()
    assert wall.indicator_menu.isVisible()
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert not wall.indicator_menu.isVisible() and wall.state.map.region_code == TOWN


# -- timeline and fixed class breaks -----------------------------------------------------------------

def test_year_slider_changes_the_year_requested_and_the_colours(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    slider = wall.timeline.slider
    assert slider.years == list(range(2014, 2021)) and slider.year == 2020
    colour_2020 = fill(wall, TOWN)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=slider.stop_pos(2016).toPoint())
    settle(qtbot, wall)
    assert ("region", COUNTY, 2016) in county_client.calls
    assert wall.state.map.year == 2016 and slider.year == 2016
    assert wall.header.year_label.text() == "2016 年度"
    colour_2016 = fill(wall, TOWN)  # 百泉镇: 4% in 2020, 16% in 2016
    assert colour_2020 == ramp(6, False)[1] and colour_2016 == ramp(6, False)[3]
    # the series was fetched once: a new year costs one region call, no map and no series again
    assert [c for c in county_client.calls if c[0] == "children_geojson"] == [("children_geojson", COUNTY, None)]
    assert [c for c in county_client.calls if c[0] == "children_series"] == [("children_series", COUNTY)]


def test_same_value_same_colour_in_two_years(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    wall.set_indicator("poor_population")  # natural breaks, computed once over every year
    wall.set_year(2014)
    settle(qtbot, wall)
    legend_2014 = [e[1] for e in wall.legend.entries()]
    a = fill(wall, town_code(1))  # 麻尾镇 2014: 2,400人
    wall.set_year(2015)
    settle(qtbot, wall)
    b = fill(wall, town_code(0))  # 百泉镇 2015: 2,400人
    assert wall.state.map.value_of(town_code(0)) == 2400
    assert a == b
    assert [e[1] for e in wall.legend.entries()] == legend_2014  # the classes themselves did not move
    assert "2014–2020 年统一色阶" in wall.legend.scheme.text()


def test_play_tours_the_years_from_red_to_green(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    wall.player.step_ms = 40
    seen, bins = [], set()

    def record():
        seen.append((wall.state.map.year, wall.canvas.region_colour(TOWN).name()))
        bins.add(wall.state.map.classification.bins)

    wall.dataApplied.connect(record)
    qtbot.mouseClick(wall.timeline.play_button, Qt.MouseButton.LeftButton)
    assert wall.player.playing and wall.timeline.play_button.text() == "❚❚ 暂停"
    qtbot.waitUntil(lambda: not wall.player.playing, timeout=15000)
    assert [y for y, _ in seen] == list(range(2014, 2021))  # from the start, every year, in order
    assert seen[0][1] == ramp(6, False)[4] and seen[-1][1] == ramp(6, False)[1]  # 28% → 4%
    assert len(bins) == 1  # breaks fixed while playing
    assert wall.timeline.play_button.text() == "▶ 播放"


def test_picking_a_year_stops_the_tour(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    wall.player.step_ms = 5000
    wall.player.play()
    settle(qtbot, wall)
    assert wall.player.playing and wall.state.map.year == 2014
    wall.timeline.slider.pick(2018)
    assert not wall.player.playing
    settle(qtbot, wall)
    assert wall.state.map.year == 2018


def test_an_open_village_follows_the_year(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    open_village(qtbot, wall, VILLAGE)
    with qtbot.waitSignal(wall.villageApplied, timeout=10000):
        wall.set_year(2016)
    settle(qtbot, wall)
    assert ("region", VILLAGE, 2016) in county_client.calls
    assert wall.village_panel.isVisible() and wall.breadcrumb.text() == "独山县 › 百泉镇 › 百泉1村"
    assert "2016 年度" in wall.village_panel.level_label.text()


# -- prefetch --------------------------------------------------------------------------------------------

class _PanelsClient(ApiDouble):
    """The side panels' own client, so the map's calls can be counted alone."""

    def handle_region(self, code, year=None):
        raise LookupError("not needed here")

    def handle_trend(self, code, indicator, from_year=None, to_year=None):
        return {"indicator": indicator, "points": []}


def test_a_prefetched_drill_needs_no_network(qtbot, make_wall, county_client):
    wall = make_wall(county_client, prefetch=True, panels_client=_PanelsClient())
    qtbot.waitUntil(lambda: not wall.worker.busy(), timeout=10000)
    n = len(county_client.calls)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        click_region(qtbot, wall, TOWN)
    assert wall.state.map.region_code == TOWN and wall.canvas.animating
    assert county_client.calls[n:] == []
    assert held() and not gc.isenabled()  # no collector pause until the frame showing the town is painted
    settle(qtbot, wall)
    assert not held()
    assert fill(wall, village_code(0, 0)) == class_colour(wall, village_code(0, 0))


def test_a_prefetched_village_panel_opens_on_the_click_without_a_request(qtbot, make_wall, county_client):
    """With a town on screen the wall fetches its villages' panels in the background: a click on a
    village opens its panel at once (no request, no busy note), masked households and all."""
    wall = make_wall(county_client, prefetch=True, panels_client=_PanelsClient())
    qtbot.waitUntil(lambda: not wall.worker.busy(), timeout=10000)
    drill(qtbot, wall, TOWN)
    year = wall.state.map.year
    qtbot.waitUntil(lambda: wall.village_prefetcher.get(VILLAGE, year) is not None, timeout=10000)
    qtbot.waitUntil(lambda: not wall.worker.busy(), timeout=10000)
    n = len(county_client.calls)
    click_region(qtbot, wall, VILLAGE)  # applied in the click's own turn: no signal to wait for
    assert wall.state.village.is_open and wall.state.village.code == VILLAGE
    assert wall.state.village.households and wall.state.village.households["items"]
    assert county_client.calls[n:] == []
    # another year is not the prefetched one: asked for, as before
    wall.close_village()
    wall.village_prefetcher.clock = lambda: time.monotonic() + PREFETCH_TTL + 1  # gone stale
    with qtbot.waitSignal(wall.villageApplied, timeout=5000):
        click_region(qtbot, wall, VILLAGE)
    assert any(c[0] == "households" for c in county_client.calls[n:])


def test_going_back_to_the_level_just_left_needs_no_network(qtbot, make_wall, county_client):
    """The level a drill leaves is kept like a prefetched one (fresh as of its own fetch): Esc shows it
    again without a request, and a kept level older than the prefetch's freshness is fetched anew."""
    wall = make_wall(county_client, prefetch=True, panels_client=_PanelsClient())
    qtbot.waitUntil(lambda: not wall.worker.busy(), timeout=10000)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        click_region(qtbot, wall, TOWN)
    settle(qtbot, wall)
    n = len(county_client.calls)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert wall.state.map.region_code == COUNTY and wall.breadcrumb.text() == "独山县"
    assert [c for c in county_client.calls[n:] if c[0] in ("region", "children_geojson")] == []
    settle(qtbot, wall)
    assert fill(wall, TOWN) == class_colour(wall, TOWN)
    # once the county has gone stale in the cache, going back asks the server again
    drill(qtbot, wall, TOWN)
    settle(qtbot, wall)
    wall.prefetcher.clock = lambda: time.monotonic() + PREFETCH_TTL + 1
    n = len(county_client.calls)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert any(c[0] == "region" and c[1] == COUNTY for c in county_client.calls[n:])


def test_idle_wall_returns_to_the_county(qtbot, make_wall, county_client):
    wall = drill(qtbot, make_wall(county_client), TOWN)
    open_village(qtbot, wall, VILLAGE)
    wall.set_idle_seconds(0.3)
    with qtbot.waitSignal(wall.dataApplied, timeout=5000):
        pass  # nobody touches it
    settle(qtbot, wall)
    assert wall.state.map.region_code == COUNTY and not wall.village_panel.isVisible()
    assert wall.breadcrumb.text() == "独山县"
