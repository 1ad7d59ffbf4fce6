"""The village panel's first frame made cheap (issue 19): the name's outlined glyphs, which its first
frame made, are made ahead while the town is on screen, and the panel paints exactly what it painted."""

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget

from sandbox.ui.paint_cache import glyph_cache_info
from sandbox.ui.state import MapState

from .conftest import town_code
from .test_render_cache import make_wall  # noqa: F401 - fixture
from .village_pages import households_page

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

# A name big enough to be drawn as outlines (as on a 4K wall), in characters no other test draws.
BIG_NAME = "QLabel#villageName { font-size: 80px; font-weight: bold; color: #ffffff; }"


def _panel(qtbot):
    from sandbox.ui.village import VillageState
    from sandbox.ui.village_panel import VillagePanel

    village = VillageState()
    panel = VillagePanel(village, MapState("poverty_incidence"))
    qtbot.addWidget(panel)
    panel.setStyleSheet(BIG_NAME)
    panel.resize(1200, 900)
    panel.show()
    return village, panel


def _frame(widget: QWidget) -> QImage:
    QApplication.processEvents()  # laid out as a frame on screen is (the new name's label at its width)
    img = QImage(widget.size(), QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(QColor("#0b1f3a"))
    widget.render(img)
    return img


def test_the_towns_village_names_painted_ahead_leave_no_glyph_to_make_in_a_panels_first_frame(qtbot):
    village, panel = _panel(qtbot)
    village.show({"code": "522726101201", "name": "甲村", "year": 2020}, households_page())
    _frame(panel)
    panel.paint_names_ahead(["鸓鸔鸖村", "甲村", "鸓鸔鸖村"])
    assert panel.preparing  # (the bench waits for it before a prefetched village's click)
    qtbot.waitUntil(lambda: not panel.preparing, timeout=5000)
    misses = glyph_cache_info()["misses"]
    village.show({"code": "522726101202", "name": "鸓鸔鸖村", "year": 2020}, households_page())
    first = _frame(panel)
    assert glyph_cache_info()["misses"] == misses  # nothing stroked in the first frame
    assert _frame(panel) == first  # ... which is the settled one
    # a name not painted ahead still has its glyphs made in its first frame (what the warm-up saves)
    village.show({"code": "522726101203", "name": "鹖鹙鹛村", "year": 2020}, households_page())
    _frame(panel)
    assert glyph_cache_info()["misses"] > misses


def test_a_panel_whose_names_were_painted_ahead_looks_as_one_whose_were_not(qtbot):
    seen = []
    for ahead in (False, True):
        village, panel = _panel(qtbot)
        if ahead:
            panel.paint_names_ahead(["鹚鹛鹜村"])
            qtbot.waitUntil(lambda: not panel.preparing, timeout=5000)
        village.show({"code": "522726101204", "name": "鹚鹛鹜村", "year": 2020}, households_page())
        seen.append(_frame(panel))
    assert seen[0] == seen[1]


def test_the_tiles_show_the_indicators_names_and_the_villages_figures(qtbot):
    village, panel = _panel(qtbot)
    village.show({"code": "522726101201", "name": "甲村", "year": 2020,
                  "indicators": {"poverty_incidence": 3.12, "cadres": 4}}, households_page())
    names = {k: label.text() for k, label in panel._tile_names.items()}
    assert names["poverty_incidence"] == "贫困发生率" and len(names) == 12
    assert panel._tile_values["poverty_incidence"].text() == "3.1%"
    assert panel._tile_values["satisfaction_rate"].text() == "无数据"  # not given: said so
    assert _frame(panel) == _frame(panel)


def test_the_pager_painted_from_kept_pictures_follows_the_page(qtbot):
    """A panel turned to page 2 paints what a panel opened on page 2 paints (◀ enabled, ▶ disabled)."""
    def page(n: int) -> dict:
        return dict(households_page(n=50), total=60, page=n)

    village, panel = _panel(qtbot)
    village.show({"code": "522726101201", "name": "甲村", "year": 2020}, page(1))
    _frame(panel)
    assert panel.next_button.isEnabled() and not panel.prev_button.isEnabled()
    village.show(None, page(2))
    turned = _frame(panel)
    assert panel.prev_button.isEnabled() and not panel.next_button.isEnabled()
    other, fresh = _panel(qtbot)
    other.show({"code": "522726101201", "name": "甲村", "year": 2020}, page(2))
    assert _frame(fresh) == turned


def test_painting_the_names_ahead_leaves_the_walls_layout_alone(qtbot, make_wall, county_client):  # noqa: F811
    """The names are drawn with the hidden panel's font, not by rendering a hidden label: Qt lays a window
    out as if a rendered widget's hidden ancestors were shown, which left the map at the narrower width a
    village panel leaves it (every county → town drill then repainted the map at another size)."""
    wall = make_wall(county_client)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.drill(town_code(0))
    qtbot.waitUntil(lambda: not wall.preparing, timeout=15000)
    QApplication.processEvents()
    width = wall.canvas.width()
    panel = wall.village_panel

    class Resizes(QObject):
        def __init__(self):
            super().__init__()
            self.sizes = []

        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Resize:
                self.sizes.append(event.size().width())
            return False

    resizes = Resizes()
    wall.canvas.installEventFilter(resizes)
    panel.setStyleSheet(BIG_NAME)  # drawn as outlines, as on a 4K wall
    panel.paint_names_ahead(f.name for f in wall.state.map.region_map.features)
    assert panel.preparing
    qtbot.waitUntil(lambda: not panel.preparing, timeout=5000)
    QApplication.processEvents()
    assert resizes.sizes == []  # the map was never laid out anew, not even for a moment
    assert wall.canvas.width() == width and not panel.isVisible() and wall.panels.isVisible()
