"""Boundary files: formats and CRS, repairs, coverage, code checks; any error and nothing is written."""

from __future__ import annotations

import csv
import json
import re
import sqlite3

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import select

from sandbox.cli import main
from sandbox.geo.crs import wgs84_to_gcj02
from sandbox.store.importers import ImportFailed, export_boundaries, import_boundaries
from sandbox.store.models import Meta, Region
from tests.importers.conftest import (
    COUNTY,
    TOWNS,
    VILLAGES,
    box,
    county_features,
    feature,
    fingerprint,
    write_geojson,
)


def regions(engine) -> dict[str, Region]:
    with engine.connect() as conn:
        return {r.code: r for r in conn.execute(select(Region.code, Region.name, Region.level, Region.parent_code,
                                                       Region.boundary, Region.boundary_source_crs,
                                                       Region.synthetic, Region.label_lon, Region.label_lat))}


def frame(features: list[dict], crs="EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([f["properties"] for f in features],
                            geometry=[shape(f["geometry"]) if f["geometry"] else None for f in features], crs=crs)


def report(path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_geojson_with_every_level_imports_real_regions(empty_engine, tmp_path):
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "all.geojson", county_features()))
    assert (result.new, result.coverage_issues, result.repaired) == (7, 0, 0)
    got = regions(empty_engine)
    assert got[COUNTY].level == "county" and got["990101100000"].parent_code == COUNTY
    assert got["990101100201"].parent_code == "990101100000" and got["990101100201"].level == "village"
    assert not any(r.synthetic for r in got.values())
    assert {r.boundary_source_crs for r in got.values()} == {"EPSG:4326"}
    assert 107.0 < got["990101101202"].label_lon < 107.2
    with empty_engine.connect() as conn:
        meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
    assert meta["county_code"] == "990101" and meta["demo"] == "false"
    before = fingerprint(empty_engine)
    again = import_boundaries(empty_engine, tmp_path / "all.geojson")
    assert not again.changed and again.unchanged == 7 and fingerprint(empty_engine) == before


def test_geopackage_layers_in_a_projected_cgcs2000_crs(empty_engine, tmp_path):
    path = tmp_path / "xzq.gpkg"
    feats = county_features()
    # 3-degree Gauss-Krüger zone 36 (CM 108°E), CGCS2000: what natural-resources bureaus deliver.
    for name, part in (("县", feats[:1]), ("乡镇", feats[1:3]), ("村", feats[3:])):
        f = frame(part).rename(columns={"code": "XZQDM", "name": "XZQMC"}).to_crs("EPSG:4545")
        f.to_file(path, layer=name, driver="GPKG")
    result = import_boundaries(empty_engine, path)
    assert result.new == 7 and result.source_crs == "EPSG:4545" and result.coverage_issues == 0
    town = shape(json.loads(regions(empty_engine)["990101100000"].boundary))
    assert town.bounds == pytest.approx((107.0, 25.0, 107.1, 25.2), abs=1e-6)


def test_gcj02_source_is_converted(empty_engine, tmp_path):
    feats = county_features()
    for f in feats:
        f["geometry"] = shapely.geometry.mapping(wgs84_to_gcj02(shape(f["geometry"])))
    write_geojson(tmp_path / "amap.geojson", feats)
    result = import_boundaries(empty_engine, tmp_path / "amap.geojson", crs="GCJ-02")
    assert result.source_crs == "GCJ-02"
    county = shape(json.loads(regions(empty_engine)[COUNTY].boundary))
    assert county.bounds == pytest.approx((107.0, 25.0, 107.2, 25.2), abs=2e-6)


def test_shapefile_without_prj_needs_crs(empty_engine, tmp_path):
    path = tmp_path / "towns.shp"
    frame([feature(COUNTY, "试点县", box(107.0, 25.0, 107.2, 25.2))]).to_file(path, encoding="UTF-8")
    path.with_suffix(".prj").unlink()
    before = fingerprint(empty_engine)
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, path)
    assert "文件 towns.shp: Shapefile 缺少 .prj 文件" in str(err.value) and "--crs" in str(err.value)
    assert fingerprint(empty_engine) == before
    assert import_boundaries(empty_engine, path, crs="EPSG:4490").source_crs == "EPSG:4490"


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_shapefile_names_without_a_cpg_are_read_in_their_own_encoding(empty_engine, tmp_path, encoding):
    # Desktop GIS in China often writes GBK names and no .cpg; GDAL alone would read them as Latin-1.
    path = tmp_path / "xzq.shp"
    feats = county_features()
    frame(feats).to_crs("EPSG:4490").rename(columns={"code": "XZQDM", "name": "XZQMC"}).to_file(
        path, encoding=encoding)
    path.with_suffix(".cpg").unlink()
    assert import_boundaries(empty_engine, path).new == 7
    assert {r.name for r in regions(empty_engine).values()} == {f["properties"]["name"] for f in feats}


