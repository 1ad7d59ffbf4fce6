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


def test_nothing_is_painted_ahead_over_a_message_or_without_a_series(qtbot, panel, region):
    assert not panel.paint_ahead(with_series(region, "522726101000", 100.0))  # 等待区域数据… on screen
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
