"""The map beside a village panel rendered ahead of the click (issue 19): opening a village's panel
narrows the map to pictures that already exist, and closing it goes back to the ones it left."""

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from sandbox.ui.layers.base import Overlay
from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.state import MapState, RegionMap

from .conftest import COUNTY, town_code, village_code
from .test_render_cache import make_wall  # noqa: F401 - fixture
from .test_session import TOWN, VILLAGE, _at_county, _result, session  # noqa: F401 - fixture
from .village_pages import households_page

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


class Marks(Overlay):
    """A layer over the map that counts how often its static pixels are painted."""

    name = "marks"

    def __init__(self, region: str):
        super().__init__()
        self.region, self.painted = region, 0
        self.layouts: list[tuple[int, int]] = []  # the sizes laid out for, in order
        self.box = QRectF()

    def layout(self, view) -> None:
        self.layouts.append((view.width, view.height))
        self.box = QRectF(view.width / 2 - 5, view.height / 2 - 5, 10, 10)

    def paint_static(self, p, view) -> None:
        self.painted += 1
        p.fillRect(self.box, QColor("#ff00ff"))


def _canvas(qtbot, map_state, size, overlay: bool = False) -> MapCanvas:
    w = MapCanvas(map_state)
    w.animate = False
    qtbot.addWidget(w)
    if overlay:
        w.add_overlay(Marks(COUNTY))
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.grab()
    return w


@pytest.mark.parametrize("overlay", [False, True], ids=["map", "map with a layer"])
def test_a_resize_to_the_size_kept_ready_renders_nothing_anew_and_looks_as_if_made_there(qtbot, map_state, overlay):
    canvas = _canvas(qtbot, map_state, (900, 600), overlay)
    canvas.keep_ready((560, 600))
    qtbot.waitUntil(lambda: not canvas.readying, timeout=5000)
    assert canvas.cache_stats["ready"] == 1
    counts = (canvas.cache_stats["static"], canvas.cache_stats["background"], canvas.overlay_stats["composite"],
              canvas.overlay_stats["overlay"])
    painted = canvas.overlays[0].painted if overlay else 0
    canvas.resize(560, 600)
    narrow = canvas.grab().toImage()
    assert (canvas.cache_stats["static"], canvas.cache_stats["background"], canvas.overlay_stats["composite"],
            canvas.overlay_stats["overlay"]) == counts  # blitted what was rendered ahead
    assert canvas._layer.renders == 1  # its base too
    if overlay:
        marks = canvas.overlays[0]
        assert marks.painted == painted
        # laid out once for each size, ahead for the narrow one: the resize hands that layout over
        assert marks.layouts == [(900, 600), (560, 600)] and marks.box.center().x() == 280
        canvas.resize(900, 600)  # and the frame's own was put back after rendering ahead (not made again)
        canvas.grab()
        assert marks.layouts[:2] == [(900, 600), (560, 600)]
    fresh = _canvas(qtbot, map_state, (560, 600), overlay)  # the same level made at that size from scratch
    assert narrow == fresh.grab().toImage()


def test_going_back_to_the_size_left_blits_the_pictures_it_had(qtbot, map_state):
    canvas = _canvas(qtbot, map_state, (900, 600))
    wide = canvas.grab().toImage()
    canvas.resize(560, 600)
    canvas.grab()
    statics = canvas.cache_stats["static"]
    canvas.resize(900, 600)
    assert canvas.grab().toImage() == wide and canvas.cache_stats["static"] == statics