def test_null_and_self_intersecting_geometries(empty_engine, tmp_path):
    feats = county_features()
    x0, y0, x1, y1 = TOWNS["990101100000"][1]
    bowtie = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    feats[1]["geometry"] = bowtie  # self-intersecting town: repaired
    feats[4]["geometry"] = None  # a village with no geometry: an error
    path = write_geojson(tmp_path / "bad.geojson", feats)
    before = fingerprint(empty_engine)
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, path)
    message = str(err.value)
    assert "1 处错误, 未导入任何边界" in message and "文件 bad.geojson" in message and "要素 5" in message
    assert "990101100202 南村: 没有几何" in message
    assert fingerprint(empty_engine) == before
    rows = report(tmp_path / "bad.geojson.导入报告.csv")
    assert any(r["级别"] == "警告" and "边界自相交, 位于" in r["原因"] and "Self-intersection" in r["值"]
               and r["行号/要素号"] == "2" for r in rows)

    feats[4]["geometry"] = box(*VILLAGES["990101100202"][2])
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "fixed.geojson", feats))
    assert result.repaired == 1 and result.new == 7
    town = shape(json.loads(regions(empty_engine)["990101100000"].boundary))
    assert town.is_valid
    # the bow-tie covers half of the town: the coverage check names the villages it leaves bare
    assert result.coverage_issues >= 1
    assert any("990101100000" in r["值"] for r in report(result.report_path) if r["列/字段"] == "覆盖检查")


def test_coverage_gaps_and_overlaps_are_reported_with_codes(empty_engine, tmp_path):
    feats = county_features()
    feats[3]["geometry"] = box(107.0, 25.1, 107.1, 25.2)  # 北村 as it is
    feats[4]["geometry"] = box(107.0, 25.0, 107.1, 25.09)  # 南村 leaves a 1 km strip bare
    feats[5]["geometry"] = box(107.09, 25.1, 107.2, 25.2)  # 上寨村 reaches 1 km into 西镇 and 北村
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "cov.geojson", feats), tolerance_m=50)
    text = " | ".join(r["原因"] for r in report(result.report_path))
    assert "990101100000 内有" in text and "不属于任何下级区划" in text and "990101100202" in text
    assert "990101100201 与 990101101201 重叠" not in text  # different towns: checked against their town
    assert "990101101201 有" in text and "超出上级区划 990101101000" in text
    assert result.new == 7  # warnings: imported
    before = fingerprint(empty_engine)
    feats[5]["geometry"] = box(107.1, 25.1, 107.2, 25.2)
    feats[6]["geometry"] = box(107.1, 25.0, 107.2, 25.12)
    with pytest.raises(ImportFailed, match="--strict"):
        import_boundaries(empty_engine, write_geojson(tmp_path / "cov2.geojson", feats), strict=True)
    assert fingerprint(empty_engine) == before
    result = import_boundaries(empty_engine, tmp_path / "cov2.geojson")
    assert any("990101101201 与 990101101202 重叠" in r["原因"] for r in report(result.report_path))


def test_slivers_narrower_than_the_tolerance_pass(empty_engine, tmp_path):
    feats = county_features()
    feats[4]["geometry"] = box(107.0, 25.0, 107.1, 25.0998)  # a 20 m sliver between the two villages
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "s.geojson", feats), tolerance_m=50)
    assert result.coverage_issues == 0
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "s2.geojson", feats), tolerance_m=5)
    assert result.coverage_issues == 1 and result.unchanged == 7  # now wider than the tolerance


