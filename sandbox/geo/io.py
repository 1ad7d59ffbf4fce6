"""Boundary files in and out: GeoPackage, Shapefile and GeoJSON, their CRS named and taken to WGS-84."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from sandbox.domain.filekind import describe_content

from .crs import SOURCE_CRS_GCJ02, gcj02_to_wgs84

__all__ = [
    "BoundaryFileError",
    "BoundaryLayer",
    "BOUNDARY_SUFFIXES",
    "boundary_layers",
    "crs_label",
    "read_boundary_layer",
    "to_wgs84",
    "write_boundaries",
]

BOUNDARY_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")
_GCJ_NAMES = {"GCJ-02", "GCJ02", "GCJ", "AMAP", "高德", "火星坐标"}


class BoundaryFileError(ValueError):
    """A boundary file that cannot be read as it is; the message is one Chinese line that names the
    file and the problem. `detail` keeps what GDAL said (English, often cut short): for the report,
    not for the person reading the message."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


@dataclass
class BoundaryLayer:
    """The features of one layer as read: attribute columns, geometries (None where missing), CRS."""

    file: str
    layer: str | None
    frame: object  # pandas DataFrame of the attributes
    geometries: np.ndarray  # shapely geometries or None, in the source CRS
    crs: object | None  # pyproj.CRS, or the string "GCJ-02"
    crs_label: str  # what `regions.boundary_source_crs` records

    def __len__(self) -> int:
        return len(self.geometries)