def test_pictures_kept_ready_follow_the_data_and_go_with_the_level(qtbot, map_state, squares_fc):
    canvas = _canvas(qtbot, map_state, (900, 600))
    canvas.keep_ready((560, 600))
    qtbot.waitUntil(lambda: not canvas.readying, timeout=5000)
    map_state.indicator_key = "housing_safe_rate"  # other colours: rendered ahead again
    assert canvas.readying
    qtbot.waitUntil(lambda: not canvas.readying, timeout=5000)
    assert canvas.cache_stats["ready"] == 2
    canvas.resize(560, 600)
    img = canvas.grab().toImage()
    code = "522726104000"
    assert QColor(img.pixel(canvas.region_center(code).toPoint())) == canvas.region_colour(code)
    map_state.show(COUNTY, 2017, RegionMap.from_geojson(squares_fc))  # another level or year: not kept ready
    assert not canvas.readying and canvas._ready_size is None
    assert canvas._ready  # the same level's pictures stay (a year later its map is the same size)
    kept = canvas.kept_bytes()
    map_state.show("522726101000", 2017, RegionMap.from_geojson(squares_fc))  # another level: they go
    assert not canvas._ready and canvas.kept_bytes() < kept


def test_a_town_on_screen_asks_for_its_map_beside_a_village_panel_after_its_frame(session):
    s = session
    asked = []
    s.events.prepare_village.connect(asked.append)
    _at_county(s)
    s.frames.pop()()
    assert asked == []  # the county's children are towns: no village panel opens from it
    s.drill(TOWN["code"])
    s.loader.loaded.emit(_result(TOWN, VILLAGE))
    assert asked == []  # the frame comes first
    s.frames.pop()()
    assert asked == [TOWN["code"]]


def test_opening_a_village_narrows_the_map_to_pictures_made_ahead(qtbot, make_wall, county_client):  # noqa: F811
    wall = make_wall(county_client)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.drill(town_code(0))
    qtbot.waitUntil(lambda: not wall.canvas.animating and not wall.preparing, timeout=10000)
    canvas = wall.canvas
    wall.grab()  # the town's own frame, as the screen shows it once its animation ended
    ready, wide = canvas._ready_size, (canvas.width(), canvas.height())
    assert ready is not None and ready[0] < wide[0]
    statics, layers = canvas.cache_stats["static"], len(canvas._layers)
    with qtbot.waitSignal(wall.villageApplied, timeout=10000):
        wall.open_village(village_code(0, 1))
    img = wall.grab().toImage()
    assert (canvas.width(), canvas.height()) == ready  # the size rendered ahead is the size it got
    assert canvas.cache_stats["static"] == statics
    centre = canvas.mapTo(wall, canvas.region_center(village_code(0, 2)).toPoint())
    assert QColor(img.pixel(centre)) == canvas.region_colour(village_code(0, 2))
    wall.close_village()
    wall.grab()
    assert (canvas.width(), canvas.height()) == wide and canvas.cache_stats["static"] == statics
    assert len(canvas._layers) >= layers


def test_the_map_beside_a_village_panel_is_rendered_ahead_at_4k_too(qtbot, make_wall, county_client):  # noqa: F811
    wall = make_wall(county_client)
    wall.resize(3840, 2160)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.drill(town_code(1))
    qtbot.waitUntil(lambda: not wall.canvas.animating and not wall.preparing, timeout=10000)
    wall.grab()
    ready, statics = wall.canvas._ready_size, wall.canvas.cache_stats["static"]
    with qtbot.waitSignal(wall.villageApplied, timeout=10000):
        wall.open_village(village_code(1, 0))
    wall.grab()
    assert (wall.canvas.width(), wall.canvas.height()) == ready and wall.canvas.cache_stats["static"] == statics


def test_the_next_village_shows_only_its_own_rows(qtbot):
    from sandbox.ui.village import VillageState
    from sandbox.ui.village_panel import VillagePanel

    village = VillageState()
    panel = VillagePanel(village, MapState("poverty_incidence"))
    qtbot.addWidget(panel)
    panel.show()
    village.show({"code": "522726101201", "name": "甲村", "year": 2020}, households_page("王", 5))
    assert [r[0] for r in panel.cell_texts()] == [f"王{i}*" for i in range(5)]
    village.close()
    assert panel.cell_texts() == [] and panel.table.model() is None  # no rows once closed
    village.show({"code": "522726101202", "name": "乙村", "year": 2020}, households_page("李", 3))
    rows = panel.cell_texts()
    assert [r[0] for r in rows] == ["李0*", "李1*", "李2*"] and rows[2][1] == "522726********0002"
    village.show({"code": "522726101203", "name": "丙村", "year": 2020}, None, "参观接待模式不显示户级信息")
    assert panel.table.model() is None or panel.table.model().rowCount() == 0  # no rows of another village behind it


