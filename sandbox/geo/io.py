"""Boundary files in and out: GeoPackage, Shapefile and GeoJSON, their CRS named and taken to WGS-84."""

from __future__ import annotations

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
    """A boundary file that cannot be read as it is; the message is one line and names the file."""


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
    if suffix not in BOUNDARY_SUFFIXES:
        raise BoundaryFileError(f"文件 {path.name}: 不支持的边界格式 {suffix or '(无扩展名)'}; "
                                "请用 GeoPackage (.gpkg)、Shapefile (.shp) 或 GeoJSON (.geojson)")
    if not path.is_file():
        raise BoundaryFileError(f"文件 {path} 不存在")
    with path.open("rb") as f:
        head = f.read(512)
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
    _check_content(path)
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in several types
        raise BoundaryFileError(f"文件 {path.name}: 无法读取 ({_first_line(exc)})") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


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
    try:
        with _quiet_gdal():
            frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
    except Exception as exc:  # noqa: BLE001
        raise BoundaryFileError(f"文件 {path.name}" + (f" 图层 {layer}" if layer else "") +
                                f": 无法读取 ({_first_line(exc)})") from None
    file_crs = frame.crs
    chosen = given if given is not None else file_crs
    if chosen is None:
        raise BoundaryFileError(f"文件 {path.name}: 没有声明坐标系; 请用 --crs 指定 (如 --crs EPSG:4490)")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    geoms = np.array([None if g is None or g.is_empty else g for g in geoms], dtype=object)
    attrs = frame.drop(columns=frame.geometry.name)
    return BoundaryLayer(path.name, layer, attrs, geoms, chosen, crs_label(chosen))


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
