"""The panels against the real central API (embedded server over HTTP, demo county, display token)."""

import threading

import pytest

from sandbox.client.api import ApiClient
from sandbox.server.runtime import EmbeddedServer, new_token
from sandbox.ui.panels.column import PanelsColumn
from sandbox.ui.panels.kpi import KpiStrip
from sandbox.ui.panels.paint import PanelColors

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


class RecordingClient(ApiClient):
    """A real ApiClient that notes which thread each call ran on."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.threads: set[str] = set()

    def get_json(self, path, **params):
        self.threads.add(threading.current_thread().name)
        return super().get_json(path, **params)


@pytest.fixture(scope="module")
def live_api(demo_engine):
    server = EmbeddedServer(demo_engine).start()
    token = new_token(demo_engine, "display")
    try:
        yield server.url, token
    finally:
        server.stop()


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
    main = threading.main_thread().name
    assert strip_client.threads and main not in strip_client.threads
    assert column_client.threads and main not in column_client.threads

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
