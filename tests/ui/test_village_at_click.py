"""A village not prefetched opens its panel at the click with the figures its town's map has (issue 19);
its own answer, the households list, fills it in and changes none of those figures (the real API)."""

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from sandbox.ui.layers.base import Overlay

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
    assert wall.breadcrumb.text().endswith(f" › {village.name}")


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
