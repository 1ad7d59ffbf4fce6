"""The check-in layer's live part: what arrived through GET /events survives a refresh of the same
region (counted, still pulsing) and is dropped with the region."""

from __future__ import annotations

import datetime as dt

from sandbox.ui.layers.checkins import PULSE_S, CheckinLayer
from sandbox.ui.layers.data import CheckinPoint

TOWN = "522726103000"


def _point(i: int, village: str = "522726103201") -> CheckinPoint:
    return CheckinPoint(i, dt.datetime(2020, 12, 1, 10, 0), 107.5, 25.8, village, True)


def test_a_refresh_keeps_the_live_checkins_and_their_pulses():
    now = [100.0]
    layer = CheckinLayer(clock=lambda: now[0])
    layer.set_data(TOWN, [_point(1), _point(2)], {})
    assert layer.add_live(_point(3)) and layer.live == 1 and 3 in layer.pulses
    assert layer.summary_zh() == "近30天签到 2 次 · 实时 1 次"
    now[0] += PULSE_S / 2
    layer.set_data(TOWN, [_point(1), _point(2), _point(3)], {})  # the same region again: 3 is in the records
    assert layer.live == 1 and 3 in layer.pulses and layer.animating(now[0])
    assert layer.summary_zh() == "近30天签到 2 次 · 实时 1 次"
    assert layer.add_live(_point(5))  # arrives while the next refresh is being read: not in its records
    now[0] += PULSE_S / 2
    layer.set_data(TOWN, [_point(1), _point(2), _point(3)], {})
    assert {p.id for p in layer.points} == {1, 2, 3, 5} and layer.live == 2
    assert set(layer.pulses) == {5}  # 3's pulse is over, 5's still runs
    now[0] += PULSE_S
    layer.set_data(TOWN, [_point(1), _point(2), _point(3), _point(5)], {})
    assert layer.live == 2 and not layer.pulses  # counted still; their pulses are over
    layer.set_data(TOWN, [_point(1), _point(2), _point(3)], {})
    assert layer.live == 2 and len(layer.points) == 4
    layer.set_data("522726104000", [_point(4, "522726104201")], {})  # another region: nothing live there
    assert layer.live == 0 and not layer.pulses and layer.summary_zh() == "近30天签到 1 次"