@pytest.mark.parametrize("code,kwargs,reason", [
    ("99010110020", {}, "区划代码有 11 位, 应为 12 位 (乡镇可为 9 位, 县可为 6 位)"),
    ("9901011002011", {}, "区划代码有 13 位, 应为 12 位"),
    ("990101100203", {"level": "town"}, "与 --level town 不符"),
    ("990101109201", {}, "上级乡镇 990101109000 不在数据库中"),
    ("990100000000", {}, "只能导入县、乡镇、村三级"),
])
def test_bad_codes(empty_engine, tmp_path, code, kwargs, reason):
    feats = county_features() + [feature(code, "新村", box(107.0, 25.0, 107.01, 25.01))]
    if kwargs.get("level"):  # a village among the towns
        feats = [f for f in feats if f["properties"]["code"] in TOWNS or f["properties"]["code"] == code]
    before = fingerprint(empty_engine)
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, write_geojson(tmp_path / "codes.geojson", feats), **kwargs)
    assert reason in str(err.value)
    assert fingerprint(empty_engine) == before


def test_nine_digit_town_codes_are_the_twelve_digit_code_with_a_warning(empty_engine, tmp_path):
    feats = county_features()
    for f in feats:
        if f["properties"]["code"] in TOWNS:
            f["properties"]["code"] = f["properties"]["code"][:9]
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "nine.geojson", feats))
    assert result.new == 7 and set(TOWNS) <= set(regions(empty_engine))
    warned = [r for r in report(result.report_path) if r["级别"] == "警告"]
    assert {r["值"] for r in warned} == {c[:9] for c in TOWNS}
    assert all("9 位乡镇代码, 已按 12 位" in r["原因"] for r in warned)


def test_duplicate_codes_and_missing_fields(empty_engine, tmp_path):
    feats = county_features() + [feature("990101100201", "重复村", box(107.0, 25.1, 107.1, 25.2))]
    with pytest.raises(ImportFailed, match="代码重复: 与要素 4"):
        import_boundaries(empty_engine, write_geojson(tmp_path / "dup.geojson", feats))
    feats = [{"type": "Feature", "properties": {"DM": f["properties"]["code"], "label": "x"},
              "geometry": f["geometry"]} for f in county_features()]
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, write_geojson(tmp_path / "fields.geojson", feats))
    assert "找不到区划名称字段" in str(err.value) and "--name-field" in str(err.value) and "label" in str(err.value)
    assert import_boundaries(empty_engine, tmp_path / "fields.geojson", name_field="label").new == 7


def test_towns_alone_make_their_county(empty_engine, tmp_path):
    feats = [f for f in county_features() if f["properties"]["code"] != COUNTY]
    result = import_boundaries(empty_engine, write_geojson(tmp_path / "towns.geojson", feats))
    assert result.created_counties == [COUNTY]
    county = shape(json.loads(regions(empty_engine)[COUNTY].boundary))
    assert county.area == pytest.approx(0.04, rel=1e-6)


@pytest.mark.parametrize("name,content,expected", [
    ("b.gpkg", b'{"type": "FeatureCollection", "features": []}', "扩展名是 .gpkg, 但内容是JSON 文本, 不是 GeoPackage"),
    ("b.geojson", b"PK\x03\x04" + b"\x00" * 64, "扩展名是 .geojson, 但内容是ZIP 压缩包"),
    ("b.shp", b"code,name\n1,2\n", "扩展名是 .shp, 但内容是纯文本"),
    ("b.kml", b"<kml/>", "不支持的边界格式 .kml"),
])
def test_a_boundary_file_that_is_not_what_its_extension_says(empty_engine, tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, tmp_path / name)
    assert expected in str(err.value)


def _cut_geopackage(path):
    frame([feature(COUNTY, "试点县", box(107.0, 25.0, 107.2, 25.2))]).to_file(path, driver="GPKG")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])  # a copy that stopped a third of the way


def _plain_sqlite(path):
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE xzq (code TEXT, name TEXT)")
    con.close()


def _shapefile_with_cut_dbf(path):
    frame(county_features()[:3]).to_file(path, encoding="UTF-8")
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-40])


_COLLECTION = json.dumps({"type": "FeatureCollection", "features": county_features()[:1]}, ensure_ascii=False)
# Latin words a Chinese message may carry: format names, extensions and the JSON members it quotes (the
# file's own name is taken out before the check).
_LATIN_OK = {"GeoJSON", "GeoPackage", "Shapefile", "JSON", "SQLite", "UTF", "GBK", "gpkg_contents", "type",
             "FeatureCollection", "features", "gpkg", "shp", "shx", "dbf", "prj", "geojson", "zip"}


