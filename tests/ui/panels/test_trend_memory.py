"""Trend panel over a day of year changes: the year dot adds no picture to pyqtgraph's symbol atlas per change."""

import pytest

from sandbox.ui.panels.trend import TrendPanel

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def test_moving_the_year_all_day_keeps_one_dot_picture(qtbot, fake_api, region):
    # pyqtgraph's SymbolAtlas keys a symbol's picture on the id of its pen and brush objects: a fresh
    # mkPen/mkBrush per highlight added a picture (≈ 2-3 kB with its pixmap) at every year change, up to
    # 1,000 of them before pyqtgraph rebuilds the atlas (issue 20, twelfth round of the soak).
    panel = TrendPanel(fake_api, retry_seconds=600)
    qtbot.addWidget(panel)
    panel.resize(480, 320)
    panel.show()
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    for i in range(120):
        panel.set_year(2014 + i % 7)
    panel.plot.grab()
    assert panel.year_dot.isVisible() and len(panel.year_dot.data) == 1  # the dot is still drawn
    assert len(panel.year_dot.fragmentAtlas) <= 2, len(panel.year_dot.fragmentAtlas)


def test_the_dot_follows_new_metrics(qtbot, fake_api, region):
    from sandbox.ui.theme import metrics_for_height

    panel = TrendPanel(fake_api, retry_seconds=600)
    qtbot.addWidget(panel)
    panel.resize(480, 320)
    panel.show()
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    small = panel.year_dot.opts["pen"].widthF()
    panel.set_metrics(metrics_for_height(2160))
    panel.set_year(2017)
    assert panel.year_dot.opts["pen"].widthF() > small  # the 4K pen, not the one made for the first metrics
    assert panel.year_dot.opts["size"] == panel.metrics.px(17)
