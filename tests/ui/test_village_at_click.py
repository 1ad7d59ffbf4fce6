"""A village not prefetched opens its panel at the click with the figures its town's map has (issue 19);
its own answer, the households list, fills it in and changes none of those figures (the real API)."""

import json
import threading
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from sandbox.client.api import ApiClient
from sandbox.client.cache import UNMASKED_ID
from sandbox.ui.layers.base import Overlay
from sandbox.ui.loader import fetch_village

from .conftest import settle
from .test_wall_real_api import make_wall  # noqa: F401 - fixture

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def _figures(panel) -> dict:
    """Everything the panel shows that does not come from the households list."""
    return {"name": panel.name_label.text(), "tag": panel.tag_label.text(), "level": panel.level_label.text(),
            "foot": panel.foot_label.text(), **{k: v.text() for k, v in panel._tile_values.items()},
            **{f"name:{k}": v.text() for k, v in panel._tile_names.items()}}


@pytest.mark.parametrize("year", [2020, 2016])
def test_a_village_opens_at_the_click_with_the_figures_its_answer_shows(qtbot, make_wall, real_client, year):  # noqa: F811
    wall = make_wall(real_client, prefetch=False)
    wall.session.village_wait_s = 0  # its answer not waited for at the click (a slow API): the panel first
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.load(wall.state.map.region_map.features[0].code, year)
    settle(qtbot, wall)
    villages = wall.state.map.region_map.features
    village = next(f for f in villages if f.is_poor_village)  # a tag with its exit year
    panel = wall.village_panel
    at_click: list[dict] = []

    def opened() -> None:  # in the click's own turn: nothing has come back from the API yet
        at_click.append({**_figures(panel), "note": panel.note_label.text(), "listed": panel.table.isVisibleTo(panel),
                         "answered": wall.state.village.households is not None})

    wall.villageOpened.connect(opened)
    with qtbot.waitSignal(wall.villageApplied, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.region_center(village.code).toPoint())
        assert len(at_click) == 1 and wall.village_panel.isVisible()
    first = at_click[0]
    assert not first.pop("answered") and not first.pop("listed") and first.pop("note") == "正在获取户级信息…"
    assert first["name"] == village.name and first["tag"].startswith("贫困村")
    assert f"{year} 年度" in first["level"]
    assert panel.cell_texts() and panel.table.isVisibleTo(panel)  # the list came
    assert _figures(panel) == first  # and changed none of the figures shown at the click
    assert len(at_click) == 1
    # only the list was asked for at the click: the figures are the village's own, as GET /regions gives them
    wall.state.village.show(real_client.region(village.code, year), wall.state.village.households)
    assert _figures(panel) == first
    assert wall.breadcrumb.text().endswith(f" › {village.name}")


def test_a_village_whose_answer_comes_while_the_click_waits_shows_its_list_in_the_panels_first_frame(
        qtbot, make_wall, real_client):  # noqa: F811
    wall = make_wall(real_client, prefetch=False)  # nothing asked before the click
    wall.session.village_wait_s = 10.0  # however slow this machine: the answer is waited for
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.load(wall.state.map.region_map.features[0].code, 2020)
    settle(qtbot, wall)
    village = wall.state.map.region_map.features[0]
    panel = wall.village_panel
    at_open: list[tuple] = []
    wall.villageOpened.connect(lambda: at_open.append((wall.state.village.households is not None,
                                                       panel.table.isVisibleTo(panel), len(panel.cell_texts()))))
    with qtbot.waitSignal(wall.villageApplied, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.region_center(village.code).toPoint())
        assert len(at_open) == 1  # in the click's own turn
    answered, listed, rows = at_open[0]
    assert answered and listed and rows > 0  # the panel opened with its list: no frame saying it is coming
    assert not wall.state.village.waiting and wall.state.village.code == village.code
    # what the display keeps of it is as the server masked it for the display role
    kept = json.dumps(wall.state.village.households, ensure_ascii=False).encode()
    assert b'"id_number"' in kept and not UNMASKED_ID.search(kept)


