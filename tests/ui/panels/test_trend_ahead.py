"""Trend chart pictures: rendered once per content, kept, and painted ahead of a drill (issue 19)."""

import pytest

from sandbox.ui.panels.trend import TrendPanel
from tests.ui.panels.conftest import INCIDENCE

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def with_series(region: dict, code: str, scale: float) -> dict:
    """`region` as another region whose series is the demo's incidence times `scale`."""
    series = {str(y): {"poverty_incidence": round(v * scale, 2)} for y, v in INCIDENCE.items()}
    return dict(region, code=code, name=code, series=series)


@pytest.fixture
def panel(qtbot, fake_api):
    p = TrendPanel(fake_api, retry_seconds=600)
    qtbot.addWidget(p)
    p.resize(640, 420)
    p.show()
    qtbot.waitExposed(p)
    return p


def show(qtbot, panel, region) -> None:
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    settle(qtbot, panel)


def settle(qtbot, panel) -> None:
    """Let the posted layouts and repaints run (what a few frames of the wall would do)."""
    for _ in range(4):
        panel.grab()
        qtbot.wait(20)


def shown(panel):
    return panel.plot.grab().toImage()


def test_a_changed_chart_is_rendered_once_not_once_per_layout_pass(qtbot, panel, region):
    show(qtbot, panel, with_series(region, "522726000000", 1.0))
    renders = panel.plot.pixels.renders
    # a series a hundred times larger: the value axis widens for its labels (a layout pass after the paint)
    show(qtbot, panel, with_series(region, "522726101000", 100.0))
    assert panel.plot.pixels.renders == renders + 1


def test_a_chart_shown_before_is_a_blit_with_the_same_pixels(qtbot, panel, region):
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    first = shown(panel)
    show(qtbot, panel, town)
    assert shown(panel) != first
    renders = panel.plot.pixels.renders
    show(qtbot, panel, county)  # Esc back to the county
    assert panel.plot.pixels.renders == renders
    assert shown(panel) == first


def test_painted_ahead_is_what_the_drill_shows_and_nothing_changes_before(qtbot, panel, region):
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    before, title = shown(panel), panel.title
    assert panel.paint_ahead(town)
    settle(qtbot, panel)
    assert shown(panel) == before and panel.title == title and panel.message_text() == ""
    assert panel.points()[2] == (2016, 15.1)  # the county's curve is still the one drawn
    renders = panel.plot.pixels.renders
    show(qtbot, panel, town)  # the drill: its chart is a blit
    assert panel.plot.pixels.renders == renders
    ahead = shown(panel)
    assert ahead != before
    panel.plot.pixels.clear()  # drawn afresh: the same pixels
    assert shown(panel) == ahead


def test_the_kept_picture_is_the_plain_pyqtgraph_paint(qtbot, panel, region):
    show(qtbot, panel, with_series(region, "522726101000", 100.0))
    kept = shown(panel)
    plot = panel.plot
    cache, plot.pixels = plot.pixels, None  # pyqtgraph's own paintEvent, as before the cache
    try:
        settle(qtbot, panel)
        assert shown(panel) == kept
    finally:
        plot.pixels = cache


def test_nothing_is_painted_ahead_without_a_series_and_a_message_on_screen_stays(qtbot, panel, region):
    # a town prefetched before the county's trend is on screen: painted ahead, 等待区域数据… kept
    assert panel.paint_ahead(with_series(region, "522726101000", 100.0))
    assert panel.message_text() == "等待区域数据…" and panel.series is None
    show(qtbot, panel, with_series(region, "522726000000", 1.0))
    assert not panel.paint_ahead(dict(region, code="522726101000"))  # no series: nothing to draw from
    assert not panel.paint_ahead(dict(region, code="522726101000", series={"2015": {"poverty_incidence": "x"}}))
    assert panel.message_text() == ""


