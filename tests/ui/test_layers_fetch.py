"""A level's layer requests go out at the same time (one round trip, not five in a row), through the
API client's typed methods; a failing part empties that part only."""

from __future__ import annotations

import datetime as dt
import threading

from sandbox.client.api import ApiError
from sandbox.ui.layers.data import CHINA_TZ, fetch_layers, fetch_project
from tests.api_double import ApiDouble

COUNTY = "522726000000"
NOW = dt.datetime(2020, 11, 29, 10, 0, tzinfo=CHINA_TZ)
LAYERS = {"projects", "funds", "checkins", "visits", "cameras"}


class SlowLayers(ApiDouble):
    """The endpoints named in `together` answer only once all of them are in flight (asked one after
    another, the first never would: the barrier breaks and the fetch fails); records what was asked."""

    def __init__(self, together: set[str] = frozenset()):
        super().__init__()
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.asked: list[tuple] = []
        self.fail: set[str] = set()
        self.together = together
        self.barrier = threading.Barrier(max(1, len(together)), timeout=10)

    def _slow(self, name: str, answer, **args):
        with self.lock:
            self.asked.append((name, args))
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            if name in self.together:
                self.barrier.wait()
            if name in self.fail:
                raise ApiError(500, "boom")
            return answer
        finally:
            with self.lock:
                self.in_flight -= 1

    def handle_projects(self, region, year=None):
        return self._slow("projects", [{"id": 1, "name": "茶园", "lon": 107.5, "lat": 25.8, "region_code": region}],
                          region=region, year=year)

    def handle_funds_chain(self, region, through=None, project=None):
        return self._slow("funds", {"anomalies": []}, region=region, through=through, project=project)

    def handle_checkins(self, region, since=None, until=None):
        return self._slow("checkins", [{"id": 5, "at": "2020-10-30T09:00:00", "lon": 107.5, "lat": 25.8,
                                        "village_code": "522726101201"}], region=region, since=since, until=until)

    def handle_checkin_visits(self, region, month=None):
        return self._slow("visits", {"children": []}, region=region, month=month)

    def handle_cameras(self, region=None):
        return self._slow("cameras", [{"id": 3, "project_id": 1}], region=region)

    def handle_project(self, project_id, year=None):
        return self._slow("project", {"id": project_id, "region_code": COUNTY}, project_id=project_id, year=year)


def test_a_levels_layers_are_fetched_at_the_same_time():
    client = SlowLayers(together=LAYERS)
    out = fetch_layers(client, COUNTY, 2020, now=NOW)
    assert sorted(name for name, _ in client.asked) == ["cameras", "checkins", "funds", "projects", "visits"]
    assert client.most == 5  # one round trip, not five in a row
    assert [p.id for p in out.projects] == [1] and [c.id for c in out.checkins] == [5]
    assert out.cameras == [{"id": 3, "project_id": 1}] and out.chain == {"anomalies": []} and out.errors == {}
    asked = dict(client.asked)
    assert asked["visits"] == {"region": COUNTY, "month": "2020-11"}
    assert asked["funds"]["through"] == 2020 and asked["projects"]["year"] == 2020


def test_a_past_year_asks_for_its_visits_once_its_checkins_are_in():
    # the month of a past year's visit rates is the month its check-ins end in: known only after them
    client = SlowLayers(together=LAYERS - {"visits"})
    out = fetch_layers(client, COUNTY, 2019, now=NOW)
    assert client.most == 4 and [n for n, _ in client.asked][-1] == "visits"
    assert dict(client.asked)["visits"]["month"] == "2020-10"
    assert out.window[1] == dt.datetime(2020, 11, 1, tzinfo=CHINA_TZ)


def test_a_failing_part_empties_that_part_only():
    client = SlowLayers()
    client.fail = {"funds", "checkins"}
    out = fetch_layers(client, COUNTY, 2020, now=NOW)
    assert set(out.errors) == {"funds", "checkins"} and "内部错误（500）" in out.errors["funds"]
    assert out.chain == {} and out.checkins == [] and [p.id for p in out.projects] == [1]


def test_a_project_card_asks_for_its_chain_and_cameras_together():
    client = SlowLayers(together={"funds", "cameras"})
    detail = fetch_project(client, 1, 2020)
    assert [n for n, _ in client.asked][0] == "project" and client.most == 2
    assert detail.cameras == [{"id": 3, "project_id": 1}] and detail.chain == {"anomalies": []}
    assert dict(client.asked)["funds"] == {"region": COUNTY, "through": 2020, "project": 1}


def test_a_province_or_prefecture_asks_for_the_fund_chain_alone():
    """Their maps draw no project, check-in or camera marker (Overlay.above_county): none is asked for."""
    for region in ("520000000000", "52", "522700000000"):
        client = SlowLayers()
        out = fetch_layers(client, region, 2020, now=NOW)
        assert client.asked == [("funds", {"region": region, "through": 2020, "project": None})], region
        assert out.chain == {"anomalies": []} and out.projects == [] and out.checkins == [] and out.cameras == []
    client = SlowLayers()
    fetch_layers(client, "522726101000", 2020, now=NOW)  # a town: every layer, as a county
    assert sorted(name for name, _ in client.asked) == ["cameras", "checkins", "funds", "projects", "visits"]


def test_a_province_whose_fund_chain_fails_says_so():
    client = SlowLayers()
    client.fail = {"funds"}
    out = fetch_layers(client, "520000000000", 2020, now=NOW)
    assert out.chain == {} and set(out.errors) == {"funds"}
