"""Privacy modes end to end (real API over HTTP): what leader, display and delegation tokens put in the
widget tree, the disk cache and the logs once a village panel is open."""

from __future__ import annotations

import logging
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QWidget

from sandbox.client.api import ApiClient, ApiError
from sandbox.client.cache import ResponseCache
from sandbox.domain.masking import mask_id_number, mask_name
from sandbox.ui.village import DELEGATION_NOTE
from sandbox.ui.village_panel import VillagePanel
from sandbox.ui.wall import WallWindow
from tests.conftest import auth
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

COUNTY = "522726000000"
ID_ANY = re.compile(r"(?<![\d.])\d{6}[\d*]{8}\d{3}[\dXx](?![\d.])")  # full or masked
ID_MASKED = re.compile(r"\d{6}\*{8}\d{3}[\dX]")


@pytest.fixture(scope="module")
def server(demo_engine):
    from sandbox.server.runtime import EmbeddedServer

    s = EmbeddedServer(demo_engine).start()
    yield s
    s.stop()


def widget_texts(root: QWidget) -> list[str]:
    """Every string the widget tree holds: label and button texts, tooltips, table cells."""
    out = [root.windowTitle()]
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append(w.text())
        out.append(w.toolTip())
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            out += model_texts(w.model())
    for panel in root.findChildren(VillagePanel):  # pages made ready ahead of their click, not shown yet
        for model in panel.rows.models():
            out += model_texts(model)
    return [t for t in out if t]


def model_texts(model) -> list[str]:
    """Every cell's text and tooltip, and the header's labels."""
    out = []
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            i = model.index(r, c)
            out += [i.data(Qt.ItemDataRole.DisplayRole) or "", i.data(Qt.ItemDataRole.ToolTipRole) or ""]
    for c in range(model.columnCount()):
        out.append(model.headerData(c, Qt.Orientation.Horizontal) or "")
    return out


def cache_bytes(cache: ResponseCache) -> bytes:
    """The cache's finished entries. A background fetch may still be writing one: its temp file is
    renamed into an entry (or trimmed) between listing and reading, so a vanished file is skipped."""
    stored = []
    for f in sorted(cache.directory.glob("*.json")):
        try:
            stored.append(f.read_bytes())
        except FileNotFoundError:
            continue
    assert stored, "the wall cached no answer: the test would check nothing"
    return b"\n".join(stored)


def open_village(qtbot, client) -> tuple[WallWindow, str]:
    """The wall on the county, drilled to a poor village of the second town with its panel open."""
    wall = shown_wall(qtbot, client, region=COUNTY, prefetch=False, animate=False, preload=False)
    idle = lambda: wall.state.has_data and not wall.state.loading and not wall.worker.busy()  # noqa: E731
    qtbot.waitUntil(idle, timeout=60000)
    town = wall.state.map.region_map.features[1]
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.drill(town.code)
    qtbot.waitUntil(idle, timeout=60000)
    village = next(f for f in wall.state.map.region_map.features if f.is_poor_village)
    with qtbot.waitSignal(wall.villageApplied, timeout=30000):
        wall.drill(village.code)
    assert wall.village_panel.isVisible()
    return wall, village.code


def truth(api, tokens, village: str, year: int) -> tuple[list[str], list[str]]:
    """The village's first page of household heads as an admin sees them: full names and ID numbers."""
    items = api.get("/api/v1/households", params={"region": village, "year": year},
                    headers=auth(tokens["admin"])).json()["items"]
    assert items, "the demo village should have households"
    return [it["head_name"] for it in items], [it["id_number"] for it in items]


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_delegation_has_no_person_level_data_in_widgets_cache_or_logs(qtbot, server, tokens, api, tmp_path, logs):
    cache = ResponseCache(tmp_path / "cache")
    client = ApiClient(server.url, tokens["delegation"], cache=cache)
    wall, village = open_village(qtbot, client)
    names, ids = truth(api, tokens, village, wall.state.map.year)

    # the server refuses them person records (403): the UI hides nothing because it got nothing
    for call in (lambda: client.households(village), lambda: client.household(1)):
        with pytest.raises(ApiError) as err:
            call()
        assert err.value.status == 403
    panel = wall.village_panel
    assert panel.note_label.text() == DELEGATION_NOTE and panel.cell_texts() == []
    assert wall.state.village.households is None
    assert not wall.banner.isVisible()

    texts = "\n".join(widget_texts(wall))
    stored = cache_bytes(cache).decode("utf-8", "replace")
    assert cache.entries(), "the aggregates are cached"
    for where, text in (("widgets", texts), ("cache", stored), ("logs", logs.text)):
        assert not ID_ANY.search(text), where
        for name in names:
            assert name not in text and mask_name(name) not in text, (where, mask_name(name))
    assert "/households" not in stored  # not even an entry for the refused request
    wall.close()
    client.close()


def test_display_sees_masked_names_and_ids(qtbot, server, tokens, api, tmp_path, logs):
    cache = ResponseCache(tmp_path / "cache")
    client = ApiClient(server.url, tokens["display"], cache=cache)
    wall, village = open_village(qtbot, client)
    names, ids = truth(api, tokens, village, wall.state.map.year)
    rows = wall.village_panel.cell_texts()
    assert [r[0] for r in rows] == [mask_name(n) for n in names]  # 王*明
    assert [r[1] for r in rows] == [mask_id_number(i) for i in ids]  # 522726********1234
    assert all(ID_MASKED.fullmatch(r[1]) and "*" in r[0] for r in rows)

    texts = "\n".join(widget_texts(wall))
    stored = cache_bytes(cache).decode("utf-8", "replace")
    assert "/households" in stored  # the masked page is kept for an outage
    for where, text in (("widgets", texts), ("cache", stored)):
        for name, id_number in zip(names, ids):
            assert id_number not in text, where
            if len(name) > 2:  # a two-character name masks to 王*; "王明" could be part of a place name
                assert name not in text, (where, name)
    for name, id_number in zip(names, ids):
        assert name not in logs.text and mask_name(name) not in logs.text
        assert id_number not in logs.text and mask_id_number(id_number) not in logs.text
    wall.close()
    client.close()


def test_leader_sees_full_names_and_masked_ids(qtbot, server, tokens, api, tmp_path, logs):
    cache = ResponseCache(tmp_path / "cache")
    client = ApiClient(server.url, tokens["leader"], cache=cache)
    wall, village = open_village(qtbot, client)
    names, ids = truth(api, tokens, village, wall.state.map.year)
    rows = wall.village_panel.cell_texts()
    assert [r[0] for r in rows] == names
    assert [r[1] for r in rows] == [mask_id_number(i) for i in ids]
    stored = cache_bytes(cache).decode("utf-8", "replace")
    texts = "\n".join(widget_texts(wall))
    for id_number in ids:
        assert id_number not in stored and id_number not in texts and id_number not in logs.text
    for name in names:
        assert name not in logs.text
    wall.close()
    client.close()
