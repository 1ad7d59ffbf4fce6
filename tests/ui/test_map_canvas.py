"""MapCanvas widget: colours, no-data, hover, click, labels, demo mark (offscreen Qt)."""

import copy

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor

from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.palette import NOTHING_TO_MEASURE_COLOR
from sandbox.ui.state import IndicatorInfo, MapState, RegionMap
from sandbox.ui.theme import NO_DATA_COLOR, ramp

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def pixel(widget, point: QPointF) -> str:
    return QColor(widget.grab().toImage().pixel(point.toPoint())).name()


def test_each_region_is_filled_with_its_class_colour(canvas, map_state):
    map_state.show_labels = False  # labels sit on the centre; look at the fill itself
    colours = ramp(map_state.classification.k, higher_is_better=False)
    img = canvas.grab().toImage()
    for f, cls in zip(map_state.region_map.features, map_state.classification.classes):
        got = QColor(img.pixel(canvas.region_center(f.code).toPoint())).name()
        want = NO_DATA_COLOR if cls < 0 else colours[cls]
        assert got == want, f.name


def test_no_data_region_has_the_no_data_colour_even_with_labels(canvas, map_state):
    code = "522726103000"
    assert map_state.value_of(code) is None
    path = canvas.region_path(code)
    free = _point_outside_labels(canvas, path)
    assert pixel(canvas, free) == NO_DATA_COLOR
    lab = next(lab for lab in canvas.labels() if lab.code == code)
    assert any(text == "无数据" for text, *_ in lab.lines)


def test_a_region_with_nothing_to_measure_is_lighter_and_says_why(qtbot, squares_fc, indicators_payload):
    fc = copy.deepcopy(squares_fc)
    code = "522726103000"
    f = next(f for f in fc["features"] if f["properties"]["code"] == code)
    f["properties"]["indicator_notes"] = {"poverty_incidence": "无农村户籍人口"}
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    st.show("522726000000", 2016, RegionMap.from_geojson(fc))
    canvas = MapCanvas(st)
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    assert pixel(canvas, _point_outside_labels(canvas, canvas.region_path(code))) == NOTHING_TO_MEASURE_COLOR
    lab = next(lab for lab in canvas.labels() if lab.code == code)
    assert any(text == "无农村户籍人口" for text, *_ in lab.lines)
    assert not any(text == "无数据" for text, *_ in lab.lines)


def test_higher_is_better_reverses_the_ramp(canvas, map_state):
    map_state.show_labels = False
    map_state.indicator_key = "housing_safe_rate"  # fixture: 100 − incidence, higher is better
    best, worst = "522726101000", "522726106000"  # 98% and 74% safe housing
    colours = ramp(map_state.classification.k, higher_is_better=True)
    assert colours[-1] == ramp(5, False)[0]  # the top class takes the green end
    assert pixel(canvas, canvas.region_center(best)) == colours[-1]
    assert pixel(canvas, canvas.region_center(worst)) == colours[0]


def test_clicking_a_region_emits_its_code(qtbot, canvas, map_state):
    centre = canvas.region_center("522726105000").toPoint()
    with qtbot.waitSignal(canvas.regionClicked, timeout=2000) as blocker:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=centre)
    assert blocker.args == ["522726105000"]
    assert map_state.selected_code == "522726105000"


def test_clicking_outside_the_regions_emits_nothing(qtbot, canvas):
    with qtbot.assertNotEmitted(canvas.regionClicked):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(3, canvas.height() - 3))


def test_hovering_highlights_the_region(qtbot, canvas, map_state):
    map_state.show_labels = False
    code = "522726104000"
    centre = canvas.region_center(code)
    before = pixel(canvas, centre)
    qtbot.mouseMove(canvas, centre.toPoint())
    qtbot.waitUntil(lambda: map_state.hovered_code == code, timeout=2000)
    after = pixel(canvas, centre)
    assert after != before
    assert QColor(after).lightness() > QColor(before).lightness()
    # moving off the map clears it
    qtbot.mouseMove(canvas, QPoint(3, canvas.height() - 3))
    qtbot.waitUntil(lambda: map_state.hovered_code is None, timeout=2000)
    assert pixel(canvas, centre) == before


def test_labels_show_name_and_value(canvas, map_state):
    labels = {lab.code: lab for lab in canvas.labels()}
    assert len(labels) == 6
    texts = [t for t, *_ in labels["522726101000"].lines]
    assert texts == ["百泉镇", "2.0%"]


def test_labels_never_overlap_when_crowded(qtbot, make_fc, indicators_payload):
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    values = [float(i) for i in range(64)]
    st.show("522726000000", 2016, RegionMap.from_geojson(make_fc(8, 8, values, size=0.02)))
    w = MapCanvas(st)
    qtbot.addWidget(w)
    w.resize(640, 420)
    w.show()
    labels = w.labels()
    assert 0 < len(labels) < 64 or any(lab.variant != "full" for lab in labels)
    rects = [lab.rect for lab in labels]
    for i, a in enumerate(rects):
        assert w.rect().contains(a.toAlignedRect())
        for b in rects[i + 1:]:
            assert not a.intersects(b)
    # larger widget: more room, at least as many labels
    w.resize(1600, 1000)
    assert len(w.labels()) >= len(labels)


def test_demo_mark_is_drawn_when_the_data_says_demo(qtbot, canvas, map_state, make_fc):
    assert canvas.demo_mark_rect() is None
    map_state.show("522726000000", 2016, RegionMap.from_geojson(make_fc(2, 3, [1, 2, 3, 4, 5, 6], demo=True)))
    rect = canvas.demo_mark_rect()
    assert rect is not None
    img = canvas.grab().toImage()
    amber = [
        QColor(img.pixel(x, y)) for x in range(int(rect.left()), int(rect.right()))
        for y in range(int(rect.top()), int(rect.bottom()))
    ]
    assert sum(1 for c in amber if c.red() > 220 and 150 < c.green() < 200 and c.blue() < 80) > 50


def test_placeholder_without_data(qtbot):
    w = MapCanvas(MapState())
    qtbot.addWidget(w)
    w.resize(400, 300)
    assert w.labels() == [] and w.region_at(QPointF(200, 150)) is None
    w.grab()  # paints the placeholder without error


def _point_outside_labels(canvas, path) -> QPointF:
    box = path.boundingRect()
    for fx in (0.15, 0.85, 0.5):
        for fy in (0.15, 0.85, 0.5):
            p = QPointF(box.left() + box.width() * fx, box.top() + box.height() * fy)
            if path.contains(p) and not any(lab.rect.contains(p) for lab in canvas.labels()):
                return p
    raise AssertionError("no free pixel in region")


def test_the_demo_mark_goes_below_a_control_that_reaches_it(qtbot, canvas, map_state, make_fc):
    map_state.show("522726000000", 2016, RegionMap.from_geojson(make_fc(2, 3, [1, 2, 3, 4, 5, 6], demo=True)))
    free = canvas.demo_mark_rect()
    bar = QRectF(20, free.top() - 4, canvas.width() - 30, free.height() + 8)  # a layer control across the top
    canvas.label_obstacles = [bar]
    rect = canvas.demo_mark_rect()
    assert not rect.intersects(bar) and rect.top() > bar.bottom() and rect.right() == free.right()
