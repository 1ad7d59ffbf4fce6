"""`WallWindow.wait_for_data`, called thousands of times by the soak and the benches, keeps nothing per call."""

import sys

import pytest

from sandbox.ui.wall import WallWindow
from tests.ui.test_drill import _PanelsClient as PanelsStub

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def test_waiting_for_data_a_thousand_times_keeps_no_memory(qtbot, fake_client):
    # PySide6 6.11 keeps two small strings (≈ 53 B each) for every connect or disconnect of a signal to a
    # C++ slot (`loop.quit`); the soak calls this 3-4 times a cycle, so it grew what it measured by
    # ≈ 0.3 MB per hour-equivalent (issue 20, twelfth round). A Python callable keeps nothing.
    wall = WallWindow(fake_client, region="522726000000", retry_seconds=600, panels_client=PanelsStub(), prefetch=False)
    qtbot.addWidget(wall)
    wall.resize(1280, 720)
    wall.show()
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading, timeout=15000)
    assert wall.wait_for_data(5)
    before = sys.getallocatedblocks()
    for _ in range(1000):
        wall.wait_for_data(5)
    grown = sys.getallocatedblocks() - before
    assert grown < 400, grown  # the code before kept ≈ 4,000 blocks (four strings a call)
