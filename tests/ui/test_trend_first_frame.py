"""The 趋势 panel in a drill's first frame: the new level's trend, or nothing that looks current."""

import pytest
from PySide6.QtCore import Qt

from tests.api_double import ApiDouble

from .conftest import COUNTY, YEARS, FakeCounty, shown_wall, town_code

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

TOWN = town_code(0)
LOADING = "正在加载趋势数据…"


class _SeriesCounty(FakeCounty):
    """The fake county whose regions carry their every year's figures (`series`), as the API's do."""

    def handle_region(self, code, year=None):
        r = super().handle_region(code, year)
        scale = 1.0 if r["level"] == "county" else 4.0 + int(code[6:9]) - 101
        r["series"] = {str(y): {"poverty_incidence": round(scale * (2021 - y), 2)} for y in YEARS}
        return r


class _PanelsClient(ApiDouble):
    """The panels' own client: no request is needed (the region brings its series); no forecast."""


@pytest.fixture
def wall(qtbot, request):
    w = shown_wall(qtbot, _SeriesCounty(), region=COUNTY, panels_client=_PanelsClient(), preload=False,
                   layers=False, prefetch=request.param)
    settled(qtbot, w)
    return w


def settled(qtbot, w):
    qtbot.waitUntil(lambda: w.state.has_data and not w.state.loading and not w.canvas.animating
                    and w.panels.trend_ready and not w.panels.trend.busy and w.panels.trend.series is not None
                    and not w.preparing and not w.worker.busy(), timeout=20000)
    for _ in range(3):  # the chart's posted layouts, then the frames after them
        w.grab()
        qtbot.wait(20)


def chart(w):
    return w.panels.trend.plot.grab().toImage()


def click(qtbot, w, code):
    with qtbot.waitSignal(w.dataApplied, timeout=10000):
        qtbot.mouseClick(w.canvas, Qt.MouseButton.LeftButton, pos=w.canvas.region_center(code).toPoint())


@pytest.mark.parametrize("wall", [True], indirect=True)
def test_a_prefetched_drills_first_frame_shows_the_towns_trend(qtbot, wall):
    trend = wall.panels.trend
    county = chart(wall)
    assert trend.region_code == COUNTY
    click(qtbot, wall, TOWN)
    wall.grab()  # the drill's first frame, before any event-loop turn: the town's trend comes after it
    first = chart(wall)
    assert first != county and trend.message_text() == ""
    settled(qtbot, wall)
    assert trend.region_code == TOWN and trend.points()[0] == (2014, 28.0)
    assert chart(wall) == first  # what the worker's answer drew is the picture the first frame showed
    # Esc: the county's chart (shown before) in Esc's first frame
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    wall.grab()
    assert chart(wall) == county and trend.message_text() == ""
    settled(qtbot, wall)
    assert chart(wall) == county and trend.points()[0] == (2014, 7.0)


@pytest.mark.parametrize("wall", [False], indirect=True)
def test_a_not_prefetched_drills_first_frame_shows_the_towns_trend(qtbot, wall):
    """The region brings its series: the town's trend is drawn in the drill's own frame. It came from the
    panel's worker a frame or two later, the county's chart dimmed under 正在加载趋势数据… meanwhile (a flash)."""
    trend = wall.panels.trend
    county = chart(wall)
    click(qtbot, wall, TOWN)
    wall.grab()
    first = chart(wall)
    assert trend.message_text() == "" and not trend.plot.dimmed and first != county
    assert trend.region_code == TOWN and trend.points()[0] == (2014, 28.0)
    settled(qtbot, wall)
    assert trend.message_text() == "" and chart(wall) == first


@pytest.mark.parametrize("wall", [False], indirect=True)
def test_a_year_change_shows_the_trend_of_the_level_and_year_on_screen(qtbot, wall):
    trend = wall.panels.trend
    click(qtbot, wall, TOWN)
    settled(qtbot, wall)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.session.set_year(2017)
    wall.grab()
    assert wall.state.map.year == 2017 and trend.year == 2017 and trend.region_code == TOWN
    assert trend.year_text.toPlainText() == "2017年 16.0%" and trend.message_text() == ""
    settled(qtbot, wall)
    assert trend.year == 2017 and trend.region_code == TOWN and trend.points()[0] == (2014, 28.0)
