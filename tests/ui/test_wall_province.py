"""The wall rooted at a province (a 2-county slice of the demo 贵州, built here, served by the real embedded
API): province → prefecture → county by clicks, back with Esc; titles, counts and legend of each level."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from sandbox.client.api import ApiClient
from sandbox.ui.theme import Colors, ramp
from tests.ui.conftest import settle, shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

PROVINCE, QIANNAN, GUIYANG, DUSHAN = "520000000000", "522700000000", "520100000000", "522726000000"


@pytest.fixture
def client(province_api):
    url, token = province_api
    c = ApiClient(url, token)
    yield c
    c.close()


def drill(qtbot, wall, code):
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.drill_point(code).toPoint())
    return settle(qtbot, wall)


def escape(qtbot, wall):
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    return settle(qtbot, wall)


def fills(wall) -> set[str]:
    """The colour at every child's centre on the canvas (labels off, nothing hovered)."""
    wall.state.map.hovered_code = None
    wall.state.map.show_labels = False
    try:
        img = wall.canvas.grab().toImage()
        return {QColor(img.pixel(wall.canvas.region_center(f.code).toPoint())).name()
                for f in wall.state.map.region_map.features}
    finally:
        wall.state.map.show_labels = True


def legend_counts(wall) -> set[str]:
    return {count.text().split(" ", 1)[1] for _sw, _text, count in wall.legend._rows if count.isVisible()}


def test_a_wall_rooted_at_a_province_drills_to_a_county_and_back_with_esc(qtbot, client):
    wall = shown_wall(qtbot, client, region="52", layers=False)  # the short code, as typed
    settle(qtbot, wall)
    st = wall.state
    # the province's map: its two prefectures, outlined and filled in the indicator's classes
    assert st.map.region_code == PROVINCE and wall.breadcrumb.text() == "贵州省"
    assert {f.code for f in st.map.region_map.features} == {QIANNAN, GUIYANG}
    assert {f.level for f in st.map.region_map.features} == {"prefecture"}
    colours = set(ramp(st.map.classification.k, False))
    assert fills(wall) <= colours and Colors.background not in fills(wall)
    assert wall.header.title_label.text().startswith("贵州省")
    sub = wall.header.subtitle_label.text()
    assert "省" in sub and "下辖 2 个市州、2 个县（市、区）" in sub and "个行政村" in sub, sub
    assert legend_counts(wall) == {"个市州"}
    assert not wall.breadcrumb.back.isEnabled()

    drill(qtbot, wall, QIANNAN)
    assert wall.breadcrumb.text() == "贵州省 › 黔南布依族苗族自治州"
    assert [f.code for f in st.map.region_map.features] == [DUSHAN]  # the slice holds one of its counties
    assert "下辖 1 个县（市、区）" in wall.header.subtitle_label.text() and legend_counts(wall) == {"个县"}
    assert fills(wall) <= set(ramp(st.map.classification.k, False))

    drill(qtbot, wall, DUSHAN)
    assert wall.breadcrumb.text() == "贵州省 › 黔南布依族苗族自治州 › 独山县"
    assert {f.level for f in st.map.region_map.features} == {"town"} and legend_counts(wall) == {"个乡镇"}
    assert "下辖" in wall.header.subtitle_label.text() and "个乡镇" in wall.header.subtitle_label.text()

    escape(qtbot, wall)
    assert st.map.region_code == QIANNAN and wall.breadcrumb.text() == "贵州省 › 黔南布依族苗族自治州"
    escape(qtbot, wall)
    assert st.map.region_code == PROVINCE and wall.breadcrumb.text() == "贵州省"
    qtbot.keyClick(wall, Qt.Key.Key_Escape)  # at the root: said, nothing loads
    assert st.map.region_code == PROVINCE and st.last_note == "已是最上层"


# -- drawing cost scales with what a level shows (issue 18 item 3) ----------------------------------------------
# A synthetic province: 3 prefectures side by side, each a 1°×1° square cut into n×n counties. The province's
# map shows the 3 prefectures' (dissolved) outlines, a prefecture's map its n×n counties: a level whose frame
# painted its grandchildren (the counties on the province's map, say) would paint 3·n² rings, not 3.

