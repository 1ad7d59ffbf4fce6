"""The kiosk shell around a real wall on the real embedded API: tours, idle, touch, presenter keys, exit PIN."""

from __future__ import annotations

import logging
import os

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from sandbox.kiosk.tour import TourStep
from tests.kiosk.conftest import COUNTY, PIN, settle

pytestmark = [pytest.mark.qt]

TOWN = "522726103000"  # 基长镇
VILLAGE = "522726103212"  # 花桥村, a poor village of 基长镇
NOWHERE = "522726199000"  # a well-formed code the county does not have

MODS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier


def steps(*specs: dict) -> list[TourStep]:
    return [TourStep(**{"seconds": 60, **s}) for s in specs]


STORY = steps(
    {"region": "522726", "year": 2014, "indicator": "poverty_incidence", "title": "2014", "caption": "建档立卡"},
    {"region": TOWN, "year": 2016, "caption": "基长镇"},
    {"region": NOWHERE, "year": 2016, "caption": "不存在的镇"},
    {"region": VILLAGE, "year": 2017, "indicator": "housing_safe_rate", "caption": "花桥村"},
    {"region": "522726", "year": 2020, "indicator": "poverty_incidence", "layer": "projects", "camera": 2,
     "caption": "全县脱贫"},
)


def on_screen(wall) -> tuple:
    st = wall.state
    return (st.village.code if st.village.is_open else st.map.region_code, st.map.year, st.map.indicator_key)


def test_a_tour_plays_through_on_its_own(qtbot, make_shell, kiosk_client, caplog):
    shell = make_shell(kiosk_client, steps=STORY, tour_loop=False, time_scale=0.02, idle_seconds=0)
    started, skipped, layers_at = [], [], {}
    shell.tour.stepStarted.connect(started.append)
    bar = shell.wall.layer_bar
    shell.tour.stepStarted.connect(lambda i: layers_at.__setitem__(i, {n: b.isChecked() for n, b in bar.buttons.items()}))
    shell.tour.stepSkipped.connect(lambda i, msg: skipped.append((i, msg)))
    with caplog.at_level(logging.INFO), qtbot.waitSignal(shell.tour.finished, timeout=60000):
        shell.tour.start()
    assert started == [0, 1, 3, 4] and skipped == [(2, f"区划 {NOWHERE} 不存在")]
    assert any("step 3 skipped" in r.getMessage() and NOWHERE in r.getMessage() for r in caplog.records)
    # the step's layer is shown alone for that step; the steps before and after show those on by default
    # (all but 督办, which recolours the map)
    assert layers_at[4]["projects"] and not any(on for n, on in layers_at[4].items() if n != "projects")
    off_at_start = ("duty", "risk")  # the two layers that recolour the map start off
    assert all(on for n, on in layers_at[0].items() if n not in off_at_start)
    assert not any(layers_at[0][n] for n in off_at_start)
    assert all(b.isChecked() is shell.wall.session.layer_on_by_default(n) for n, b in bar.buttons.items())
    settle(qtbot, shell.wall)
    assert on_screen(shell.wall) == (COUNTY, 2020, "poverty_incidence")
    assert shell.wall.state.error is None and not shell.caption.isVisible()


def test_presenter_keys_walk_the_tour_and_each_step_is_on_screen(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, steps=STORY, idle_seconds=0)
    wall = shell.wall
    bar = wall.layer_bar
    layers_on = lambda: sorted(n for n, b in bar.buttons.items() if b.isChecked())  # noqa: E731
    every = sorted(n for n in bar.buttons if wall.session.layer_on_by_default(n))  # all but 督办
    with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000):
        qtbot.keyClick(shell, Qt.Key.Key_PageDown)  # no tour running: PageDown starts it
    assert shell.tour.index == 0 and shell.caption.isVisible() and "第 1 / 5 步" in shell.caption.footer.text()
    expected = {0: (COUNTY, 2014, "poverty_incidence"), 1: (TOWN, 2016, "poverty_incidence"),
                3: (VILLAGE, 2017, "housing_safe_rate"), 4: (COUNTY, 2020, "poverty_incidence")}
    settle(qtbot, wall)
    assert on_screen(wall) == expected[0]
    for index in (1, 3, 4):
        with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000):
            qtbot.keyClick(shell, Qt.Key.Key_Right if index % 2 else Qt.Key.Key_PageDown)
        assert shell.tour.index == index
        qtbot.waitUntil(lambda: on_screen(wall) == expected[index] and not wall.state.loading, timeout=30000)
    assert wall.state.village.code is None  # the county again: the village panel closed
    assert layers_on() == ["projects"]  # step 4's layer alone
    with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000):
        qtbot.keyClick(shell, Qt.Key.Key_PageUp)  # back to the village (step 3 is skipped backwards too)
    assert shell.tour.index == 3 and layers_on() == every  # layers last one step
    qtbot.keyClick(shell, Qt.Key.Key_B)
    assert shell.tour.state == "paused" and "已暂停" in shell.caption.footer.text()
    qtbot.keyClick(shell, Qt.Key.Key_Space)
    assert shell.tour.state == "playing"