def test_a_prefetched_page_is_made_ready_before_its_click_and_the_click_makes_no_cell(qtbot, monkeypatch):
    """Issue 19: the household table of a prefetched village is built and measured while idle; opening
    the panel hands the table that model (no cell made, no column measured on the click)."""
    from sandbox.ui import village_panel as vp
    from sandbox.ui.village import VillageState

    village = VillageState()
    panel = vp.VillagePanel(village, MapState("poverty_incidence"))
    qtbot.addWidget(panel)
    panel.resize(900, 900)
    panel.show()
    page = households_page("赵", 50)
    panel.prepare_later(page)
    assert panel.preparing
    qtbot.waitUntil(lambda: not panel.preparing, timeout=5000)
    made = []
    monkeypatch.setattr(vp, "make_rows", lambda *a: made.append(a))  # the click must not build rows
    measured = []
    monkeypatch.setattr(panel.rows.measure, "sizeHintForColumn", lambda c: measured.append(c) or 0)
    village.show({"code": "522726101201", "name": "甲村", "year": 2020}, page)
    assert made == [] and measured == []
    rows = panel.cell_texts()
    assert len(rows) == 50 and rows[49][0] == "赵49*" and rows[49][1] == "522726********0049"
    header = panel.table.horizontalHeader()
    id_width = header.sectionSize(1)
    fm = panel.table.fontMetrics()
    assert id_width >= fm.horizontalAdvance("522726********0049")  # a masked ID is never elided


def test_a_page_not_prepared_is_made_on_the_click_with_the_same_widths(qtbot):
    from sandbox.ui.village import VillageState
    from sandbox.ui.village_panel import VillagePanel

    def panel_with(prepared: bool):
        village = VillageState()
        panel = VillagePanel(village, MapState("poverty_incidence"))
        qtbot.addWidget(panel)
        panel.resize(900, 900)
        panel.show()
        page = households_page("钱", 20)
        if prepared:
            panel.prepare(page)
        village.show({"code": "522726101201", "name": "甲村", "year": 2020}, page)
        h = panel.table.horizontalHeader()
        return panel.cell_texts(), [h.sectionSize(c) for c in range(h.count() - 1)]

    assert panel_with(True) == panel_with(False)


def test_a_village_open_when_the_wall_is_restyled_gets_its_columns_measured_again(qtbot, make_wall, county_client):  # noqa: F811
    """A 4K screenshot of a wall started on a village (`--region` a village) showed the list's columns at the
    width measured for the style before (the masked IDs and names elided, the last column stretched over the
    rest): a page on screen is measured again when the wall's size class restyles it."""
    wall = make_wall(county_client)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.drill(town_code(0))
    with qtbot.waitSignal(wall.villageApplied, timeout=10000):
        wall.open_village(village_code(0, 1))
    table = wall.village_panel.table
    ids = [row[1] for row in wall.village_panel.cell_texts()]
    assert ids
    wall.resize(3840, 2160)
    fm = table.fontMetrics()
    assert table.horizontalHeader().sectionSize(1) >= max(fm.horizontalAdvance(t) for t in ids)


