"""The panels at 1080p and 4K sizes: every painted or label text fits its box, nothing is clipped or elided."""

import pytest
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QFontMetricsF, QImage
from PySide6.QtWidgets import QLabel, QWidget

from sandbox.client.api import ApiUnavailable
from sandbox.ui.panels.column import PanelsColumn
from sandbox.ui.panels.kpi import KpiStrip
from sandbox.ui.panels.paint import PanelColors
from sandbox.ui.theme import metrics_for_height

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

COLUMN_SIZES = [((480, 1000), 1080), ((960, 2000), 2160), ((460, 816), 1080), ((300, 1000), 1080)]
STRIP_SIZES = [(1888, 1080), (3776, 2160), (1400, 1080)]


def sparse(region):
    """A village with no poor left and several figures missing."""
    r = dict(region, code="522726100201", name="兰堡村", level="village")
    r["indicators"] = dict(region["indicators"], poor_population=0, poverty_incidence=0.0,
                           fund_arrival_rate=None, satisfaction_rate=None, poor_villages=0, exited_poor_villages=0)
    r["breakdowns"] = {"status": {"exited": {"households": 70, "population": 249}}}
    return r


def texts_of(root: QWidget):
    for w in [root] + root.findChildren(QWidget):
        if hasattr(w, "text_items") and w.isVisibleTo(root):
            for item in w.text_items():
                yield w, item


def assert_nothing_clipped(root: QWidget) -> int:
    n = 0
    for w, item in texts_of(root):
        n += 1
        fm = QFontMetricsF(item.font)
        where = f"{type(w).__name__}:{item.name} {item.text!r}"
        assert fm.horizontalAdvance(item.text) <= item.rect.width() + 0.5, where
        assert fm.height() <= item.rect.height() + 0.5, where
        assert QRectF(w.rect()).adjusted(-0.5, -0.5, 0.5, 0.5).contains(item.rect), (where, item.rect, w.rect())
        # and the widget itself is wholly inside the root (not cut off by the window edge)
        top_left = w.mapTo(root, w.rect().topLeft())
        assert root.rect().contains(QRect(top_left, w.size())), (where, top_left, w.size(), root.size())
        assert item.font.pixelSize() >= 9, where  # shrunk to fit, but still legible
    for label in root.findChildren(QLabel):
        if label.isVisibleTo(root) and label.text():
            assert label.heightForWidth(label.width()) <= label.height(), label.text()
    return n


@pytest.mark.parametrize("size, height", COLUMN_SIZES)
@pytest.mark.parametrize("variant", ["full", "sparse"])
def test_column_renders_without_clipping(qtbot, fake_api, region, size, height, variant):
    col = PanelsColumn(fake_api, retry_seconds=600)
    qtbot.addWidget(col)
    col.set_metrics(metrics_for_height(height))
    col.resize(*size)
    col.show()
    with qtbot.waitSignal(col.trend.trendChanged, timeout=5000):
        col.update_region(region if variant == "full" else sparse(region))
    img: QImage = col.grab().toImage()
    assert (img.width(), img.height()) == size
    assert col.minimumSizeHint().height() <= size[1]
    for p in col.panels:
        assert col.rect().contains(p.geometry()), (type(p).__name__, p.geometry())
    n = assert_nothing_clipped(col)
    assert n >= (40 if variant == "full" else 12)
    # the value axis title fits the plot's height, the year ticks fit between each other
    plot = col.trend.plot
    axis_font = QFontMetricsF(plot.getPlotItem().getAxis("left").label.font())
    assert axis_font.horizontalAdvance(col.trend.left_axis_text()) <= plot.height()
    tick_fm = QFontMetricsF(plot.getPlotItem().getAxis("bottom").style["tickFont"])
    labelled = plot.getPlotItem().getAxis("bottom")._tickLevels[0]
    assert [t[1] for t in labelled][0] == "2014"
    spacing = plot.getPlotItem().getViewBox().width() / 7 * col.trend.year_tick_step
    assert tick_fm.horizontalAdvance("2020") < spacing
    # something of the theme was actually painted
    assert QColor(img.pixel(2, img.height() // 2)) != QColor(0, 0, 0)
    col.shutdown()


@pytest.mark.parametrize("size, height", COLUMN_SIZES[:2])
def test_error_message_fits(qtbot, fake_api, region, size, height):
    fake_api.fail = ApiUnavailable("down")
    col = PanelsColumn(fake_api, retry_seconds=600)
    qtbot.addWidget(col)
    col.set_metrics(metrics_for_height(height))
    col.resize(*size)
    col.show()
    with qtbot.waitSignal(col.trend.trendFailed, timeout=5000):
        col.update_region(region)
    qtbot.wait(10)
    assert "无法连接中心数据接口" in col.trend.message_text()
    assert_nothing_clipped(col)
    msg = col.trend._body.message
    assert QRect(0, 0, msg.parentWidget().width(), msg.parentWidget().height()).contains(msg.geometry())
    col.shutdown()


@pytest.mark.parametrize("width, height", STRIP_SIZES)
@pytest.mark.parametrize("variant", ["full", "sparse"])
def test_strip_renders_without_clipping(qtbot, region, width, height, variant):
    strip = KpiStrip(animate=False)
    qtbot.addWidget(strip)
    m = metrics_for_height(height)
    strip.set_metrics(m)
    strip.resize(width, strip.height())
    strip.show()
    strip.update_region(region if variant == "full" else sparse(region))
    img = strip.grab().toImage()
    assert img.width() == width and img.height() == strip.height()
    n = assert_nothing_clipped(strip)
    assert n >= 8 * 3
    # the big numbers stay big at full width (not shrunk for nothing)
    if width >= 1800 and variant == "full":
        number = next(t for t in strip.card("poor_population").text_items() if t.name == "number")
        assert number.font.pixelSize() == m.px(44)
        assert number.color == PanelColors.accent
