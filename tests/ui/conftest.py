"""Fixtures for the wall's tests: offscreen Qt, the theme, hand-made square regions, a fake API client."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import copy
import sys
from pathlib import Path

try:
    import sandbox  # noqa: F401
except ModuleNotFoundError:  # not pip-installed: run from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pytest

from sandbox.client.api import ApiError, ApiUnavailable
from tests.api_double import ApiDouble, Recorder

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


class FakeClient(Recorder, ApiDouble):
    """The API client answering from hand-made data; set `fail` to an exception to make calls raise."""

    def __init__(self, fc: dict, *, demo: bool = False):
        super().__init__()
        self._init_recorder()
        self.fc = fc
        self.demo = demo

    def handle_health(self) -> dict:
        self._enter("health")
        return {"status": "ok", "data_as_of": AS_OF}

    def handle_indicators(self) -> list[dict]:
        self._enter("indicators")
        return copy.deepcopy(INDICATORS)

    def handle_region(self, code: str, year: int | None = None) -> dict:
        self._enter("region", code, year)
        if code != COUNTY:
            raise ApiError(404, f"未找到区划代码 {code}")
        return region_payload(self.fc, demo=self.demo)

    def handle_children_geojson(self, code: str, year: int | None = None) -> dict:
        self._enter("children_geojson", code, year)
        return copy.deepcopy(self.fc)

    def handle_children_series(self, code: str) -> dict:
        """Every year the same values as the one FeatureCollection (that is what children_geojson answers)."""
        self._enter("children_series", code)
        if code != COUNTY:
            raise ApiError(404, f"未找到区划代码 {code}")
        keys = ("poverty_incidence", "poor_population", "housing_safe_rate")
        values = {f["properties"]["code"]: {k: f["properties"].get(k) for k in keys} for f in self.fc["features"]}
        years = list(range(2014, 2021))
        return {"code": COUNTY, "years": years, "as_of": AS_OF,
                "children": {c: {str(y): dict(v) for y in years} for c, v in values.items()}}


def shown_wall(qtbot, client, *, size: tuple[int, int] = (1600, 900), **kw):
    """A WallWindow over `client` (its retry 10 minutes off: none fires in a test), shown at `size` and exposed."""
    from sandbox.ui.wall import WallWindow  # here, not at the top: the start tests watch when the wall imports

    w = WallWindow(client, retry_seconds=600, **kw)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    return w


def settle(qtbot, wall, timeout: int = 60000):
    """Wait until the wall shows data, loads nothing, is not animating and its worker is idle."""
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading and not wall.canvas.animating
                    and not wall.worker.busy(), timeout=timeout)
    return wall


@pytest.fixture(scope="session")
def real_api(demo_engine):
    """The real FastAPI app served on 127.0.0.1 by the embedded server, as main.py runs it."""
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    yield server, {role: new_token(demo_engine, role) for role in ("display", "delegation")}
    server.stop()


@pytest.fixture
def real_client(real_api):
    """A display-role client of `real_api`."""
    from sandbox.client.api import ApiClient

    server, tokens = real_api
    client = ApiClient(server.url, tokens["display"])
    yield client
    client.close()


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


@pytest.fixture
def map_state(squares_fc, indicators_payload):
    """The county's map of `squares_fc` in 2016, with the indicators' registry."""
    from sandbox.ui.state import IndicatorInfo, MapState, RegionMap

    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    st.show(COUNTY, 2016, RegionMap.from_geojson(squares_fc))
    return st


@pytest.fixture
def canvas(qtbot, map_state):
    """A 900×600 map canvas of `map_state`, shown."""
    from sandbox.ui.map_canvas import MapCanvas

    w = MapCanvas(map_state)
    qtbot.addWidget(w)
    w.resize(900, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture(scope="module")
def province_api(tmp_path_factory):
    """贵州's first 2 counties (独山县 in 黔南州, 南明区 in 贵阳市) in SQLite, served over HTTP: (url, display token)."""
    from sandbox.server.runtime import EmbeddedServer, new_token
    from sandbox.store.db import make_engine
    from sandbox.store.demo.province import build_province
    from sandbox.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("province")
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    upgrade(engine)
    build_province(engine, "52", counties=2, progress=False, files_dir=folder / "files")
    server = EmbeddedServer(engine).start()
    yield server.url, new_token(engine, "display")
    server.stop()
    engine.dispose()


# -- a three-level fake county: 6 towns in a 2×3 grid, each split into 2×2 villages, 2014–2020 -------------

