"""No legend, tour caption or card covers a region of the map: for every town and every caption position."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRect, QRectF

from sandbox.kiosk.tour import TourStep
from sandbox.ui.kiosk.caption import POSITIONS
from tests.kiosk.conftest import COUNTY, settle

pytestmark = [pytest.mark.qt]

LONG = ("基长镇 19 个行政村中有 9 个贫困村, 2016 年贫困发生率 14.59%。点开任意一个村, 就能看到它的贫困户、"
        "致贫原因和帮扶措施。第一书记驻村, 帮扶责任人按\"一帮四\"结对。")


def furniture(shell) -> dict[str, QRectF]:
    """What lies over the map, measured from the widgets themselves, in the map's coordinates."""
    canvas = shell.wall.canvas
    out = {"legend": canvas.legend_rect()}  # where paint_legend draws it
    cap = shell.caption
    if cap.isVisible():
        out["caption"] = QRectF(QRect(canvas.mapFrom(shell, cap.geometry().topLeft()), cap.size()))
    card = shell.wall.project_card
    if card.isVisible():
        out["card"] = QRectF(card.geometry())
    return out


def covered_labels(shell) -> list[tuple[str, str, str]]:
    canvas = shell.wall.canvas
    rm = shell.wall.state.map.region_map
    things = furniture(shell)
    out = []
    for f in rm.features:
        pt = canvas.region_center(f.code)
        for name, r in things.items():
            if r.contains(QPointF(pt)):
                out.append((f.name, name, f"{pt.x():.0f},{pt.y():.0f}"))
    return out


@pytest.mark.parametrize("position", POSITIONS)
def test_no_region_label_point_lies_under_the_legend_or_the_caption(qtbot, make_shell, kiosk_client, position):
    shell = make_shell(kiosk_client, steps=[TourStep(title="走进基长镇", caption=LONG)], idle_seconds=0,
                       caption_position=position, size=(1920, 1080))
    wall = shell.wall
    towns = [c["code"] for c in wall.state.region["children"]]
    assert len(towns) == 8
    shell.caption.show_step("走进基长镇", LONG, 0, 1)
    for code in [COUNTY, *towns]:
        wall.load(code, 2016)
        settle(qtbot, wall)
        assert wall.state.map.region_code == code
        bad = covered_labels(shell)
        assert not bad, f"{position} {wall.state.region['name']}: {bad}"
    things = furniture(shell)
    assert "caption" in things
    assert not things["legend"].intersects(things["caption"])  # the layers' legend is seen, not under the caption


def test_an_open_project_card_covers_no_region(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, idle_seconds=0, size=(1920, 1080))
    wall = shell.wall
    wall.load("522726103000", 2017)
    settle(qtbot, wall)
    wall.open_project(1, "济生铁皮石斛产业园")
    qtbot.waitUntil(lambda: wall.project_card.detail is not None, timeout=30000)
    settle(qtbot, wall)
    assert wall.project_card.isVisible()
    assert not covered_labels(shell)