def test_idle_returns_to_the_county_then_plays_the_tour(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, steps=STORY[:2], idle_seconds=300, tour_delay_seconds=0.1)
    wall = shell.wall
    wall.load(TOWN, 2016)  # a leader drilled into a town and walked away
    qtbot.waitUntil(lambda: wall.state.map.region_code == TOWN and not wall.state.loading, timeout=30000)
    assert shell.tour.state == "stopped"
    started: list[int] = []  # connected first: the first step may start before the county's load is seen
    shell.tour.stepStarted.connect(started.append)
    shell.set_idle_seconds(0.5)
    with qtbot.waitSignal(shell.idleTimeout, timeout=30000):
        pass
    qtbot.waitUntil(lambda: wall.state.map.region_code == COUNTY, timeout=30000)
    qtbot.waitUntil(lambda: bool(started), timeout=30000)
    assert started[0] == 0 and shell.tour.state == "playing" and shell.caption.isVisible()


def test_input_resets_the_idle_countdown(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, steps=STORY[:1], idle_seconds=300)
    idled = []
    shell.idleTimeout.connect(lambda: idled.append(True))
    # a long countdown, read through the timer itself: a loaded machine that stalls the event loop between
    # two clicks cannot make it fire early (counting wall-clock gaps against a 3 s countdown did, now and then)
    shell._idle.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer's remaining time moves in 5 % steps
    shell.set_idle_seconds(60.0)
    for _ in range(4):  # a leader keeps using the wall: each click starts the countdown afresh
        qtbot.wait(300)
        before = shell._idle.remainingTime()
        qtbot.mouseClick(shell.wall.canvas, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
        after = shell._idle.remainingTime()
        assert shell._idle.isActive() and after > before, (before, after)
    assert not idled and shell.tour.state == "stopped"
    shell.set_idle_seconds(0.5)  # and it does run out when nobody touches the wall
    with qtbot.waitSignal(shell.idleTimeout, timeout=10000):
        pass


def test_a_touch_pauses_the_tour_and_idle_resumes_it(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, steps=STORY[:2], idle_seconds=300, tour_delay_seconds=0.1)
    with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000):
        shell.tour.start()
    with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000):
        shell.tour.next()
    settle(qtbot, shell.wall)
    shell.set_idle_seconds(1.0)
    from PySide6.QtTest import QTest

    device = QTest.createTouchDevice()
    QTest.touchEvent(shell.wall.canvas, device).press(0, QPoint(10, 10)).release(0, QPoint(10, 10)).commit()
    assert shell.tour.state == "paused" and shell.caption.paused
    # nobody touches it again: idle → the county → the tour goes on from the paused step
    with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000) as blocker:
        pass
    assert blocker.args == [1] and shell.tour.state == "playing"


