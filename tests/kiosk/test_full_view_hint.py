"""A camera opened full screen by a tour step keeps its '按 Esc 键或点击画面返回' hint clear of the caption."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect

from sandbox.kiosk.tour import TourStep
from sandbox.ui.kiosk.caption import POSITIONS
from tests.kiosk.conftest import settle

pytestmark = [pytest.mark.qt]

CAPTION = "济生铁皮石斛产业园的 1 号种植大棚: 348 户贫困户在这里务工、分红, 园区的铁皮石斛 2018 年起全部进入盛产期。"


@pytest.mark.parametrize("position", POSITIONS)
def test_the_full_view_hint_stays_visible_beside_the_tour_caption(qtbot, make_shell, kiosk_client, position):
    step = TourStep(title="走进产业园", caption=CAPTION, camera=2, seconds=600)
    shell = make_shell(kiosk_client, steps=[step], idle_seconds=0, caption_position=position, size=(1920, 1080))
    wall = shell.wall
    shell.tour.start()
    qtbot.waitUntil(lambda: wall.full_view is not None and shell.caption.isVisible(), timeout=30000)
    settle(qtbot, wall)
    qtbot.wait(50)  # the deferred placement has run
    view = wall.full_view
    hint = view.hint
    assert hint.isVisible() and "Esc" in hint.text()
    on_shell = QRect(hint.mapTo(shell, QPoint(0, 0)), hint.size())
    assert QRect(view.mapTo(shell, QPoint(0, 0)), view.size()).contains(on_shell)
    assert shell.caption.isVisible() and not on_shell.intersects(shell.caption.geometry()), \
        f"{position}: hint {on_shell.getCoords()} under the caption {shell.caption.geometry().getCoords()}"
    shell.tour.stop()
    assert wall.full_view is None
