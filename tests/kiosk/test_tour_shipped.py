"""The shipped delegation tour played whole on the real API: at every step the screen is what the step asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.kiosk.tour import load_tour
from sandbox.ui.kiosk.tour_player import TourPlayer
from sandbox.ui.kiosk.tour_target import TOUR_METHODS, TourTarget, check_tour_target
from tests.kiosk.conftest import COUNTY, settle

pytestmark = [pytest.mark.qt]

TOUR = Path(__file__).resolve().parents[2] / "kiosk_config" / "tours" / "dushan-delegation.toml"
SCALE = 0.01  # the tour's clock, 100× faster: a 16 s step lasts 160 ms


def expected_states(steps, indicator: str = "poverty_incidence") -> list[dict]:
    """What each step must show: fields a step leaves out keep the previous step's (the region: the county)."""
    out, year = [], None
    for s in steps:
        year = s.year if s.year is not None else year
        indicator = s.indicator or indicator
        out.append({"region": s.region or COUNTY, "year": year, "indicator": indicator, "layer": s.layer,
                    "camera": s.camera, "title": s.title, "caption": s.caption})
    return out


def screen(shell) -> dict:
    """What the wall and the caption show right now, in the terms of a tour step."""
    wall, st = shell.wall, shell.wall.state
    bar = wall.layer_bar.buttons
    on = [n for n, b in bar.items() if b.isChecked()]
    view = wall.full_view
    return {
        "region": st.village.code if st.village.is_open else st.map.region_code,
        "year": st.map.year,
        "indicator": st.map.indicator_key,
        "layer": on[0] if len(on) == 1 else (None if on == [n for n in bar if wall.session.layer_on_by_default(n)]
                                             else tuple(on)),
        "camera": view.tile.camera_id if view is not None and view.isVisible() else None,
        "title": shell.caption.title.text() if shell.caption.isVisible() else None,
        "caption": shell.caption.text.text() if shell.caption.isVisible() else None,
    }


def test_the_wall_is_a_tour_target():
    from sandbox.ui.session import WallSession

    for name in TOUR_METHODS:  # on the class itself: not a fallback found at run time
        assert callable(getattr(WallSession, name, None)), name


def test_a_wall_missing_a_tour_method_is_refused_when_the_player_is_made(qapp):
    class OldWall:  # the wall as the tour once believed it to be: close_camera, not close_full_camera
        state = None

        def load(self, region, year=None): ...
        def set_year(self, year): ...
        def set_indicator(self, key): ...
        def layer_names(self): return []
        def set_layer(self, name, on): ...
        def show_camera(self, camera_id): ...
        def close_camera(self): ...

    with pytest.raises(TypeError, match="close_full_camera"):
        check_tour_target(OldWall())
    with pytest.raises(TypeError, match="close_full_camera"):
        TourPlayer(OldWall(), [], home_region=COUNTY, caption=None)

    class WrongArity(OldWall):
        def close_full_camera(self): return False
        def set_layer(self, name): ...  # the player passes (name, on)

    with pytest.raises(TypeError, match="set_layer"):
        check_tour_target(WrongArity())


def test_the_shipped_tour_shows_every_step_as_written_and_loops_back_clean(qtbot, make_shell, kiosk_client):
    tour = load_tour(TOUR)
    want = expected_states(tour.steps)
    assert any(w["camera"] is not None for w in want[:-1]), "the tour opens a camera before its last step"
    shell = make_shell(kiosk_client, steps=tour.steps, tour_loop=True, time_scale=SCALE, idle_seconds=0,
                       tour_title=tour.title, size=(1920, 1080))
    check_tour_target(shell.session)
    assert isinstance(shell.session, TourTarget) and shell.tour.wall is shell.session
    player = shell.tour
    started: list[int] = []
    player.stepStarted.connect(started.append)
    # Each step's clock (its seconds × SCALE) is checked, then held until the screen has settled: this
    # test checks the screen, not the network's speed against a 160 ms step.
    player.stepStarted.connect(lambda _i: player.hold())
    with qtbot.waitSignal(player.stepStarted, timeout=30000):
        player.start()
    n = len(tour.steps)
    for visit in range(n + 1):  # every step, then the first again: the loop starts clean
        i = visit % n
        assert player.index == i and started[-1] == i
        assert player.step_ms == max(1, int(tour.steps[i].seconds * 1000 * SCALE))
        settle(qtbot, shell.wall)
        if want[i]["camera"] is not None:
            qtbot.waitUntil(lambda: shell.wall.full_view is not None, timeout=30000)
        got = screen(shell)
        assert got == want[i], f"step {i + 1} ({tour.steps[i].title}): {got} != {want[i]}"
        assert f"第 {i + 1} / {n} 步" in shell.caption.footer.text()
        if visit < n:
            with qtbot.waitSignal(player.stepStarted, timeout=30000):
                player.advance()
    player.stop()
    assert shell.wall.full_view is None and not shell.caption.isVisible()