def test_a_villages_households_are_asked_on_the_workers_own_thread_its_region_beside_them():
    threads: dict[str, str] = {}

    class Client(ApiClient):
        def households(self, region, status=None, page=1, year=None):
            threads["households"] = threading.current_thread().name
            return {"items": [], "total": 0, "page": page, "page_size": 50}

        def region(self, code, year=None):
            threads["region"] = threading.current_thread().name
            return {"code": code, "level": "village", "parent_code": "522726101000", "year": year}

    result = fetch_village(Client("http://127.0.0.1:9"), "522726101201", 2020, 1)
    assert result.households["total"] == 0 and result.region["code"] == "522726101201"
    assert threads["households"] == threading.current_thread().name  # no thread hop before the list's request
    assert threads["region"] != threads["households"]  # at the same time, on the client's pool


class _Mover(Overlay):
    """A live layer of the town that always moves (as flow dots do)."""

    def __init__(self, code: str):
        super().__init__()
        self.region = code

    def animating(self, now: float) -> bool:
        return True


def test_while_a_villages_list_is_awaited_the_town_count_and_the_maps_dots_give_way(qtbot, make_wall,  # noqa: F811
                                                                                      real_client):  # noqa: F811
    wall = make_wall(real_client, prefetch=False)
    wall.session.village_wait_s = 0  # a slow API: the list follows the panel
    town = wall.state.map.region_map.features[0].code
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.load(town, 2020)
    settle(qtbot, wall)
    wall.canvas.add_overlay(_Mover(town))
    wall.canvas._sync_timer()
    assert wall.canvas._tick.isActive()  # the dots move before the click
    village = wall.state.map.region_map.features[0]
    for card in wall.kpis.cards.values():  # the town's count-up still running at the click
        fig = card.figure
        card.set_figure(replace(fig, value=None), animate=False)
        card.set_figure(fig, animate=True, duration_ms=60000)
    assert wall.kpis.animating
    at_click: list[tuple] = []
    wall.villageOpened.connect(lambda: at_click.append((wall.canvas._tick.isActive(), wall.kpis.animating)))
    with qtbot.waitSignal(wall.villageApplied, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.region_center(village.code).toPoint())
    assert at_click == [(False, False)]  # no frame of theirs ahead of the answer
    assert wall.state.village.households is not None
    assert wall.canvas._tick.isActive()  # and the dots move again once the list is in (none left frozen)


def test_dots_held_for_an_answer_that_never_comes_move_again(qtbot):
    from sandbox.ui.map_canvas import MOTION_HOLD_MAX_MS, MapCanvas
    from sandbox.ui.state import MapState

    canvas = MapCanvas(MapState())
    qtbot.addWidget(canvas)
    canvas.hold_motion(True)
    assert canvas.motion_held
    qtbot.waitUntil(lambda: not canvas.motion_held, timeout=MOTION_HOLD_MAX_MS * 3)


def test_a_panel_opened_while_its_list_is_waited_for_is_laid_out_as_with_its_list(qtbot):
    from sandbox.ui.state import MapState
    from sandbox.ui.village import VillageState
    from sandbox.ui.village_panel import VillagePanel

    village = VillageState()
    panel = VillagePanel(village, MapState("poverty_incidence"))
    qtbot.addWidget(panel)
    panel.show()
    region = {"code": "522726101201", "name": "兰堡村", "level": "village", "year": 2020, "from_map": True}
    items = [{"head_name": "王*", "id_number": "5227**********1234", "members": 3}]

    def shown() -> tuple:
        return tuple(w.isVisibleTo(panel) for w in (panel.table, panel.note_label, panel.next_button, panel.page_label))

    village.at_click = True  # the click's turn: nothing is painted until its wait ends
    village.show(region, None)
    at_click = shown()
    village.show({k: v for k, v in region.items() if k != "from_map"}, {"items": items, "total": 1, "page": 1,
                                                                        "page_size": 50})
    village.at_click = False
    assert shown() == at_click == (True, False, True, True)  # the list's arrival shows and hides nothing
    assert panel.cell_texts()[0][0] == "王*"
    village.show(region, None)  # not waited for (the wait ran out): it says the list is coming
    assert shown() == (False, True, False, False) and panel.note_label.text() == "正在获取户级信息…"