def test_columns_are_as_wide_as_the_view_would_size_them_to_the_widest_text(qtbot):
    """The columns' widths come from the font's advances of the page's texts (no cell measured on a click):
    each is what the table's own size hint for the column gives (its widest text, or its heading), so a
    masked ID or a long status is never elided."""
    from sandbox.ui.village import VillageState
    from sandbox.ui.village_panel import VillagePanel
    from sandbox.ui.village_rows import set_model

    village = VillageState()
    panel = VillagePanel(village, MapState("poverty_incidence"))
    qtbot.addWidget(panel)
    panel.resize(1200, 900)
    panel.show()
    items = [{"head_name": name, "id_number": f"52272619{i:02d}****{i:04d}", "members": i % 9 + 1,
              "attribute_zh": attr, "status_zh": status, "main_cause_zh": cause, "exit_batch_zh": batch,
              "per_capita_net_income": income}
             for i, (name, attr, status, cause, batch, income) in enumerate([
                 ("欧阳**", "低保贫困户", "已脱贫", "因病", "发展生产脱贫一批", 12345.6),
                 ("王*", "一般贫困户", "未脱贫", "自身发展动力不足", "社会保障兜底一批", 987.0),
                 ("司马**", "特困供养贫困户", "返贫", "交通条件落后", "易地扶贫搬迁脱贫一批", 1234567.0),
                 ("李**", None, "", "缺技术", None, None)])]
    page = {"total": len(items), "page": 1, "page_size": 50, "year": 2020, "items": items}
    village.show({"code": "522726101201", "name": "甲村", "year": 2020}, page)
    header = panel.table.horizontalHeader()
    shown = [header.sectionSize(c) for c in range(header.count() - 1)]
    measure = panel.rows.measure
    set_model(measure, panel.table.model())
    try:
        by_view = [max(measure.sizeHintForColumn(c), measure.horizontalHeader().sectionSizeHint(c))
                   for c in range(header.count() - 1)]
    finally:
        set_model(measure, None)
    assert shown == by_view
    fm = panel.table.fontMetrics()
    assert shown[1] >= fm.horizontalAdvance("5227261903****0003")  # the widest ID fits
    # the same widths on the click as made ahead
    again = VillageState()
    other = VillagePanel(again, MapState("poverty_incidence"))
    qtbot.addWidget(other)
    other.resize(1200, 900)
    other.show()
    other.prepare(page)
    again.show({"code": "522726101201", "name": "甲村", "year": 2020}, page)
    h2 = other.table.horizontalHeader()
    assert [h2.sectionSize(c) for c in range(h2.count() - 1)] == shown


def test_the_next_village_after_a_close_shows_and_hides_none_of_the_lists_widgets(qtbot):
    """Closing a panel empties its list but leaves the list's widgets as they are (the wall hides the
    panel): the next village with a list, the usual case, opens without showing or hiding any of them."""
    from PySide6.QtCore import QEvent, QObject

    from sandbox.ui.village import VillageState
    from sandbox.ui.village_panel import VillagePanel

    village = VillageState()
    panel = VillagePanel(village, MapState("poverty_incidence"))
    qtbot.addWidget(panel)
    panel.show()
    village.show({"code": "522726101201", "name": "甲村", "year": 2020}, households_page("王", 5))
    village.close()
    assert panel.cell_texts() == [] and panel.page_label.text() == ""

    class Toggles(QObject):
        def __init__(self):
            super().__init__()
            self.seen = []

        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
                self.seen.append((obj.objectName(), event.type()))
            return False

    toggles = Toggles()
    widgets = (panel.table, panel.note_label, panel.prev_button, panel.next_button, panel.page_label)
    for w in widgets:
        w.installEventFilter(toggles)
    village.show({"code": "522726101202", "name": "乙村", "year": 2020}, households_page("李", 3))
    assert toggles.seen == []
    assert [r[0] for r in panel.cell_texts()] == ["李0*", "李1*", "李2*"] and panel.page_label.text() == "第 1 / 1 页"
    village.close()
    village.show({"code": "522726101203", "name": "丙村", "year": 2020}, None, "参观接待模式不显示户级信息")
    assert not panel.table.isVisible() and panel.note_label.text() == "参观接待模式不显示户级信息"  # a note still replaces it
