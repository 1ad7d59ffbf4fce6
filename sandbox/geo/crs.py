"""GCJ-02 (Amap/Tencent "Mars" coordinates) ↔ WGS-84 for arrays and shapely geometries."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = [
    "SOURCE_CRS_GCJ02",
    "WGS84",
    "in_china_xy",
    "wgs84_to_gcj02_xy",
    "gcj02_to_wgs84_xy",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
]

SOURCE_CRS_GCJ02 = "GCJ-02"
WGS84 = "EPSG:4326"

# The published GCJ-02 obfuscation formulas, exactly as in prcoords.wgs_gcj (Krasovsky 1940
# constants; the offsets are computed in metres and turned into degrees). Vectorised here because
# prcoords works point by point and check-in imports convert hundreds of thousands of points.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
# prcoords.sanity_in_china_p: outside this box no offset is applied.
_CHINA_LAT = (0.8293, 55.8271)
_CHINA_LON = (72.004, 137.8347)
# Inverse iteration: each step shrinks the error by ~500x (the offset changes by at most ~2 m
# per km), so once a correction is below 1e-9° what remains after it is ~1e-12°.
_INVERSE_MAX_ITER = 10
_INVERSE_EPS = 1e-9


def _as_float_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    if lons.shape != lats.shape:
        raise ValueError(f"lons and lats differ in shape: {lons.shape} vs {lats.shape}")
    return lons, lats


def in_china_xy(lons, lats) -> np.ndarray:
    """Boolean mask of points inside the box where GCJ-02 applies (prcoords' sanity box)."""
    lons, lats = _as_float_arrays(lons, lats)
    return (
        (lats >= _CHINA_LAT[0]) & (lats <= _CHINA_LAT[1]) & (lons >= _CHINA_LON[0]) & (lons <= _CHINA_LON[1])
    )


def _gcj_offset(lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset in degrees (dlon, dlat) that GCJ-02 adds to a WGS-84 point."""
    x = lons - 105.0
    y = lats - 35.0
    pi = np.pi
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = 2.0 * np.sin(x * 6.0 * pi) + 2.0 * np.sin(x * 2.0 * pi)
    dlat_m = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
        + (
            common
            + 2.0 * np.sin(y * pi) + 4.0 * np.sin(y / 3.0 * pi)
            + 16.0 * np.sin(y / 12.0 * pi) + 32.0 * np.sin(y / 30.0 * pi)
        ) * 20.0 / 3.0
    )
    dlon_m = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
        + (
            common
            + 2.0 * np.sin(x * pi) + 4.0 * np.sin(x / 3.0 * pi)
            + 15.0 * np.sin(x / 12.0 * pi) + 30.0 * np.sin(x / 30.0 * pi)
        ) * 20.0 / 3.0
    )
    rad_lat = np.radians(lats)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    lat_deg_arclen = np.radians(_GCJ_A * (1.0 - _GCJ_EE) / magic**1.5)
    lon_deg_arclen = np.radians(_GCJ_A * np.cos(rad_lat) / np.sqrt(magic))
    return dlon_m / lon_deg_arclen, dlat_m / lat_deg_arclen


def wgs84_to_gcj02_xy(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → GCJ-02 for arrays of longitudes and latitudes (degrees); outside China unchanged."""
    lons, lats = _as_float_arrays(lons, lats)
    out_lon, out_lat = lons.copy(), lats.copy()
    inside = in_china_xy(lons, lats)  # NaN compares False: missing points stay NaN
    dlon, dlat = _gcj_offset(lons[inside], lats[inside])
    out_lon[inside] += dlon
    out_lat[inside] += dlat
    return out_lon, out_lat


def gcj02_to_wgs84_xy(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 for arrays (degrees); outside China unchanged.

    GCJ-02 has no closed-form inverse: start from the rough inverse (subtract the offset taken at
    the GCJ point) and fix-point iterate like prcoords.gcj_wgs_bored, to ~1e-12 degrees.
    """
    lons, lats = _as_float_arrays(lons, lats)
    out_lon, out_lat = lons.copy(), lats.copy()
    inside = in_china_xy(lons, lats)
    glon, glat = lons[inside], lats[inside]
    dlon, dlat = _gcj_offset(glon, glat)
    wlon, wlat = glon - dlon, glat - dlat
    for _ in range(_INVERSE_MAX_ITER):
        if wlon.size == 0:
            break
        dlon, dlat = _gcj_offset(wlon, wlat)
        err_lon = wlon + dlon - glon
        err_lat = wlat + dlat - glat
        wlon = wlon - err_lon
        wlat = wlat - err_lat
        if max(np.abs(err_lon).max(), np.abs(err_lat).max()) < _INVERSE_EPS:
            break
    out_lon[inside] = wlon
    out_lat[inside] = wlat
    return out_lon, out_lat


def _geometry_transform(geom, fn):
    def apply(coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return coords
        x, y = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    # include_z=False: the sandbox is 2-D; heights (if any) are not meaningful after the shift.
    return shapely.transform(geom, apply)


def wgs84_to_gcj02(geom):
    """WGS-84 → GCJ-02 for any shapely geometry (or array of them); returns a new geometry."""
    return _geometry_transform(geom, wgs84_to_gcj02_xy)


def gcj02_to_wgs84(geom):
    """GCJ-02 → WGS-84 for any shapely geometry (or array of them); returns a new geometry."""
    return _geometry_transform(geom, gcj02_to_wgs84_xy)