def test_a_chart_painted_ahead_is_blitted_in_the_drills_frame_before_its_scene_is_laid_out(
        qtbot, panel, region, monkeypatch):
    """Issue 19 (tenth round): the drill's frame laid the new chart's scene out (pyqtgraph's passes) before
    it found the picture painted ahead for it. The layout that picture was made at is kept: the frame is
    a blit of it, and the frames after it (the scene laid out) show the same picture."""
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    assert panel.paint_ahead(town)
    settle(qtbot, panel)
    plot = panel.plot
    settled = []
    real = type(plot).settle
    monkeypatch.setattr(type(plot), "settle", lambda self: settled.append(self) or real(self))
    renders = plot.pixels.renders
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(town)  # the drill
    first = shown(panel)  # its frame: no event-loop turn in between
    assert settled == [] and plot.pixels.renders == renders
    settle(qtbot, panel)  # the posted layouts run, then the next frames
    assert shown(panel) == first and plot.pixels.renders == renders
    plot.pixels.clear()  # drawn afresh: the same pixels
    assert shown(panel) == first


def test_the_chart_on_screen_after_a_paint_ahead_is_blitted_without_laying_its_scene_out(
        qtbot, panel, region, monkeypatch):
    """Painting a town ahead draws its chart into the scene and puts the county's back: the next frame (a
    drill's: its town's trend comes a moment later) shows the county's kept picture, without pyqtgraph's
    layout passes first, and the same pixels."""
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    before = shown(panel)
    plot = panel.plot
    settled = []
    real = type(plot).settle
    monkeypatch.setattr(type(plot), "settle", lambda self: settled.append(self) or real(self))
    assert panel.paint_ahead(town)
    qtbot.wait(20)
    plot.invalidate()  # what the scene's report of the paint ahead's changes does, when no frame came between
    settled.clear()
    assert shown(panel) == before and settled == []


# -- the trend in a drill's first frame is the new level's, or nothing stale ----------------------------

def test_a_prefetched_drills_first_frame_shows_the_towns_chart_painted_ahead(qtbot, panel, region):
    """The town's trend comes from the panel's worker after the drill's frame: that frame showed the
    county's chart beside the town's map. Now it blits the town's chart painted ahead (no render), and the
    chart the answer draws after it is the same picture."""
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    before = shown(panel)
    assert panel.paint_ahead(town)
    settle(qtbot, panel)
    renders = panel.plot.pixels.renders
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(town)  # the drill
        first = shown(panel)  # its frame, before the worker's answer
    assert first != before and panel.message_text() == "" and not panel.plot.dimmed
    assert panel.plot.pixels.renders == renders  # a blit
    settle(qtbot, panel)
    assert shown(panel) == first and panel.plot.pixels.renders == renders and not panel.plot.showing_ahead


def test_a_resize_before_the_answer_veils_the_old_chart_rather_than_show_it(qtbot, panel, region):
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    assert panel.paint_ahead(town)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(town)
        assert panel.plot.showing_ahead
        panel.resize(600, 400)  # no picture of the town at this size
        shown(panel)
        assert not panel.plot.showing_ahead and panel.plot.dimmed and panel.message_text() == "正在加载趋势数据…"
    settle(qtbot, panel)
    assert not panel.plot.dimmed and panel.message_text() == "" and panel.points()[2] == (2016, 1510.0)


def test_a_not_prefetched_drills_first_frame_shows_the_towns_chart_drawn_from_its_series(qtbot, panel, region):
    """The town's trend came from the panel's worker a frame or two after the drill's frame, the county's
    chart dimmed under 正在加载趋势数据… meanwhile: on a wall, a flash. The region brings its series: the
    town's chart is drawn in the drill's own frame, and nothing changes after it."""
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    before = shown(panel)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(town)  # nothing painted ahead
        first = shown(panel)  # its frame, no event-loop turn in between
        assert panel.message_text() == "" and not panel.plot.dimmed and panel.points()[2] == (2016, 1510.0)
    assert first != before
    settle(qtbot, panel)
    assert shown(panel) == first and panel.message_text() == "" and not panel.plot.dimmed
    panel.plot.pixels.clear()  # drawn afresh: the same pixels
    assert shown(panel) == first


