"""A click's request has a lane of its own: a prefetch in flight never delays the data the user waits for."""

import threading

import pytest
from PySide6.QtCore import QObject

from sandbox.ui.session_qt import make_session, qt_host
from sandbox.ui.state import MapState, WallState

from .conftest import COUNTY, FakeCounty, town_code

pytestmark = pytest.mark.qt

SLOW, CLICKED = town_code(0), town_code(1)


class SlowPrefetchCounty(FakeCounty):
    """The fake county whose GET /level for one town hangs until the test lets it answer (a slow server)."""

    def __init__(self):
        super().__init__()
        self.slow_gate, self.waiting = threading.Event(), threading.Event()

    def handle_level(self, code: str, year: int | None = None) -> dict:
        if code == SLOW:
            self.waiting.set()
            self.slow_gate.wait(20)
        return super().handle_level(code, year)


@pytest.fixture
def wall_session(qapp):
    owner = QObject()
    host = qt_host(owner)
    host.after_frame = lambda fn: fn()  # no window here: "the frame showing the level" is now
    client = SlowPrefetchCounty()
    session = make_session(client, WallState(MapState()), owner, host=host, preload=False)
    yield session, client
    client.slow_gate.set()
    session.close()
    session.worker.shutdown()


def test_a_click_gets_its_data_while_a_prefetch_of_another_town_still_waits_for_the_server(qtbot, wall_session):
    session, client = wall_session
    applied: list[str] = []
    session.events.applied.connect(lambda: applied.append(session.state.map.region_code))
    session.load(COUNTY)
    qtbot.waitUntil(lambda: applied == [COUNTY] or bool(session.state.error), timeout=10000)
    assert applied == [COUNTY], session.state.error
    assert client.waiting.wait(10)  # the county's towns are being prefetched; the first one hangs

    session.drill(CLICKED)  # a click the moment the county appears: its town is not prefetched yet
    qtbot.waitUntil(lambda: applied == [COUNTY, CLICKED], timeout=10000)
    assert not client.slow_gate.is_set() and session.worker.busy(f"prefetch:{SLOW}")  # it is still in flight
    assert session.state.map.region_code == CLICKED and not session.state.loading

    client.slow_gate.set()  # the slow answer comes in the end and is kept for a later click
    qtbot.waitUntil(lambda: session.prefetcher.get(SLOW, session.state.map.year) is not None, timeout=10000)