YEARS = list(range(2014, 2021))
TOWN_NAMES = ["百泉镇", "麻尾镇", "影山镇", "基长镇", "玉水镇", "上司镇"]
LEAFLESS_TOWN = "522726106000"  # 上司镇: no villages on record (a region without children)
NO_DATA_VILLAGE = "522726105204"  # no poverty figures in any year
COUNTY_INDICATORS = [*INDICATORS, {
    "key": "relapse_rate", "label_zh": "返贫率", "unit": "%", "formula": "…", "higher_is_better": False,
    "classification": "quantiles"}]


def town_code(i: int) -> str:
    return f"522726{101 + i:03d}000"


def village_code(i: int, j: int) -> str:
    return f"522726{101 + i:03d}{201 + j:03d}"


def town_incidence(i: int, year: int) -> float:
    """28, 24, 20 … % in 2014 falling 4 points a year: town i in year y equals town i+1 in year y−1."""
    return float(max(0.0, 28.0 - 4.0 * i - 4.0 * (year - 2014)))


def _props(code: str, name: str, level: str, incidence: float | None, lp) -> dict:
    return {
        "code": code, "name": name, "level": level, "label_point": lp,
        "poverty_incidence": incidence,
        "poor_population": None if incidence is None else int(round(incidence * 100)),
        "housing_safe_rate": None if incidence is None else round(100.0 - incidence, 2),
        "relapse_rate": None,  # an indicator nobody reported: 无数据 everywhere, never 0
    }


