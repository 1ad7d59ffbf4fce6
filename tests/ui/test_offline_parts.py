"""Offline on the real API and the real cache files: a part missing from the cache costs that part only,
a failed layer says 暂时无法获取 and comes back with the API, 数据截至 is the data's own time."""

from __future__ import annotations

import json
import time

import pytest

from sandbox.client.api import ApiClient
from sandbox.client.cache import ResponseCache
from sandbox.client.status import ConnectionStatus
from sandbox.ui import freshness
from tests.kiosk.faults import free_port
from tests.ui.test_offline import COUNTY, display_token, make_wall, picture, served, settle  # noqa: F401

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def entries_of(cache: ResponseCache, *paths: str) -> list:
    """The cache files whose request path starts with one of `paths` (read from each entry's own header)."""
    out = []
    for f in cache.entries():
        key = json.loads(f.read_bytes().partition(b"\n")[0])["key"]
        path = key.split("|", 1)[1].split("?", 1)[0]
        if any(path == p or path.startswith(p) for p in paths):
            out.append(f)
    return out


def test_a_corrupt_indicators_entry_offline_costs_nothing_and_a_corrupt_series_only_the_other_years(
        qtbot, served, display_token, tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    first = ApiClient(served["server"].url, display_token, cache=cache)
    wall = settle(qtbot, make_wall(qtbot, first))
    before = picture(wall)
    wall.close()
    first.close()
    broken = entries_of(cache, "/indicators", f"/regions/{COUNTY}/children/series")
    assert len(broken) == 2
    for f in broken:  # the bytes a bad sector or a cut write leaves: detected, discarded
        f.write_bytes(f.read_bytes()[:-40] + b"\0" * 40)

    offline = ApiClient(f"http://127.0.0.1:{free_port()}", display_token, cache=ResponseCache(cache.directory),
                        status=ConnectionStatus())
    wall = settle(qtbot, make_wall(qtbot, offline), timeout=20000)
    assert picture(wall) == before  # the county's map, its values, its KPIs: all there
    assert not wall.banner.isVisible() or "无法" not in wall.banner.text()
    wall.close()
    offline.close()


def test_layers_that_failed_offline_say_so_and_come_back_when_the_api_does(qtbot, served, display_token, tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    client = ApiClient(served["server"].url, display_token, cache=cache, status=ConnectionStatus())
    wall = settle(qtbot, make_wall(qtbot, client, live=False))
    qtbot.waitUntil(lambda: wall.layers is not None and wall.layers.region == COUNTY, timeout=30000)
    funds_text = wall.fund_panel.rates.text()
    checkins_text = wall.checkin_layer.summary_zh()
    assert "到位率" in funds_text and "暂时无法获取" not in checkins_text
    fresh = freshness.install(wall, client, refresh_seconds=600, health_seconds=1)  # no refresh comes: the return must
    # Never fetched before the outage: the fund chain and the check-ins are not in the cache.
    for f in entries_of(cache, "/funds/chain", "/checkins"):
        f.unlink()
    port = served["server"].port
    served["server"].stop()
    qtbot.waitUntil(lambda: fresh.offline, timeout=15000)
    wall.request_layers(force=True)
    qtbot.waitUntil(lambda: "funds" in wall.layers.errors, timeout=30000)
    assert "暂时无法获取" in wall.fund_panel.rates.text() and not wall.fund_panel.bars.isVisibleTo(wall.fund_panel)
    assert wall.checkin_layer.summary_zh() == "近30天签到 暂时无法获取"

    from sandbox.server.runtime import EmbeddedServer

    served["server"] = EmbeddedServer(served["server"].server.config.app.state.engine, port=port).start()
    qtbot.waitUntil(lambda: not fresh.offline and not wall.layers.errors, timeout=30000)
    assert wall.fund_panel.rates.text() == funds_text and wall.checkin_layer.summary_zh() == checkins_text
    wall.close()
    client.close()


def test_data_as_of_is_the_time_of_the_data_not_of_the_last_health_probe(served, display_token):
    client = ApiClient(served["server"].url, display_token, status=ConnectionStatus())
    client.region(COUNTY)
    fetched = client.status.snapshot().data_as_of
    time.sleep(0.05)
    client.health()
    assert client.status.snapshot().data_as_of == fetched
    client.indicators()
    assert client.status.snapshot().data_as_of > fetched
    client.close()