def _check_content(path: Path) -> str:
    """The GDAL driver for the file, after checking that its content is what its extension says."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        raise BoundaryFileError(f"文件 {path.name} 是压缩包; 请先解压, 再导入其中的 GeoPackage (.gpkg)、"
                                "Shapefile (.shp, 连同同名的 .shx、.dbf、.prj) 或 GeoJSON (.geojson)")
    if suffix not in BOUNDARY_SUFFIXES:
        raise BoundaryFileError(f"文件 {path.name}: 不支持的边界格式 {suffix or '(无扩展名)'}; "
                                "请用 GeoPackage (.gpkg)、Shapefile (.shp) 或 GeoJSON (.geojson)")
    if not path.is_file():
        raise BoundaryFileError(f"文件 {path} 不存在")
    with path.open("rb") as f:
        head = f.read(512)
    if not head.strip(b"\xef\xbb\xbf \t\r\n") and path.stat().st_size <= len(head):
        raise BoundaryFileError(f"文件 {path.name} 为空 ({'0 字节' if not head else '只有空白'}), "
                                "可能复制或下载未完成")
    if suffix == ".gpkg":
        if not head.startswith(b"SQLite format 3\x00"):
            raise BoundaryFileError(f"文件 {path.name}: 扩展名是 .gpkg, 但内容是{describe_content(head)}, 不是 GeoPackage")
        return "GPKG"
    if suffix == ".shp":
        if len(head) < 100 or int.from_bytes(head[:4], "big") != 9994:
            raise BoundaryFileError(f"文件 {path.name}: 扩展名是 .shp, 但内容是{describe_content(head)}, 不是 Shapefile")
        missing = [s for s in (".shx", ".dbf") if not _sibling(path, s)]
        if missing:
            raise BoundaryFileError(f"文件 {path.name}: Shapefile 缺少同名的 {'、'.join(missing)} 文件 "
                                    "(属性和索引), 请把同名的几个文件放在一起")
        return "ESRI Shapefile"
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        raise BoundaryFileError(f"文件 {path.name}: 扩展名是 {suffix}, 但内容是{describe_content(head)}, 不是 GeoJSON")
    return "GeoJSON"


def _sibling(path: Path, suffix: str) -> Path | None:
    for s in (suffix, suffix.upper()):
        p = path.with_suffix(s)
        if p.is_file():
            return p
    return None


def boundary_layers(path: Path | str) -> list[str]:
    """Layer names in the file (GeoPackages may hold several; the others hold one)."""
    import pyogrio

    path = Path(path)
    driver = _check_content(path)
    try:
        with _quiet_gdal():
            listed = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in several types
        raise _unreadable(path, driver, None, exc) from None
    # A GeoPackage may hold attribute tables (geometry type None) beside its layers: not boundaries.
    spatial = [str(name) for name, geometry_type in listed if geometry_type is not None]
    if not spatial:
        tables = "、".join(str(name) for name, _ in listed)
        raise BoundaryFileError(f"文件 {path.name} 中没有带几何的图层" + (f" (只有属性表 {tables})" if tables else ""))
    return spatial


def _unreadable(path: Path, driver: str, layer: str | None, exc: Exception) -> BoundaryFileError:
    """GDAL could not read the file: say why in Chinese where a cheap look finds out (GDAL's own text is
    English and, cut to a line, often ends mid-word), and keep GDAL's words as the error's detail."""
    where = f"文件 {path.name}" + (f" 图层 {layer}" if layer else "")
    try:
        problem = _DIAGNOSE[driver](path)
    except Exception:  # noqa: BLE001 - the look itself failed (unreadable sibling, …): say what we know
        problem = None
    problem = problem or f"{_FORMAT_NAMES[driver]} 文件已损坏或格式无法识别, 无法读取"
    return BoundaryFileError(f"{where}: {problem}", detail=f"GDAL: {' '.join(str(exc).split())[:500]}")


_FORMAT_NAMES = {"GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile", "GeoJSON": "GeoJSON"}
_INCOMPLETE = "可能复制或下载中断"

# Python's json messages, by their start, in Chinese.
_JSON_REASONS = (
    ("Expecting value", "缺少值"),
    ("Expecting property name", "属性名须用英文双引号"),
    ("Expecting ':'", "缺少冒号"),
    ("Expecting ','", "缺少逗号或括号不配对"),
    ("Invalid control character", "字符串中有换行等控制字符"),
    ("Invalid \\u", "\\u 转义不正确"),
    ("Invalid \\escape", "反斜杠转义不正确"),
    ("Illegal trailing comma", "末尾多了逗号"),
    ("Extra data", "JSON 结束后还有多余内容"),
)
_GEOJSON_TYPES = {"FeatureCollection", "Feature", "Polygon", "MultiPolygon", "GeometryCollection", "Point",
                  "MultiPoint", "LineString", "MultiLineString"}


def _geojson_problem(path: Path) -> str | None:
    """Decoded and parsed with the json module: only after GDAL failed, so a good file is read once."""
    import json

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        try:
            raw.decode("gb18030")
            hint = "像是 GBK 编码"
        except UnicodeDecodeError:
            hint = f"第 {line} 行有无法识别的字节"
        return f"不是 UTF-8 编码 ({hint}); GeoJSON 须为 UTF-8, 请另存为 UTF-8 后再导入"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        # An unterminated string runs to the end of the file; other errors at the very end: cut short.
        if exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip()):
            return f"不是有效的 GeoJSON: 内容在第 {exc.lineno} 行中途结束, 文件不完整 ({_INCOMPLETE})"
        reason = next((zh for en, zh in _JSON_REASONS if exc.msg.startswith(en)), "")
        return (f"不是有效的 GeoJSON: 第 {exc.lineno} 行第 {exc.colno} 列 JSON 语法错误"
                + (f" ({reason})" if reason else ""))
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind not in _GEOJSON_TYPES:
        return '是 JSON 文本, 但不是 GeoJSON (顶层应为 "type": "FeatureCollection" 的对象)'
    if kind == "FeatureCollection" and not isinstance(doc.get("features"), list):
        return '不是有效的 GeoJSON: 缺少要素数组 "features"'
    return None


def _gpkg_problem(path: Path) -> str | None:
    """A GeoPackage is an SQLite database: sqlite3 tells a damaged file from one that is not a GeoPackage."""
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return f"GeoPackage 已损坏或不完整, 无法打开 ({_INCOMPLETE})"
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if "gpkg_contents" not in tables:
            return "是 SQLite 数据库, 但不是 GeoPackage (没有 gpkg_contents 表)"
        if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            return f"GeoPackage 已损坏 (数据库完整性检查未通过, {_INCOMPLETE})"
        if not con.execute("SELECT COUNT(*) FROM gpkg_contents").fetchone()[0]:
            return "GeoPackage 中没有任何图层"
    except sqlite3.Error:
        return f"GeoPackage 已损坏或不完整, 无法读取 ({_INCOMPLETE})"
    finally:
        con.close()
    return None


def _shapefile_problem(path: Path) -> str | None:
    """The .shp and .shx headers give their length in 16-bit words, the .dbf header its record count
    and sizes: a file shorter or longer than its header says is damaged or was cut short."""
    dbf = _sibling(path, ".dbf")
    records = {}
    for part in (path, _sibling(path, ".shx")):
        size = part.stat().st_size
        with part.open("rb") as f:
            head = f.read(100)
        declared = int.from_bytes(head[24:28], "big") * 2 if len(head) == 100 else -1
        if int.from_bytes(head[:4], "big") != 9994 or declared < 100:
            return f"Shapefile 的 {part.name} 文件头已损坏"
        if declared != size:
            return (f"Shapefile 的 {part.name} 已损坏或不完整 (文件头记 {declared} 字节, 实有 {size} 字节; "
                    f"{_INCOMPLETE})")
        records[part.suffix.lower()] = (size - 100) // 8
    size = dbf.stat().st_size
    with dbf.open("rb") as f:
        head = f.read(32)
    count = int.from_bytes(head[4:8], "little")
    header, record = int.from_bytes(head[8:10], "little"), int.from_bytes(head[10:12], "little")
    if len(head) < 32 or header < 33 or record < 1:
        return f"Shapefile 的 {dbf.name} (属性表) 文件头已损坏"
    if size < header + count * record:
        return f"Shapefile 的 {dbf.name} (属性表) 不完整 (应有 {count} 条记录; {_INCOMPLETE})"
    if records[".shx"] != count:
        return f"Shapefile 的 .shx 与 .dbf 记录数不一致 ({records['.shx']} 与 {count}), 文件已损坏或不是同一套"
    return None


_DIAGNOSE = {"GeoJSON": _geojson_problem, "GPKG": _gpkg_problem, "ESRI Shapefile": _shapefile_problem}


def _parse_crs(text: str):
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if text.strip().upper() in _GCJ_NAMES or text.strip() in _GCJ_NAMES:
        return SOURCE_CRS_GCJ02
    try:
        return CRS.from_user_input(text.strip())
    except CRSError:
        raise BoundaryFileError(f"无法识别坐标系 {text!r}; 请写 EPSG 代码 (如 EPSG:4490, EPSG:4326, EPSG:4545) "
                                "或 GCJ-02") from None


def crs_label(crs) -> str:
    if isinstance(crs, str):
        return SOURCE_CRS_GCJ02
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name[:32]


def read_boundary_layer(path: Path | str, layer: str | None = None, crs: str | None = None) -> BoundaryLayer:
    """Read one layer with its attributes. `crs` overrides what the file says (a .prj that lies, or
    GCJ-02 data labelled WGS-84); without it a file with no CRS is refused (a Shapefile without .prj)."""
    import pyogrio

    path = Path(path)
    driver = _check_content(path)
    given = _parse_crs(crs) if crs else None
    if driver == "ESRI Shapefile" and given is None and not _sibling(path, ".prj"):
        raise BoundaryFileError(f"文件 {path.name}: Shapefile 缺少 .prj 文件, 无法确定坐标系; 请补上同名的 .prj, "
                                "或用 --crs 指定 (如 --crs EPSG:4490 表示 CGCS2000 经纬度)")
    encoding = dbf_text_encoding(path) if driver == "ESRI Shapefile" else None
    try:
        with _quiet_gdal():
            frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore", encoding=encoding)
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(path, driver, layer, exc) from None
    if not hasattr(frame, "geometry"):  # pyogrio gives a plain DataFrame for an attribute table
        raise BoundaryFileError(f"文件 {path.name}" + (f" 图层 {layer}" if layer else "") +
                                ": 是属性表, 没有几何, 不是边界图层")
    file_crs = frame.crs
    chosen = given if given is not None else file_crs
    if chosen is None:
        raise BoundaryFileError(f"文件 {path.name}: 没有声明坐标系; 请用 --crs 指定 (如 --crs EPSG:4490)")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    geoms = np.array([None if g is None or g.is_empty else g for g in geoms], dtype=object)
    attrs = frame.drop(columns=frame.geometry.name)
    return BoundaryLayer(path.name, layer, attrs, geoms, chosen, crs_label(chosen))


def dbf_text_encoding(shp: Path) -> str | None:
    """The encoding of a Shapefile's text attributes when the file does not say it, else None (GDAL
    then goes by the .cpg or the .dbf's language byte). Shapefiles from Chinese desktop GIS often come
    without a .cpg and with GBK names, which GDAL would read as Latin-1: "百泉镇" as "°ÙÈªÕò". So the
    text is looked at: valid UTF-8 is UTF-8, anything else that reads as GB18030 is GB18030."""
    dbf = _sibling(shp, ".dbf")
    if dbf is None or _sibling(shp, ".cpg") is not None:
        return None
    with dbf.open("rb") as f:
        head = f.read(32)
        if len(head) < 32 or head[29] != 0:  # a language byte: GDAL knows the code page
            return None
        records, header_len, record_len = (int.from_bytes(head[4:8], "little"), int.from_bytes(head[8:10], "little"),
                                           int.from_bytes(head[10:12], "little"))
        fields = f.read(max(0, header_len - 32))
        text = []  # (offset in the record, length) of each character field
        offset = 1  # the deletion flag
        for i in range(0, len(fields) - 31, 32):
            if fields[i] == 0x0D:
                break
            length = fields[i + 16]
            if fields[i + 11:i + 12] == b"C":
                text.append((offset, length))
            offset += length
        if not text or record_len <= 0:
            return None
        f.seek(header_len)
        sample = f.read(record_len * min(records, 5000))
    values = [sample[r + o:r + o + n].rstrip(b" \x00") for r in range(0, len(sample) - record_len + 1, record_len)
              for o, n in text]
    values = [v for v in values if not v.isascii()]
    if not values:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            for v in values:  # a value cut at its field's width may end inside a character
                codecs.getincrementaldecoder(encoding)().decode(v, final=False)
        except UnicodeDecodeError:
            continue
        return encoding.upper()
    return None


class _quiet_gdal:
    """GDAL warns on stderr about things we report ourselves (e.g. invalid geometries)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def to_wgs84(geometries: np.ndarray, crs) -> np.ndarray:
    """Geometries (None kept) from `crs` to WGS-84 lon/lat. CGCS2000 (EPSG:4490) and WGS-84 agree to
    within a metre or so, and pyproj treats the step as the identity; GCJ-02 is undone with the
    published formulas (sandbox.geo.crs)."""
    out = np.array(geometries, dtype=object)
    mask = np.array([g is not None for g in out], dtype=bool)
    if not mask.any():
        return out
    present = out[mask]
    if isinstance(crs, str):  # SOURCE_CRS_GCJ02
        converted = gcj02_to_wgs84(present)
    else:
        from pyproj import CRS, Transformer

        target = CRS.from_epsg(4326)
        if crs == target:
            converted = present
        else:
            transformer = Transformer.from_crs(crs, target, always_xy=True)
            converted = shapely.transform(present, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    out[mask] = list(converted)
    return out


def write_boundaries(path: Path | str, layers: dict) -> None:
    """Write GeoDataFrames in WGS-84: a GeoPackage layer each; GeoJSON and Shapefile take one frame
    (GeoJSON: several are concatenated)."""
    import pandas as pd
    import pyogrio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BOUNDARY_SUFFIXES:
        raise BoundaryFileError(f"导出文件 {path.name}: 边界只能导出为 .gpkg、.geojson 或 .shp")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gpkg":
        if path.exists():
            path.unlink()
        for name, frame in layers.items():
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())
        return
    if suffix == ".shp" and len(layers) > 1:
        raise BoundaryFileError(f"导出文件 {path.name}: Shapefile 只能放一个级别, 请用 --level 指定 (或导出为 .gpkg)")
    frame = pd.concat(list(layers.values()), ignore_index=True) if len(layers) > 1 else next(iter(layers.values()))
    if suffix == ".shp":
        pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding="UTF-8")
    else:
        # RFC 7946: WGS-84, no crs member; GDAL writes it so.
        pyogrio.write_dataframe(frame, path, driver="GeoJSON", layer_options={"RFC7946": "YES",
                                                                               "COORDINATE_PRECISION": "7"})