class FakeCounty(Recorder, ApiDouble):
    """The API client for a county → town → village hierarchy; households masked as for `display`.

    `fail_codes`: region/children calls for these codes raise ApiUnavailable (the API failing mid-drill);
    `role="delegation"` makes GET /households answer 403 like the real API.
    """

    size = 0.1

    def __init__(self, *, role: str = "display", demo: bool = True):
        super().__init__()
        self._init_recorder()
        self.role = role
        self.demo = demo
        self.fail_codes: set[str] = set()

    def _enter(self, *call) -> None:
        super()._enter(*call)
        if len(call) > 1 and call[1] in self.fail_codes:
            raise ApiUnavailable("无法连接中心数据接口: ConnectionError")

    # geometry ------------------------------------------------------------------------------------
    def town_square(self, i: int) -> tuple[float, float]:
        r, c = divmod(i, 3)
        return 107.4 + c * self.size, 25.7 + (1 - r) * self.size

    def village_square(self, i: int, j: int) -> tuple[float, float]:
        lon, lat = self.town_square(i)
        r, c = divmod(j, 2)
        return lon + c * self.size / 2, lat + (1 - r) * self.size / 2

    # data ------------------------------------------------------------------------------------------
    def incidence(self, code: str, year: int) -> float | None:
        i = int(code[6:9]) - 101
        if code.endswith("000"):
            return town_incidence(i, year)
        if code == NO_DATA_VILLAGE:
            return None
        j = int(code[9:]) - 201
        return round(max(0.0, town_incidence(i, year) + (j - 1.5)), 2)

    def _level(self, code: str) -> str:
        if code in ("522726", "522726000000"):
            return "county"
        return "town" if code.endswith("000") else "village"

    def _name(self, code: str) -> str:
        level = self._level(code)
        if level == "county":
            return "独山县"
        i = int(code[6:9]) - 101
        return TOWN_NAMES[i] if level == "town" else f"{TOWN_NAMES[i][:2]}{int(code[9:]) - 200}村"

    def _children(self, code: str) -> list[str]:
        level = self._level(code)
        if level == "county":
            return [town_code(i) for i in range(6)]
        if level == "town" and code != LEAFLESS_TOWN:
            i = int(code[6:9]) - 101
            return [village_code(i, j) for j in range(4)]
        return []

    def _check(self, code: str) -> None:
        level = self._level(code)
        if level == "county":
            return
        i = int(code[6:9]) - 101
        if not 0 <= i < 6 or (level == "village" and (code[:9] + "000" == LEAFLESS_TOWN
                                                       or not 0 <= int(code[9:]) - 201 < 4)):
            raise ApiError(404, f"未找到区划代码 {code}")

    # API -------------------------------------------------------------------------------------------
    def handle_health(self) -> dict:
        self._enter("health")
        return {"status": "ok", "data_as_of": AS_OF, "root_region": COUNTY}

    def handle_indicators(self) -> list[dict]:
        self._enter("indicators")
        return copy.deepcopy(COUNTY_INDICATORS)

    def handle_region(self, code: str, year: int | None = None) -> dict:
        self._enter("region", code, year)
        self._check(code)
        year = year or YEARS[-1]
        level = self._level(code)
        code = COUNTY if level == "county" else code
        inc = None if level == "county" else self.incidence(code, year)
        parent = {"county": "522700000000", "town": COUNTY, "village": code[:9] + "000"}[level]
        village_no = int(code[9:]) - 201 if level == "village" else 0
        return {
            "code": code, "name": self._name(code), "level": level,
            "level_zh": {"county": "县", "town": "乡镇", "village": "行政村"}[level],
            "parent_code": parent, "year": year, "years": list(YEARS),
            "children": [{"code": c, "name": self._name(c), "level": self._level(c)} for c in self._children(code)],
            "indicators": {"poverty_incidence": 15.1 if inc is None else inc, "poor_population": 4512,
                           "poor_households": 1200, "exited_population": 3000, "rural_population": 30000,
                           "villages": 24, "poor_villages": 12, "housing_safe_rate": 96.5, "relapse_rate": None},
            "breakdowns": {},
            "is_poor_village": (village_no % 2 == 0) if level == "village" else None,
            "poor_village_exit_year": 2018 if level == "village" and village_no % 2 == 0 else None,
            "demo": self.demo, "data_label": "演示数据" if self.demo else None, "as_of": AS_OF,
        }

    def handle_children_geojson(self, code: str, year: int | None = None) -> dict:
        self._enter("children_geojson", code, year)
        self._check(code)
        year = year or YEARS[-1]
        level = self._level(code)
        code = COUNTY if level == "county" else code
        features, half = [], self.size / 2
        for c in self._children(code):
            if self._level(c) == "town":
                i = int(c[6:9]) - 101
                (lon, lat), size = self.town_square(i), self.size
            else:
                i, j = int(c[6:9]) - 101, int(c[9:]) - 201
                (lon, lat), size = self.village_square(i, j), half
            props = _props(c, self._name(c), self._level(c), self.incidence(c, year),
                           [lon + size / 2, lat + size / 2])
            if self._level(c) == "village":  # as the API: the 贫困村 status and exit year on the feature too
                props["is_poor_village"] = (int(c[9:]) - 201) % 2 == 0
                props["poor_village_exit_year"] = 2018 if props["is_poor_village"] else None
            features.append({"type": "Feature", "geometry": square(lon, lat, size), "properties": props})
        bbox = None
        if features:
            xs = [p[0] for f in features for p in f["geometry"]["coordinates"][0]]
            ys = [p[1] for f in features for p in f["geometry"]["coordinates"][0]]
            bbox = [min(xs), min(ys), max(xs), max(ys)]
        return {"type": "FeatureCollection", "features": features, "year": year, "as_of": AS_OF, "bbox": bbox,
                "demo": self.demo, "data_label": "演示数据" if self.demo else None,
                "parent": {"code": code, "name": self._name(code), "level": level}}

    def handle_children_series(self, code: str) -> dict:
        self._enter("children_series", code)
        self._check(code)
        level = self._level(code)
        code = COUNTY if level == "county" else code
        keys = ("poverty_incidence", "poor_population", "housing_safe_rate", "relapse_rate")
        children = {}
        for c in self._children(code):
            children[c] = {str(y): {k: v for k, v in _props(c, "", "", self.incidence(c, y), None).items() if k in keys}
                           for y in YEARS}
        return {"code": code, "years": list(YEARS), "as_of": AS_OF, "children": children}

    def handle_households(self, region: str, status: str | None = None, page: int = 1, year: int | None = None) -> dict:
        self._enter("households", region, page)
        if self.role == "delegation":
            raise ApiError(403, "当前角色(参观接待)无权访问此接口,仅限: 管理员、领导、大屏展示")
        total, size = 23, 10
        start = (page - 1) * size
        items = [{
            "id": n, "household_number": f"{region}{n:05d}", "head_name": f"王*{'明华军'[n % 3]}",
            "id_number": f"522726********{1000 + n:04d}", "phone": f"138****{2000 + n:04d}",
            "attribute_zh": "一般贫困户", "status_zh": "已脱贫", "members": 3, "main_cause_zh": "因病",
            "exit_batch_zh": "发展生产脱贫一批", "per_capita_net_income": 8000.0 + n,
        } for n in range(start + 1, min(total, start + size) + 1)]
        return {"region": region, "year": YEARS[-1], "page": page, "page_size": size, "total": total, "items": items}


@pytest.fixture
def county_client() -> FakeCounty:
    return FakeCounty()


@pytest.fixture
def make_county():
    return FakeCounty