@pytest.mark.parametrize("name,content,expected", [
    ("cut.geojson", _COLLECTION[:60].encode(), "不是有效的 GeoJSON: 内容在第 1 行中途结束, 文件不完整"),
    ("bad.geojson", b'{"type": "FeatureCollection",\n "features": [1, 2,]}', "第 2 行第 20 列 JSON 语法错误 (缺少值)"),
    ("other.geojson", b'{"hello": 1}', '是 JSON 文本, 但不是 GeoJSON (顶层应为 "type": "FeatureCollection"'),
    ("gbk.geojson", _COLLECTION.encode("gbk"), "不是 UTF-8 编码 (像是 GBK 编码)"),
    ("empty.geojson", b"", "文件 empty.geojson 为空 (0 字节)"),
    ("blank.geojson", b"  \r\n", "文件 blank.geojson 为空 (只有空白)"),
    ("empty.gpkg", b"", "文件 empty.gpkg 为空 (0 字节)"),
    ("fake.gpkg", b"SQLite format 3\x00" + b"\x00" * 200, "文件 fake.gpkg: GeoPackage 已损坏或不完整"),
    ("cut.gpkg", _cut_geopackage, "文件 cut.gpkg: GeoPackage 已损坏或不完整"),
    ("plain.gpkg", _plain_sqlite, "是 SQLite 数据库, 但不是 GeoPackage (没有 gpkg_contents 表)"),
    ("empty.shp", b"", "文件 empty.shp 为空 (0 字节)"),
    ("cut.shp", _shapefile_with_cut_dbf, "Shapefile 的 cut.dbf (属性表) 不完整 (应有 3 条记录"),
    ("xzq.zip", b"PK\x03\x04" + b"\x00" * 64, "文件 xzq.zip 是压缩包; 请先解压"),
])
def test_a_damaged_or_empty_boundary_file_is_named_in_chinese(empty_engine, tmp_path, name, content, expected):
    """Not GDAL's English, cut off mid-word: what is wrong with the file, in one Chinese sentence."""
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    before = fingerprint(empty_engine)
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, path, report_path=tmp_path / "r.csv")
    message = str(err.value)
    assert expected in message and len(message.splitlines()) == 1
    words = set(re.findall(r"[A-Za-z_]{3,}", message.split("; 详见报告")[0])) - {path.stem}
    assert words <= _LATIN_OK, words
    assert fingerprint(empty_engine) == before
    # what GDAL said, if anything, is kept in the report for whoever looks further
    assert report(tmp_path / "r.csv")[0]["原因"] == message.split("; 详见报告")[0]


