"""MapState / WallState, projection and label placement: plain Python, no Qt."""

import gc
import math

import pytest

from sandbox.ui.classify import NO_DATA
from sandbox.ui.labels import LabelCandidate, LabelVariant, Rect, place_labels
from sandbox.ui.projection import GeometryError, Projection, fit_view, polygons_of
from sandbox.ui.state import DataError, Event, IndicatorInfo, MapState, RegionMap, WallState


def infos(indicators):
    return [IndicatorInfo.from_api(d) for d in indicators]


def test_region_map_from_geojson(squares_fc):
    rm = RegionMap.from_geojson(squares_fc)
    assert len(rm.features) == 6
    f = rm.feature("522726101000")
    assert f.name == "百泉镇" and f.level == "town"
    assert f.label_point == pytest.approx((107.45, 25.85))
    assert rm.year == 2016 and rm.as_of.startswith("2020-12-31")


def test_region_map_rejects_what_cannot_be_drawn(squares_fc):
    with pytest.raises(DataError):
        RegionMap.from_geojson({"type": "Feature"})
    bad = dict(squares_fc, features=[dict(squares_fc["features"][0], geometry={"type": "Point", "coordinates": [1, 2]})])
    with pytest.raises(DataError, match="Polygon"):
        RegionMap.from_geojson(bad)


def test_multipolygon_and_missing_label_point():
    geom = {"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[5, 5], [9, 5], [9, 9], [5, 9], [5, 5]], [[6, 6], [7, 6], [7, 7], [6, 6]]],
    ]}
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geom, "properties": {"code": "522726101000", "name": "甲"}}]}
    rm = RegionMap.from_geojson(fc)
    assert len(rm.features[0].polygons) == 2
    assert rm.features[0].label_point == (7.0, 7.0)  # centre of the larger part
    assert rm.bbox == (0.0, 0.0, 9.0, 9.0)


def test_map_state_events_and_classes(squares_fc, indicators_payload):
    st = MapState("poverty_incidence")
    seen = []
    st.events.data.connect(lambda rm: seen.append("data"))
    st.events.indicator.connect(lambda k: seen.append(("indicator", k)))
    st.events.selection.connect(lambda c: seen.append(("selection", c)))
    st.set_indicators(infos(indicators_payload))
    st.show("522726000000", 2016, RegionMap.from_geojson(squares_fc))
    assert st.indicator.label_zh == "贫困发生率"
    assert st.class_of("522726103000") == NO_DATA
    assert st.class_of("522726101000") == 0  # 2.0%: under the 3% exit line
    assert st.class_of("522726106000") == 4  # 26.0%: the "20 – 30%" class of the fixed thresholds
    assert st.classification.scheme == "thresholds" and st.classification.k == 6
    st.selected_code = "522726102000"
    st.selected_code = "522726102000"  # no duplicate event
    st.indicator_key = "housing_safe_rate"
    assert st.indicator.higher_is_better
    assert seen == ["data", ("selection", "522726102000"), ("indicator", "housing_safe_rate")]


def test_showing_new_data_clears_a_selection_that_no_longer_exists(squares_fc, make_fc):
    st = MapState()
    st.show("522726000000", 2016, RegionMap.from_geojson(squares_fc))
    st.selected_code = "522726106000"
    st.show("522726000000", 2016, RegionMap.from_geojson(make_fc(1, 2, [1.0, 2.0])))
    assert st.selected_code is None


def test_wall_state_apply_clears_error(squares_fc):
    ws = WallState()
    errors = []
    ws.events.error.connect(errors.append)
    ws.error = "无法连接中心数据接口"
    ws.apply({"code": "522726000000", "year": 2016, "name": "独山县"}, RegionMap.from_geojson(squares_fc))
    assert ws.has_data and ws.error is None and ws.map.year == 2016
    assert errors == ["无法连接中心数据接口", None]


def test_event_holds_bound_methods_weakly():
    ev = Event("x")
    calls = []

    class Listener:
        def on(self, v):
            calls.append(v)

    listener = Listener()
    ev.connect(listener.on)
    ev.emit(1)
    del listener
    gc.collect()
    ev.emit(2)
    assert calls == [1]


def test_projection_scales_longitude_by_cos_lat():
    p = Projection(60.0)
    x, y = p.forward(10.0, 60.0)
    assert x == pytest.approx(5.0) and y == -60.0
    assert p.inverse(x, y) == pytest.approx((10.0, 60.0))


def test_fit_view_centres_with_margins():
    fit = fit_view((0, 0, 2, 1), 1000, 1000, margins=(100, 100, 100, 100))
    assert fit.scale == pytest.approx(400)
    assert fit.to_screen(0, 0) == pytest.approx((100, 300))
    assert fit.to_screen(2, 1) == pytest.approx((900, 700))
    assert fit.to_world(*fit.to_screen(1.5, 0.5)) == pytest.approx((1.5, 0.5))


def test_polygons_of_rejects_garbage():
    with pytest.raises(GeometryError):
        polygons_of(None)
    with pytest.raises(GeometryError):
        polygons_of({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})


def test_labels_shrink_then_drop_on_collision():
    big, small = LabelVariant("full", 100, 40), LabelVariant("small", 40, 20)
    cands = [
        LabelCandidate("a", 10, (100, 100), (big, small)),
        LabelCandidate("b", 5, (170, 100), (big, small)),  # full collides with a; small fits
        LabelCandidate("c", 1, (110, 100), (big, small)),  # collides either way: dropped
    ]
    placed = {p.key: p for p in place_labels(cands, padding=0)}
    assert placed["a"].variant == "full"
    assert placed["b"].variant == "small"
    assert "c" not in placed
    rects = [p.rect for p in placed.values()]
    assert not rects[0].intersects(rects[1])


def test_labels_respect_bounds_and_obstacles():
    v = (LabelVariant("full", 50, 20),)
    placed = place_labels(
        [LabelCandidate("edge", 1, (5, 50), v), LabelCandidate("blocked", 1, (100, 100), v),
         LabelCandidate("ok", 1, (100, 150), v)],
        bounds=Rect(0, 0, 200, 200), obstacles=[Rect(90, 90, 20, 20)],
    )
    assert [p.key for p in placed] == ["ok"]
    assert math.isclose(placed[0].rect.x, 75)


def test_labels_try_nudges_before_shrinking():
    full, small = LabelVariant("full", 100, 40), LabelVariant("small", 40, 20)
    cands = [LabelCandidate("a", 10, (100, 100), (full,)), LabelCandidate("b", 5, (180, 100), (full, small))]
    placed = {p.key: p for p in place_labels(cands, padding=0, shifts=((0, 0), (0.3, 0)))}
    assert placed["b"].variant == "full" and placed["b"].rect.x == pytest.approx(160)
