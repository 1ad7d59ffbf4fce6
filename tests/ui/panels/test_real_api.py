"""The panels against the real central API (embedded server over HTTP, demo county, display token)."""

import threading

import pytest

from sandbox.client.api import ApiClient
from sandbox.ui.panels.column import PanelsColumn
from sandbox.ui.panels.kpi import KpiStrip
from sandbox.ui.panels.paint import PanelColors

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


class RecordingClient(ApiClient):
    """A real ApiClient that notes each request's path and the thread it ran on."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.threads: set[str] = set()
        self.paths: list[tuple[str, dict]] = []

    def transport(self, path, params):
        self.threads.add(threading.current_thread().name)
        self.paths.append((path, dict(params)))
        return super().transport(path, params)


@pytest.fixture
def live_api(real_api):
    """The real embedded API (tests/ui/conftest.py) as (url, display token)."""
    server, tokens = real_api
    return server.url, tokens["display"]


def test_panels_show_the_demo_county_from_the_api(qtbot, live_api):
    url, token = live_api
    wall_client = ApiClient(url, token)  # what the window already fetched for the header and map
    region = wall_client.region("522726", 2016)
    strip_client, column_client = RecordingClient(url, token), RecordingClient(url, token)

    strip = KpiStrip(strip_client, animate=False)
    col = PanelsColumn(column_client, retry_seconds=600)
    for w in (strip, col):
        qtbot.addWidget(w)
    strip.resize(1888, strip.height())
    col.resize(480, 1000)
    strip.show()
    col.show()
    with qtbot.waitSignal(col.trend.trendChanged, timeout=15000):
        strip.update_region(region)
        col.update_region(region)

    assert strip.card("poor_population").display_text == "46,572人"
    assert strip.card("poverty_incidence").display_text == "15.1%"
    assert strip.card("poor_villages").figure.total == 74
    qtbot.waitUntil(lambda: strip.card("poverty_incidence").figure.note != "", timeout=15000)
    assert strip.card("poverty_incidence").figure.note.startswith("较上年下降")
    assert strip.as_of_block.as_of_line.startswith("数据截至 ")

    points = dict(col.trend.points())
    assert sorted(points) == list(range(2014, 2021))
    assert points[2016] == pytest.approx(15.1)
    assert points[2019] < 3.0  # the story: under the exit line by the end of 2019
    assert col.trend.exit_line_value() == 3.0
    assert sum(r.households for r in col.exit_batch.chart.rows) == region["indicators"]["poor_households"]
    assert col.causes.chart.breakdown.households == region["indicators"]["poor_households"]
    assert all(p.as_of_label.startswith("数据截至 ") for p in col.panels)
    # the region came with its own series: last year's figures and the trend cost no request
    assert strip_client.threads == set() and column_client.threads == set()

    # 2020: every guarantee met, the county has left the list
    region_2020 = wall_client.region("522726", 2020)
    strip.update_region(region_2020)
    col.update_region(region_2020)
    assert set(col.guarantee.chart.colours().values()) == {PanelColors.good}
    assert strip.card("poor_villages").figure.note == "已全部出列"
    assert col.trend.year == 2020
    strip.shutdown()
    col.shutdown()
    for c in (wall_client, strip_client, column_client):
        c.close()


def test_a_drill_sends_one_region_request_where_it_sent_three(qtbot, live_api):
    """The loader's region request brings the 较上年 figures and the trend along: the strip and the
    trend ask for nothing more. An API whose regions lack their series costs two requests more."""
    from sandbox.ui.loader import fetch

    url, token = live_api
    town = "522726101000"
    shown = {}
    for with_series in (True, False):
        client = RecordingClient(url, token)
        region = dict(fetch(client, town, 2017, with_indicators=False).region)
        assert [p for p, _ in client.paths] == [f"/regions/{town}/level"]  # the region, its map and series in one
        del client.paths[:]
        if not with_series:
            region.pop("series")  # as an API from before the region carried it answers
        strip, col = KpiStrip(client, animate=False), PanelsColumn(client, retry_seconds=600)
        for w in (strip, col):
            qtbot.addWidget(w)
        with qtbot.waitSignal(col.trend.trendChanged, timeout=15000):
            strip.update_region(region)
            col.update_region(region)
        qtbot.waitUntil(lambda: strip.card("poverty_incidence").figure.note.startswith("较上年"), timeout=15000)
        shown[with_series] = (dict(col.trend.points()), strip.card("poverty_incidence").figure.note)
        if with_series:
            assert client.paths == []  # one region request, where there were three
        else:
            assert sorted(client.paths, key=str) == [
                (f"/regions/{town}", {"year": 2016}), (f"/regions/{town}/trend", {"indicator": "poverty_incidence"})]
        strip.shutdown()
        col.shutdown()
        client.close()
    points, note = shown[True]
    assert shown[False] == shown[True]  # the same trend and change line either way
    assert sorted(points) == list(range(2014, 2021)) and points[2017] == region["indicators"]["poverty_incidence"]
    assert note.startswith("较上年下降")