def test_a_boundary_file_without_features_says_so(empty_engine, tmp_path, capsys):
    path = write_geojson(tmp_path / "none.geojson", [])
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, path)
    assert str(err.value) == "文件 none.geojson 中没有任何要素"
    assert main(["import", "boundaries", str(path), "--db", f"sqlite:///{tmp_path / 'cli.db'}", "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == "错误: 文件 none.geojson 中没有任何要素"

    gpkg = tmp_path / "xzq.gpkg"
    feats = county_features()
    frame(feats[:3]).to_file(gpkg, layer="乡镇", driver="GPKG")
    frame(feats[:3]).iloc[:0].to_file(gpkg, layer="村", driver="GPKG")  # a template's layer not filled in
    with pytest.raises(ImportFailed, match="^文件 xzq.gpkg 图层 村 中没有任何要素$"):
        import_boundaries(empty_engine, gpkg, layer="村")
    with pytest.raises(ImportFailed, match=r"^文件 xzq.gpkg 中没有图层 '县' \(有: 乡镇、村\)$"):
        import_boundaries(empty_engine, gpkg, layer="县")
    result = import_boundaries(empty_engine, gpkg)  # beside a full layer, an empty one is skipped
    assert result.new == 3 and result.layers == ["乡镇"]
    assert any(i.sheet == "图层 村" and "没有任何要素" in i.reason for i in result.report.issues)


def test_identical_boundaries_imported_again_are_unchanged(demo_engine, empty_engine, tmp_path):
    """The GeoJSON writer turns rings the other way round: the same towns are still the same."""
    export_boundaries(demo_engine, tmp_path / "all.gpkg")
    export_boundaries(demo_engine, tmp_path / "exp_t.geojson", level="town")
    import_boundaries(empty_engine, tmp_path / "all.gpkg")
    before = fingerprint(empty_engine)
    result = import_boundaries(empty_engine, tmp_path / "exp_t.geojson", level="town")
    assert (result.new, result.updated, result.unchanged) == (0, 0, 8) and not result.changed
    assert fingerprint(empty_engine) == before

    doc = json.loads((tmp_path / "exp_t.geojson").read_text(encoding="utf-8"))
    moved = doc["features"][0]
    code = moved["properties"]["code"]
    old = regions(empty_engine)[code].boundary
    # 2 m east: narrower than the coverage tolerance, but a real change
    moved["geometry"] = shapely.geometry.mapping(shapely.affinity.translate(shape(moved["geometry"]), 2e-5))
    write_geojson(tmp_path / "moved.geojson", doc["features"])
    result = import_boundaries(empty_engine, tmp_path / "moved.geojson", level="town")
    assert (result.updated, result.unchanged) == (1, 7)
    new = shape(json.loads(regions(empty_engine)[code].boundary))
    assert new.bounds[0] == pytest.approx(shape(json.loads(old)).bounds[0] + 2e-5, abs=2e-6)


def test_a_geopackage_layer_is_named_where_a_feature_is_wrong(empty_engine, tmp_path):
    feats = county_features()[:3]
    feats[1]["geometry"] = None
    frame(feats).to_file(tmp_path / "xzq.gpkg", layer="乡镇", driver="GPKG")
    with pytest.raises(ImportFailed, match="文件 xzq.gpkg 图层 乡镇 要素 2 列 geometry"):
        import_boundaries(empty_engine, tmp_path / "xzq.gpkg")


def test_a_single_layer_file_shows_no_layer_where_a_feature_is_wrong(empty_engine, tmp_path):
    feats = county_features()
    feats[4]["geometry"] = None
    path = write_geojson(tmp_path / "x.geojson", feats)
    with pytest.raises(ImportFailed) as err:
        import_boundaries(empty_engine, path)
    assert "文件 x.geojson 要素 5 列 geometry" in str(err.value)
    assert report(tmp_path / "x.geojson.导入报告.csv")[0]["工作表/图层"] == ""


def test_wrong_crs_shows_as_coordinates_out_of_range(empty_engine, tmp_path):
    f = frame(county_features()[:1]).to_crs("EPSG:4545")
    f = f.set_crs("EPSG:4326", allow_override=True)  # metres labelled as degrees
    f.to_file(tmp_path / "lying.gpkg", driver="GPKG")
    with pytest.raises(ImportFailed, match="坐标超出经纬度范围, 坐标系 EPSG:4326 可能不对"):
        import_boundaries(empty_engine, tmp_path / "lying.gpkg")


def test_replace_demo_in_one_transaction(demo_engine, tmp_path):
    """Refused without --replace-demo; with it, a failing import leaves the demo untouched."""
    feats = county_features()
    feats[2]["geometry"] = None
    before = fingerprint(demo_engine)
    with pytest.raises(ImportFailed, match="--replace-demo"):
        import_boundaries(demo_engine, write_geojson(tmp_path / "ok.geojson", county_features()))
    with pytest.raises(ImportFailed, match="没有几何"):
        import_boundaries(demo_engine, write_geojson(tmp_path / "bad.geojson", feats), replace_demo=True)
    assert fingerprint(demo_engine) == before


def test_replace_demo_on_a_copy(tmp_path, demo_engine):
    import shutil

    from sandbox.store.db import make_engine

    if not str(demo_engine.url).startswith("sqlite"):
        pytest.skip("copies the SQLite demo file")
    with demo_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    shutil.copy(demo_engine.url.database, tmp_path / "demo.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    result = import_boundaries(engine, write_geojson(tmp_path / "ok.geojson", county_features()), replace_demo=True)
    assert result.replaced_demo and result.new == 7
    with engine.connect() as conn:
        assert conn.execute(select(Region.code)).scalars().all().__len__() == 7
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM households").scalar() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM api_tokens").scalar() >= 0
    engine.dispose()
