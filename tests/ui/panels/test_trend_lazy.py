"""The trend panel is built after the first data is on screen: paint-ahead asked for before it counts."""

import pytest

from sandbox.ui.panels.column import PanelsColumn
from tests.ui.panels.test_trend_ahead import with_series

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def _settle(qtbot, w) -> None:
    for _ in range(6):  # the panel's layout, its queued paints (one per turn), then the frames after them
        w.grab()
        qtbot.wait(20)


def test_a_paint_ahead_asked_before_the_trend_panel_is_built_makes_the_drill_a_blit(qtbot, fake_api, region):
    """Paint-ahead requests made before the lazily built trend panel existed were dropped: the first drills
    after a start drew their chart in their frame. They are kept and painted once the panel is laid out."""
    col = PanelsColumn(fake_api, lazy_trend=True)
    qtbot.addWidget(col)
    col.resize(520, 1000)
    col.show()
    qtbot.waitExposed(col)
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    col.update_region(county)
    col.paint_ahead(town)  # a prefetched town, before the trend panel exists
    assert not col.trend_ready
    trend = col.ensure_trend()
    town_2 = with_series(region, "522726102000", 50.0)
    col.paint_ahead(town_2)  # built, not yet laid out: the same turn
    qtbot.waitUntil(lambda: not trend._ahead_queue, timeout=10000)  # painted one by one, after the start's work
    _settle(qtbot, col)
    assert trend.region_code == "522726000000" and trend.message_text() == ""
    renders = trend.plot.pixels.renders
    col.update_region(town)  # the drill
    first = trend.plot.grab().toImage()  # its frame
    assert trend.plot.pixels.renders == renders  # a blit of the chart painted ahead
    assert trend.message_text() == "" and not trend.plot.dimmed
    _settle(qtbot, col)
    assert trend.points()[2] == (2016, 1510.0) and trend.plot.grab().toImage() == first
    assert trend.plot.pixels.renders == renders
    col.update_region(town_2)  # another town painted ahead while the panel was not yet laid out
    trend.plot.grab()
    assert trend.plot.pixels.renders == renders and trend.message_text() == ""


def test_paint_ahead_before_the_panel_keeps_only_the_last_few_levels(qtbot, fake_api, region):
    col = PanelsColumn(fake_api, lazy_trend=True)
    qtbot.addWidget(col)
    for k in range(30):
        col.paint_ahead(with_series(region, f"5227261{k:02d}000", 1.0 + k))
    col.paint_ahead(with_series(region, "522726101000", 2.0))  # asked again: once, as the newest
    queued = [r["code"] for r in col._ahead]
    assert len(queued) <= 8 and queued[-1] == "522726101000" and len(set(queued)) == len(queued)
