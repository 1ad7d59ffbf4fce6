"""The frame a drill's click shows while its data is on the way (issue 19): the level about to go is
painted from its cached pixels, its layers' 4K picture is not rendered again for it."""

import pytest
from PySide6.QtCore import QEvent, QObject, QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from sandbox.ui.layers.base import Overlay
from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.state import IndicatorInfo, MapState, RegionMap

from .conftest import COUNTY

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


class Marks(Overlay):
    """A layer that counts how often its static pixels are painted."""

    name = "marks"

    def __init__(self, region: str):
        super().__init__()
        self.region, self.painted, self.laid_out = region, 0, 0

    def layout(self, view) -> None:
        self.laid_out += 1

    def paint_static(self, p, view) -> None:
        self.painted += 1
        p.fillRect(QRectF(view.width / 2 - 5, view.height / 2 - 5, 10, 10), QColor("#ff00ff"))


@pytest.fixture
def canvas(qtbot, squares_fc, indicators_payload):
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    st.show(COUNTY, 2016, RegionMap.from_geojson(squares_fc))
    w = MapCanvas(st)
    w.animate = False
    qtbot.addWidget(w)
    w.add_overlay(Marks(COUNTY))
    w.resize(900, 600)
    w.show()
    qtbot.waitExposed(w)
    w.grab()
    return w


def _magenta(canvas: MapCanvas) -> bool:
    img = canvas.grab().toImage()
    return img.pixelColor(450, 300) == QColor("#ff00ff")


def test_a_click_whose_data_is_on_its_way_does_not_render_the_leaving_levels_layers(canvas):
    marks = canvas.overlays[0]
    assert marks.painted == 1 and _magenta(canvas)
    marks.changed()  # the layers' data came after the last frame (as at the end of a drill's animation)
    canvas.set_busy("正在载入 甲镇…")  # a click: the town's data is on its way
    composites = canvas.overlay_stats["composite"]
    assert not _magenta(canvas)  # the level from its cached pixels, without the layers
    assert marks.painted == 1 and canvas.overlay_stats["composite"] == composites
    canvas.set_busy(None)  # the drill failed or was answered: the layers are rendered again
    assert _magenta(canvas) and marks.painted == 2


def test_a_slow_answer_keeps_the_layers_on_screen_with_the_loading_pill(canvas):
    marks = canvas.overlays[0]
    marks.changed()
    canvas.set_busy("正在载入 甲镇…")
    canvas.grab()
    canvas._show_busy()  # the wait is long enough to say so
    assert _magenta(canvas) and marks.painted == 2


def test_a_rendered_level_keeps_its_layers_while_a_drill_loads(canvas):
    canvas.set_busy("正在载入 甲镇…")  # nothing changed since the last frame: its picture is blitted
    assert _magenta(canvas) and canvas.overlays[0].painted == 1


class Paints(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self, widget):
        super().__init__()
        self.widget, self.n = widget, 0

    def eventFilter(self, watched, event):  # noqa: N802 - Qt API
        if watched is self.widget and event.type() == QEvent.Type.Paint:
            self.n += 1
        return False


def test_a_request_going_out_and_its_answer_repaint_nothing_while_the_pill_is_not_due(qtbot, canvas):
    """No pixel changes when a click's request goes out (the pill waits for a slow answer) or when it is
    answered before the pill showed: the map is not painted again for either (issue 19)."""
    paints = Paints(canvas)
    canvas.installEventFilter(paints)
    canvas.update()  # a frame that is due anyway (shows the filter counts)
    qtbot.waitUntil(lambda: paints.n == 1, timeout=5000)
    canvas.set_busy("正在载入 甲镇…")
    QApplication.processEvents()
    canvas.set_busy(None)
    QApplication.processEvents()
    assert paints.n == 1
    canvas.removeEventFilter(paints)


def test_layers_that_change_while_a_drill_loads_wait_for_its_end(qtbot, canvas):
    """The level about to go is neither laid out nor painted again for its layers' new data while the
    click's request is out; when the wait ends without a new level (a failure), they are."""
    marks, paints = canvas.overlays[0], Paints(canvas)
    canvas.installEventFilter(paints)
    laid = marks.laid_out
    canvas.set_busy("正在载入 甲镇…")
    marks.changed()  # the level's layers arrive while the town's data is on its way
    QApplication.processEvents()
    assert paints.n == 0 and marks.laid_out == laid and marks.painted == 1
    canvas.set_busy(None)  # the drill failed: this level stays, with its layers
    qtbot.waitUntil(lambda: paints.n >= 1, timeout=5000)
    assert _magenta(canvas) and marks.painted == 2 and marks.laid_out == laid + 1
    canvas.removeEventFilter(paints)
