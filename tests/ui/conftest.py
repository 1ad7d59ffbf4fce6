"""Fixtures for the wall's tests: offscreen Qt, the theme, hand-made square regions, a fake API client."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import copy
import sys
import threading
from pathlib import Path

try:
    import sandbox  # noqa: F401
except ModuleNotFoundError:  # not pip-installed: run from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pytest

from sandbox.client.api import ApiError

COUNTY = "522726000000"
AS_OF = "2020-12-31T18:00:00+08:00"

INDICATORS = [
    {"key": "poverty_incidence", "label_zh": "贫困发生率", "unit": "%", "formula": "…",
     "higher_is_better": False, "classification": "natural_breaks"},
    {"key": "poor_population", "label_zh": "贫困人口", "unit": "人", "formula": "…",
     "higher_is_better": False, "classification": "natural_breaks"},
    {"key": "housing_safe_rate", "label_zh": "住房安全保障率", "unit": "%", "formula": "…",
     "higher_is_better": True, "classification": "quantiles"},
]


def square(lon: float, lat: float, size: float) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def grid_fc(rows: int, cols: int, values: list, *, size: float = 0.1, names: list[str] | None = None,
            demo: bool = False, year: int = 2016, lon0: float = 107.4, lat0: float = 25.7) -> dict:
    """rows×cols squares (row 0 at the north), town codes 522726101000…, poverty_incidence = values."""
    features = []
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        lon, lat = lon0 + c * size, lat0 + (rows - 1 - r) * size
        code = f"522726{101 + i:03d}000"
        v = values[i]
        features.append({
            "type": "Feature",
            "geometry": square(lon, lat, size),
            "properties": {
                "code": code, "name": names[i] if names else f"第{i + 1}镇", "level": "town",
                "label_point": [lon + size / 2, lat + size / 2],
                "poverty_incidence": v, "poor_population": None if v is None else int(v * 100),
                "housing_safe_rate": None if v is None else 100 - v,
            },
        })
    return {
        "type": "FeatureCollection", "features": features, "year": year, "as_of": AS_OF,
        "demo": demo, "data_label": "演示数据" if demo else None,
        "bbox": [lon0, lat0, lon0 + cols * size, lat0 + rows * size],
        "parent": {"code": COUNTY, "name": "独山县", "level": "county"},
    }


def region_payload(fc: dict, *, demo: bool = False) -> dict:
    return {
        "code": COUNTY, "name": "独山县", "level": "county", "level_zh": "县", "parent_code": "522700000000",
        "year": fc["year"], "years": list(range(2014, 2021)),
        "children": [{"code": f["properties"]["code"], "name": f["properties"].get("name"), "level": "town"}
                     for f in fc["features"]],
        "indicators": {"poverty_incidence": 15.1, "poor_population": 45123, "poor_households": 12001,
                       "exited_population": 30000, "rural_population": 300000, "villages": 133,
                       "poor_villages": 68},
        "is_poor_village": None, "demo": demo, "data_label": "演示数据" if demo else None, "as_of": AS_OF,
    }


class FakeClient:
    """Answers like ApiClient from hand-made data; set `fail` to an exception to make calls raise."""

    def __init__(self, fc: dict, *, demo: bool = False):
        self.fc = fc
        self.demo = demo
        self.fail: Exception | None = None
        self.calls: list[tuple] = []
        self.gate: threading.Event | None = None  # when set, calls block until it is released
        self.threads: set[str] = set()

    def _enter(self, *call) -> None:
        self.calls.append(call)
        self.threads.add(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail is not None:
            raise self.fail

    def health(self) -> dict:
        self._enter("health")
        return {"status": "ok", "data_as_of": AS_OF}

    def indicators(self) -> list[dict]:
        self._enter("indicators")
        return copy.deepcopy(INDICATORS)

    def region(self, code: str, year: int | None = None) -> dict:
        self._enter("region", code, year)
        if code != COUNTY:
            raise ApiError(404, f"未找到区划代码 {code}")
        return region_payload(self.fc, demo=self.demo)

    def children_geojson(self, code: str, year: int | None = None) -> dict:
        self._enter("children_geojson", code, year)
        return copy.deepcopy(self.fc)


@pytest.fixture
def themed_app(qapp):
    from sandbox.ui.theme import apply_theme

    apply_theme(qapp)
    return qapp


@pytest.fixture
def squares_fc() -> dict:
    """2×3 squares: five distinct values and one 无数据 (top right)."""
    return grid_fc(2, 3, [2.0, 8.0, None, 14.0, 20.0, 26.0],
                   names=["百泉镇", "麻尾镇", "影山镇", "基长镇", "玉水镇", "上司镇"])


@pytest.fixture
def fake_client(squares_fc) -> FakeClient:
    return FakeClient(squares_fc)


@pytest.fixture
def make_fc():
    return grid_fc


@pytest.fixture
def make_client():
    return FakeClient


@pytest.fixture
def indicators_payload() -> list[dict]:
    return copy.deepcopy(INDICATORS)
