"""A drill into a level not painted ahead (issue 19): what its click's wait and its first frame leave out."""

import dataclasses
import threading

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.state import IndicatorInfo, MapState, RegionMap
from sandbox.ui.theme import NO_DATA_COLOR, ramp

from .conftest import COUNTY, shown_wall, town_code

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def _colour_at(img, p: QPointF) -> str:
    return QColor(img.pixel(p.toPoint())).name()


def _class_colour(st: MapState, code: str) -> str:
    c = st.class_of(code)
    return NO_DATA_COLOR if c < 0 else ramp(st.classification.k, st.indicator.higher_is_better)[c]


def test_a_level_not_painted_ahead_is_drawn_from_its_shapes_in_its_first_frame(qtbot, squares_fc, make_fc,
                                                                                indicators_payload):
    """The drill's first frame shows the new level inside the clicked region from its vectors; its whole
    picture (and its labels, which fade in later) is made only once that frame is on screen."""
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    st.show(COUNTY, 2016, RegionMap.from_geojson(squares_fc))
    canvas = MapCanvas(st)
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.grab()  # the county on screen
    st.show(COUNTY, 2017, RegionMap.from_geojson(squares_fc))  # another year: its cross-fade runs to its end
    qtbot.waitUntil(lambda: not canvas.animating, timeout=5000)
    # the top-left town's square split into 2×2 villages
    st.show(town_code(0), 2016, RegionMap.from_geojson(make_fc(2, 2, [3.0, 9.0, 15.0, 21.0], size=0.05,
                                                                   lon0=107.4, lat0=25.8)))
    assert canvas.animating
    canvas._anim.pause()  # hold the zoom at its first frame
    canvas._progress = 0.0
    layer = canvas._layer
    assert layer.renders == 0 and all(lab._sprites is None for lab in layer.labels)  # nothing made yet
    view = canvas._zoom.new_view(0.0)  # where the villages are drawn now: inside the town
    points = {f.code: QPointF(*view.apply(canvas.region_center(f.code).x(), canvas.region_center(f.code).y()))
              for f in st.region_map.features}
    first = canvas.grab().toImage()
    assert {c: _colour_at(first, p) for c, p in points.items()} == {c: _class_colour(st, c) for c in points}
    assert layer.renders == 0  # drawn from its shapes
    qtbot.waitUntil(lambda: layer.renders == 1, timeout=5000)  # its picture, once that frame is painted
    second = canvas.grab().toImage()
    assert {c: _colour_at(second, p) for c, p in points.items()} == {c: _class_colour(st, c) for c in points}
    assert layer.renders == 1
    canvas.finish_transition()


def test_a_request_for_a_new_level_ends_the_count_up_of_the_level_about_to_go(qtbot, county_client):
    """While a click's answer is on its way the KPI cards of the level shown stop counting (at their final
    figures): their frames would compete with the answer's. The new level counts up from there."""
    wall = shown_wall(qtbot, county_client, region=COUNTY, prefetch=False, preload=False, layers=False)
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading and not wall.canvas.animating,
                    timeout=15000)
    cards = [c for c in wall.kpis.cards.values() if c.figure.value is not None]
    finals = {id(c): c.figure for c in cards}
    for c in cards:  # a long count up to the county's figures, as right after the county is shown
        c.set_figure(dataclasses.replace(c.figure, value=c.figure.value + 7, note="x"), animate=False)
        c.set_figure(finals[id(c)], duration_ms=60000)
    assert cards and all(c.animating for c in cards)
    county_client.gate = threading.Event()  # the town's answer waits
    try:
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton,
                         pos=wall.canvas.region_center(town_code(1)).toPoint())
        assert wall.state.loading  # the request is out
        assert not wall.kpis.animating
        assert [c.number_text for c in cards] == [finals[id(c)].number_text for c in cards]
    finally:
        with qtbot.waitSignal(wall.dataApplied, timeout=10000):
            county_client.gate.set()
    assert wall.state.map.region_code == town_code(1) and wall.kpis.animating  # the town counts up
