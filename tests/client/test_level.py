"""One request per map level (GET /level), kept in the offline cache as its parts; the first level
primed before the wall exists; the fan-out against an API without GET /level."""

from __future__ import annotations

import json
import threading
import time

import pytest

from sandbox.client.api import ApiClient, ApiUnavailable, Unreachable
from sandbox.client.cache import ResponseCache
from sandbox.client.prime import Primed
from sandbox.ui.loader import fetch

TOWN = "522726101000"
REGION = {"code": TOWN, "name": "百泉镇", "level": "town", "parent_code": "522726000000", "year": 2020,
          "years": [2019, 2020], "children": [], "indicators": {}, "as_of": "2020-12-31"}
FC = {"type": "FeatureCollection", "year": 2020, "as_of": "2020-12-31", "bbox": [107.0, 25.0, 107.1, 25.1],
      "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
          [[107.0, 25.0], [107.1, 25.0], [107.1, 25.1], [107.0, 25.0]]]},
          "properties": {"code": "522726101201", "name": "甲村", "level": "village", "poverty_incidence": 1.0}}]}
SERIES = {"code": TOWN, "years": [2019, 2020], "as_of": "2020-12-31",
          "children": {"522726101201": {"2019": {"poverty_incidence": 2.0}, "2020": {"poverty_incidence": 1.0}}}}


class Api(ApiClient):
    """Answers the region endpoints (GET /level unless `old`), counting the requests; `down`: no answer."""

    def __init__(self, cache=None, *, old: bool = False):
        super().__init__("http://api.test", "tok", cache=cache, retries=0)
        self.old, self.down, self.paths = old, False, []
        self.lock = threading.Lock()

    def transport(self, path, params):
        with self.lock:
            self.paths.append(path)
        if self.down:
            raise Unreachable("ConnectionError")
        answers = {f"/regions/{TOWN}": REGION, f"/regions/{TOWN}/children.geojson": FC,
                   f"/regions/{TOWN}/children/series": SERIES, "/indicators": []}
        if not self.old:
            answers[f"/regions/{TOWN}/level"] = {"region": REGION, "children": FC, "children_series": SERIES}
        if path not in answers:
            return 404, json.dumps({"detail": "Not Found"}).encode()
        return 200, json.dumps(answers[path], ensure_ascii=False).encode()


def test_a_cold_level_is_one_request():
    api = Api()
    result = fetch(api, TOWN, None, False)
    assert api.paths == [f"/regions/{TOWN}/level"]
    assert result.region["code"] == TOWN and [f.code for f in result.region_map.features] == ["522726101201"]
    assert result.series.years == [2019, 2020]
    assert result.series.map_for(2019).feature("522726101201").value("poverty_incidence") == 2.0


def test_an_api_without_level_gets_the_parts_and_is_not_asked_again():
    api = Api(old=True)
    first = fetch(api, TOWN, None, False)
    assert sorted(api.paths) == sorted([f"/regions/{TOWN}/level", f"/regions/{TOWN}",
                                        f"/regions/{TOWN}/children.geojson", f"/regions/{TOWN}/children/series"])
    assert api.level_endpoint is False and first.series.years == [2019, 2020]
    api.paths.clear()
    fetch(api, TOWN, None, False)
    assert f"/regions/{TOWN}/level" not in api.paths and len(api.paths) == 3


def test_an_unknown_region_is_still_a_404_and_the_endpoint_stays():
    api = Api()
    with pytest.raises(Exception) as err:
        fetch(api, "522726199000", None, False)
    assert getattr(err.value, "status", None) == 404
    assert api.level_endpoint is True


def test_a_level_is_cached_as_its_parts_so_offline_each_part_stands_alone(tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    api = Api(cache)
    online = fetch(api, TOWN, None, False)
    assert len(cache.entries()) == 3  # region, children.geojson, children/series: no fourth copy
    api.down = True
    api.paths.clear()
    offline = fetch(api, TOWN, None, False)
    # one attempt, then the parts from the cache: a hung API is waited for once, not once more per part
    assert api.paths == [f"/regions/{TOWN}/level"]
    assert offline.region == online.region and offline.series.years == online.series.years
    assert [f.properties for f in offline.region_map.features] == [f.properties for f in online.region_map.features]
    with pytest.raises(ApiUnavailable):
        api.level(TOWN, 2019)  # never fetched: nothing to serve
    series_entry = [f for f in cache.entries() if b"children/series" in f.read_bytes().partition(b"\n")[0]]
    assert len(series_entry) == 1
    series_entry[0].write_bytes(series_entry[0].read_bytes()[:-40] + b"\0" * 40)  # a cut write: discarded
    partial = fetch(api, TOWN, None, False)
    assert partial.missing == ("历年数据",) and partial.region == online.region  # this year's map, not the others
    assert [f.code for f in partial.region_map.features] == ["522726101201"] and partial.series is None


def test_the_first_level_goes_out_before_the_wall_asks_and_is_taken_once():
    api = Api()
    gate = threading.Event()
    real = api.transport

    def slow(path, params):
        gate.wait(5)
        return real(path, params)

    api.transport = slow
    api.prime_first_level(TOWN)
    time.sleep(0.05)
    assert sorted(api.paths) == []  # still waiting at the gate: in flight, not yet answered
    gate.set()
    result = fetch(api, TOWN, None, True)  # what the wall's first load asks for
    assert sorted(api.paths) == ["/indicators", f"/regions/{TOWN}/level"]  # no second request for either
    assert result.region["code"] == TOWN and result.indicators == []
    fetch(api, TOWN, None, True)
    assert len(api.paths) == 4  # taken once: later loads ask afresh


def test_a_primed_answer_nobody_took_in_time_is_dropped():
    now = [0.0]
    primed = Primed(ttl=30.0, clock=lambda: now[0])
    primed.start("k", lambda: 1)
    now[0] = 31.0
    assert primed.take("k") is None
    primed.start("k", lambda: 2)
    assert primed.take("k").result() == 2 and primed.take("k") is None