def _square_fc(squares: list[tuple[str, str, float, float, float]], parent: tuple[str, str, str]) -> dict:
    """A children FeatureCollection of (code, level, lon, lat, size) squares, each with a value."""
    from tests.ui.conftest import square

    feats = [{"type": "Feature", "geometry": square(lon, lat, size),
              "properties": {"code": code, "name": f"区域{i + 1}", "level": level,
                             "label_point": [lon + size / 2, lat + size / 2], "poverty_incidence": 3.0 + 4 * i}}
             for i, (code, level, lon, lat, size) in enumerate(squares)]
    lons = [s[2] for s in squares] + [s[2] + s[4] for s in squares]
    lats = [s[3] for s in squares] + [s[3] + s[4] for s in squares]
    return {"type": "FeatureCollection", "features": feats, "year": 2020,
            "bbox": [min(lons), min(lats), max(lons), max(lats)],
            "parent": {"code": parent[0], "name": parent[1], "level": parent[2]}}


def _synthetic_province(n: int):
    """(province's map, {prefecture code: its map}) with n×n counties in each of 3 prefectures."""
    from sandbox.ui.state import RegionMap

    prefs = [(f"52{i + 1:02d}00000000", "prefecture", 105.0 + i, 26.0, 1.0) for i in range(3)]
    counties = {}
    for code, _level, lon, lat, size in prefs:
        step = size / n
        counties[code] = RegionMap.from_geojson(_square_fc(
            [(f"{code[:4]}{k + 1:02d}000000", "county", lon + (k % n) * step, lat + (k // n) * step, step)
             for k in range(n * n)], (code, "市", "prefecture")))
    return RegionMap.from_geojson(_square_fc(prefs, (PROVINCE, "贵州省", "province"))), counties


class _Tally:
    """Every vector path the map's painters fill or stroke: rings (subpaths) filled and stroked."""

    def __init__(self):
        self.filled = self.stroked = 0
        self.smooth: list[bool] = []  # per stroke: antialiased or not

    @staticmethod
    def rings(path) -> int:
        from PySide6.QtGui import QPainterPath

        return sum(path.elementAt(i).type == QPainterPath.ElementType.MoveToElement
                   for i in range(path.elementCount()))

    def painter(self):
        from PySide6.QtGui import QPainter

        tally = self

        class CountingPainter(QPainter):
            def fillPath(self, path, brush):  # noqa: N802 - Qt's name
                tally.filled += tally.rings(path)
                super().fillPath(path, brush)

            def drawPath(self, path):  # noqa: N802
                tally.stroked += tally.rings(path)
                tally.smooth.append(self.testRenderHint(QPainter.RenderHint.Antialiasing))
                super().drawPath(path)

            def strokePath(self, path, pen):  # noqa: N802
                tally.stroked += tally.rings(path)
                super().strokePath(path, pen)

        return CountingPainter

    def take(self) -> tuple[int, int]:
        out, self.filled, self.stroked, self.smooth = (self.filled, self.stroked), 0, 0, []
        return out


@pytest.mark.parametrize("n", [2, 4])
def test_each_level_paints_its_children_only_and_a_prefetched_drill_paints_none(qtbot, monkeypatch, n,
                                                                                indicators_payload):
    from sandbox.ui import map_layer, map_paint, map_transition, poor_villages
    from sandbox.ui.map_canvas import MapCanvas
    from sandbox.ui.state import IndicatorInfo, MapState

    tally = _Tally()
    for mod in (map_layer, map_paint, map_transition, poor_villages):
        monkeypatch.setattr(mod, "QPainter", tally.painter())
    province, counties = _synthetic_province(n)
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    canvas = MapCanvas(st)
    canvas.animate = False
    qtbot.addWidget(canvas)
    canvas.resize(1200, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    tally.take()

    st.show(PROVINCE, 2020, province)
    canvas.grab()
    filled, stroked = tally.take()
    # the 3 prefectures: their extrusion and their fill; outline and borders: runs along those rings' edges
    # (the same few for 4 counties a prefecture or 16)
    assert filled == 2 * 3, f"the province's frame filled {filled} rings for 3 prefectures ({3 * n * n} counties)"
    assert 0 < stroked <= 3 * 3, stroked
    # paint-ahead of the prefetched prefectures draws each one's counties, once, off screen
    for code, rm in counties.items():
        assert canvas.prepare(code, rm)
    assert tally.take()[0] == 2 * 3 * n * n
    # the drill into a prefecture rendered ahead: blits only, not one path (its counties nor their towns)
    pref = next(iter(counties))
    st.show(pref, 2020, counties[pref])
    canvas.grab()
    assert tally.take() == (0, 0)
    # a prefecture not rendered ahead paints its own counties and nothing more
    other = MapState("poverty_incidence")
    other.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    canvas.state.show(PROVINCE, 2020, province)
    tally.take()
    canvas2 = MapCanvas(other)
    canvas2.animate = False
    qtbot.addWidget(canvas2)
    canvas2.resize(1200, 700)
    canvas2.show()
    qtbot.waitExposed(canvas2)
    tally.take()
    other.show(pref, 2020, counties[pref])
    canvas2.grab()
    assert tally.take()[0] == 2 * n * n


def test_the_way_back_up_paints_only_the_regions_in_view_of_the_level_blown_up(qtbot, monkeypatch,
                                                                               indicators_payload):
    """Esc from a county: the prefecture's map starts blown up (the county filling the screen) and is drawn
    with vectors while so (cached pixels would thicken its borders); only the counties in view are painted."""
    from sandbox.ui import map_layer, map_paint, map_transition
    from sandbox.ui.map_canvas import MapCanvas
    from sandbox.ui.state import IndicatorInfo, MapState, RegionMap

    n = 4
    _province, counties = _synthetic_province(n)
    pref = next(iter(counties))
    county = counties[pref].features[0]  # the south-west corner county
    (lon0, lat0), (lon1, _lat1) = county.polygons[0][0][0], county.polygons[0][0][2]
    half = (lon1 - lon0) / 2
    towns = RegionMap.from_geojson(_square_fc(
        [(f"{county.code[:6]}{k + 1:03d}000", "town", lon0 + (k % 2) * half, lat0 + (k // 2) * half, half)
         for k in range(4)], (county.code, county.name, "county")))
    tally = _Tally()
    for mod in (map_layer, map_paint, map_transition):
        monkeypatch.setattr(mod, "QPainter", tally.painter())
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    canvas = MapCanvas(st)
    qtbot.addWidget(canvas)
    canvas.resize(1200, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    st.show(pref, 2020, counties[pref])
    canvas.grab()
    st.show(county.code, 2020, towns)  # the drill in
    canvas.finish_transition()
    canvas.grab()
    tally.take()

    st.show(pref, 2020, counties[pref])  # Esc: the prefecture's 16 counties zoom out from the one left
    assert canvas.animating
    canvas.grab()  # the first frame of the way back
    smooth = tally.smooth
    filled, _stroked = tally.take()
    # the county left and its neighbours in view (at most 4 in the corner), extrusion and fill: not all 16
    assert 0 < filled <= 2 * 4, filled
    # while it moves, its glow and borders are stroked plain (the antialiased stroker is the frame's cost)
    assert smooth and not any(smooth)
    # once still, the prefecture is its cached picture, whose edges were antialiased
    canvas.finish_transition()
    canvas._layer._base = None  # rendered again here, to see how
    canvas.grab()
    assert tally.smooth and all(tally.smooth)
def test_a_wall_rooted_at_a_prefecture_goes_home_to_it_not_to_the_province(qtbot, client):
    """`sandbox wall --region 5227`: the path starts at 黔南州, Esc stops there, and idle/home goes back there."""
    wall = shown_wall(qtbot, client, region="5227", layers=False, idle_seconds=3600)
    settle(qtbot, wall)
    st = wall.state
    assert st.map.region_code == QIANNAN and wall.breadcrumb.text() == "黔南布依族苗族自治州"
    assert st.nav.root.code == QIANNAN and not wall.breadcrumb.back.isEnabled()
    drill(qtbot, wall, DUSHAN)
    assert wall.breadcrumb.text() == "黔南布依族苗族自治州 › 独山县"
    assert [b.text() for b in wall.breadcrumb.crumb_buttons()][0] == "黔南布依族苗族自治州"
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.session.go_home()  # what the idle timeout does
    settle(qtbot, wall)
    assert st.map.region_code == QIANNAN and wall.breadcrumb.text() == "黔南布依族苗族自治州"
    qtbot.keyClick(wall, Qt.Key.Key_Escape)  # at the wall's root: said, nothing loads
    assert st.map.region_code == QIANNAN and st.last_note == "已是最上层"