def test_a_series_that_cannot_be_drawn_says_so_in_chinese_in_the_drills_frame(qtbot, panel, region, caplog):
    """Drawn in the frame (not on the worker), bad data from the API is still a Chinese message and a warning in
    the log, as the worker says it: never a traceback, never the county's chart left looking current."""
    show(qtbot, panel, with_series(region, "522726000000", 1.0))
    bad = dict(region, code="522726101000", series={"二〇一六": {"poverty_incidence": 1.0}})
    with qtbot.waitSignal(panel.trendFailed, timeout=5000):
        panel.update_region(bad)
    assert panel.message_text().startswith("趋势数据加载失败：中心数据接口返回的数据不完整，无法绘制")
    assert panel.points() == [] and not panel.plot.dimmed
    assert any(r.levelname == "WARNING" and "bad series year" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)

def test_a_region_without_its_series_dims_the_old_chart_until_its_trend_arrives(qtbot, panel, fake_api, region):
    """An API whose regions do not carry their series: the trend is a request on the worker; meanwhile the
    old chart is veiled under 正在加载趋势数据…, never shown as if current."""
    fake_api.trend_payload = {"code": "522726101000", "indicator": "poverty_incidence", "as_of": None,
                              "points": [{"year": y, "value": 50.0 - y + 2014} for y in range(2014, 2021)]}
    show(qtbot, panel, with_series(region, "522726000000", 1.0))
    before = shown(panel)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(dict(region, code="522726101000"))  # no series
        first = shown(panel)
        assert panel.message_text() == "正在加载趋势数据…" and panel.plot.dimmed
    assert first != before
    settle(qtbot, panel)
    assert panel.message_text() == "" and not panel.plot.dimmed and panel.points()[0] == (2014, 50.0)
    assert shown(panel) not in (before, first)


def test_esc_back_shows_the_countys_kept_chart_in_its_first_frame(qtbot, panel, region):
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    county_chart = shown(panel)
    show(qtbot, panel, town)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(county)  # Esc: the county's chart was shown before
        assert shown(panel) == county_chart and panel.message_text() == ""
    settle(qtbot, panel)
    assert shown(panel) == county_chart


def test_a_chart_painted_ahead_for_another_year_is_not_shown_for_this_one(qtbot, panel, region):
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    show(qtbot, panel, county)
    assert panel.paint_ahead(town)  # in 2016
    county_2018 = dict(county, year=2018)
    panel.update_region(county_2018)  # a year change at the county: the same trend, the highlight moves
    assert panel.message_text() == "" and panel.year == 2018
    settle(qtbot, panel)
    renders = panel.plot.pixels.renders
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(dict(town, year=2018))
        drawn = shown(panel)  # drawn now from its series, 2018 highlighted: not the 2016 picture
        assert panel.message_text() == "" and not panel.plot.showing_ahead
    assert panel.plot.pixels.renders == renders + 1
    assert panel.year == 2018 and panel.year_text.toPlainText() == "2018年 529.0%"
    settle(qtbot, panel)
    assert shown(panel) == drawn
    panel.plot.pixels.clear()
    assert shown(panel) == drawn and panel.year == 2018 and panel.message_text() == ""


def test_a_picture_taken_ahead_never_reaches_the_screen_before_the_scene_is_back(qtbot):
    """CachedPlotWidget.picture() of another content (a paint ahead) made that picture the one on screen
    until the scene reported its change: a paint in between (an expose, the clock's repaint) blitted the
    town's chart over the county's."""
    import pyqtgraph as pg

    from sandbox.ui.panels.trend_plot import CachedPlotWidget

    content = {"now": "county"}
    plot = CachedPlotWidget(background="#0b1a31", content_key=lambda: content["now"])
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    qtbot.waitExposed(plot)
    curve = pg.PlotDataItem([1, 2, 3], [1, 2, 3])
    plot.getPlotItem().addItem(curve)
    plot.getPlotItem().setRange(xRange=(0, 4), yRange=(0, 40), padding=0)
    for _ in range(3):
        plot.grab()
        qtbot.wait(20)
    county = plot.grab().toImage()
    content["now"] = "town"
    curve.setData([1, 2, 3], [30, 20, 10])
    town = plot.picture()
    content["now"] = "county"
    curve.setData([1, 2, 3], [1, 2, 3])  # put back; the scene reports it at the next event-loop turn
    assert town != county
    assert plot.grab().toImage() == county
