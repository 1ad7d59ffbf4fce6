"""Boundaries alone on the real API: the wall shows the county's map with every region 无数据 (the legend
says so), panels that say 无数据 rather than 0 or 当年无未脱贫户, and no error banner."""

import pytest

from sandbox.client.api import ApiClient
from sandbox.ui.fmt import NO_DATA_TEXT
from tests.importers.conftest import COUNTY, TOWNS, VILLAGES, county_features, write_geojson
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture(scope="module")
def boundaries_api(tmp_path_factory):
    from sandbox.server.runtime import EmbeddedServer, new_token
    from sandbox.store.db import make_engine
    from sandbox.store.importers.boundaries import import_boundaries
    from sandbox.store.migrate import upgrade

    tmp = tmp_path_factory.mktemp("boundaries-wall")
    engine = make_engine(f"sqlite:///{tmp / 'county.db'}")
    upgrade(engine)
    import_boundaries(engine, write_geojson(tmp / "xzq.geojson", county_features()))
    server = EmbeddedServer(engine).start()
    client = ApiClient(server.url, new_token(engine, "display"))
    yield client
    client.close()
    server.stop()
    engine.dispose()


def test_the_first_step_of_a_county_is_a_map_of_no_data(qtbot, boundaries_api):
    wall = shown_wall(qtbot, boundaries_api, region=COUNTY, layers=False)
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading and not wall.worker.busy(),
                    timeout=60000)
    st = wall.state
    assert {f.code for f in st.map.region_map.features} == set(TOWNS)
    assert all(f.properties.get("poverty_incidence") is None for f in st.map.region_map.features)
    entries = wall.legend.entries()
    assert entries[-1][1:] == (NO_DATA_TEXT, len(TOWNS)) and all(n == 0 for _, _, n in entries[:-1])
    assert not wall.banner.isVisible()
    # unknown, not "nobody is poor here"
    assert wall.panels.exit_batch.chart.rows is None and wall.panels.causes.chart.breakdown is None
    trend = wall.panels.ensure_trend()
    qtbot.waitUntil(lambda: trend.series is not None, timeout=30000)
    assert trend._body.message.isVisible() and trend._body.message.text() == "暂无年度数据"
    assert not wall.banner.isVisible()



def test_a_village_of_boundaries_alone_is_not_called_non_poor(qtbot, boundaries_api):
    village = next(iter(VILLAGES))
    wall = shown_wall(qtbot, boundaries_api, region=village, layers=False)
    qtbot.waitUntil(wall.village_panel.isVisible, timeout=60000)
    assert wall.village_panel.tag_label.text() == "是否贫困村 无数据"
    assert not wall.banner.isVisible()