def test_a_click_pauses_the_tour_too(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, steps=STORY[:1], idle_seconds=0)
    with qtbot.waitSignal(shell.tour.stepStarted, timeout=30000):
        shell.tour.start()
    qtbot.mouseClick(shell.wall.canvas, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert shell.tour.state == "paused"


def test_exit_combo_wrong_pin_stays_right_pin_exits(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client)
    exits = []
    shell.exitRequested.connect(lambda: exits.append(True))
    shell.close()  # the window manager's close (Alt+F4 and the like) is ignored
    qtbot.keyClick(shell, Qt.Key.Key_F4, modifier=Qt.KeyboardModifier.AltModifier)
    assert shell.isVisible() and not shell.pin_pad.isVisible()
    qtbot.keyClick(shell, Qt.Key.Key_Q, modifier=MODS)
    pad = shell.pin_pad
    assert pad.isVisible()
    for d in "1111":
        pad.press(d)
    pad.press("确定")
    assert not exits and pad.isVisible() and shell.isVisible() and "口令错误" in pad.message.text()
    pad.press("取消")
    assert not pad.isVisible()
    qtbot.keyClick(shell, Qt.Key.Key_Q, modifier=MODS)
    qtbot.keyClicks(pad, PIN)
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert exits == [True] and shell.exiting


def test_the_pin_pad_locks_after_repeated_failures(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client)
    pad = shell.pin_pad
    shell.request_exit()
    for _ in range(5):
        for d in "0000":
            pad.press(d)
        pad.press("确定")
    assert pad.locked and "错误次数过多" in pad.message.text()
    for d in PIN:  # even the right PIN waits out the lock
        pad.press(d)
    pad.press("确定")
    assert not shell.exiting


def test_the_cursor_hides_when_still_and_returns_on_movement(qtbot, make_shell, kiosk_client):
    shell = make_shell(kiosk_client, hide_cursor_after=0.2)
    qtbot.waitUntil(lambda: shell.cursor.hidden, timeout=5000)
    assert QApplication.overrideCursor().shape() == Qt.CursorShape.BlankCursor
    qtbot.mouseMove(shell.wall.canvas, QPoint(40, 40))
    assert not shell.cursor.hidden
    qtbot.waitUntil(lambda: shell.cursor.hidden, timeout=5000)


def test_the_heartbeat_comes_from_the_event_loop(qtbot, make_shell, kiosk_client):
    from sandbox.kiosk.supervisor import Heartbeat, parse_beat

    r, w = os.pipe()
    os.set_blocking(r, False)
    hb = Heartbeat(w)
    seen: list[bytes] = []

    def beats() -> list:
        try:
            seen.append(os.read(r, 65536))
        except BlockingIOError:
            pass
        return [parse_beat(line) for line in b"".join(seen).splitlines()]

    try:
        shell = make_shell(kiosk_client, heartbeat=hb.beat, heartbeat_seconds=0.05)
        qtbot.waitUntil(lambda: len(beats()) >= 3, timeout=5000)
        pid, seq, phase = beats()[-1]
        assert pid == os.getpid() and phase == "running" and shell.heartbeat.count >= 3
    finally:
        os.close(r)
        os.close(w)


def test_safe_mode_screen_is_calm_and_shows_no_traceback(qtbot, themed, pin_hash):
    import datetime as dt
    from functools import partial

    from sandbox.kiosk.pin import verify_pin
    from sandbox.ui.kiosk.safe_mode import SafeModeScreen

    status = {"safe_mode": True, "last_error": "界面进程异常退出 (退出码 1): RuntimeError: 地图数据损坏",
              "next_retry": "2024-05-01T10:02:00"}
    screen = SafeModeScreen(status=lambda: status, verify_pin=partial(verify_pin, stored=pin_hash),
                            now=lambda: dt.datetime(2024, 5, 1, 10, 0, 30))
    qtbot.addWidget(screen)
    screen.resize(1920, 1080)
    screen.show()
    lines = screen.lines()
    assert lines["title"] == "系统正在恢复" and lines["clock"] == "10:00:30"
    assert "RuntimeError: 地图数据损坏" in lines["error"] and lines["retry"] == "下次尝试恢复: 10:02:00"
    assert not any("Traceback" in v for v in lines.values())
    img = screen.grab().toImage()
    assert img.width() == 1920 and len({img.pixel(x, 540) for x in range(0, 1920, 40)}) > 1  # not blank
    screen.close()
    assert screen.isVisible()  # only the PIN ends it
    screen.request_exit()
    for d in PIN:
        screen.pin_pad.press(d)
    screen.pin_pad.press("确定")
    assert screen.exiting
