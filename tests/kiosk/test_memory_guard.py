"""The supervisor's memory guard: a real supervisor over a real child whose memory grows."""

from __future__ import annotations

import logging
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sandbox.kiosk.config import WatchdogSection
from sandbox.kiosk.memory import Activity, GuardPolicy, MemoryGuard, limit_for_pixels, parse_activity
from sandbox.kiosk.supervisor import Policy, Supervisor, beat_activity, parse_beat

ROOT = Path(__file__).resolve().parents[2]

# A stand-in wall: its first run grows to GROW MB of touched memory (a leak), later runs stay small;
# it beats every 50 ms and says in each beat how long nobody touched it (IDLE seconds).
CHILD = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from sandbox.kiosk.memory import Activity
    from sandbox.kiosk.supervisor import Heartbeat
    counter = {counter!r}
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    open(counter, "w").write(str(n + 1))
    hb = Heartbeat.from_env()
    hb.activity = lambda: Activity({idle}, False, 1920 * 1080)
    grow = {grow} if n == 0 or {grow_every_run} else 0
    held = []
    while True:
        if sum(len(b) for b in held) < grow * 2**20:
            held.append(b"x" * (4 * 2**20))  # written, so resident
        hb.beat()
        time.sleep(0.05)
""")


def _policy(**memory) -> Policy:
    guard = dict(limit_mb=120.0, over_seconds=1.0, quiet_seconds=5.0, min_interval_seconds=3600.0, check_seconds=0.1)
    guard.update(memory)
    return Policy(stale_seconds=3, start_timeout_seconds=20, restart_delay_seconds=0.05, max_restarts=3,
                  window_seconds=60, poll_seconds=0.05, kill_grace_seconds=1.0, memory=GuardPolicy(**guard))


@pytest.fixture
def supervise(tmp_path):
    running: list[tuple[Supervisor, threading.Thread]] = []

    def start(policy: Policy, *, idle: float = 600, grow: int = 200, grow_every_run: bool = False) -> Supervisor:
        script = tmp_path / "child.py"
        script.write_text(CHILD.format(root=str(ROOT), counter=str(tmp_path / "runs"), idle=idle, grow=grow,
                                       grow_every_run=grow_every_run))
        sup = Supervisor([sys.executable, str(script)], None, policy, workdir=tmp_path / "work", echo_stderr=False)
        t = threading.Thread(target=sup.run, daemon=True)
        t.start()
        running.append((sup, t))
        return sup

    yield start
    for sup, t in running:
        sup.stop()
        t.join(15)


def wait_for(cond, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_a_growing_ui_left_alone_is_restarted_once_and_comes_back(supervise, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.kiosk")
    sup = supervise(_policy())
    wait_for(lambda: "memory_restart" in sup.event_kinds())
    first_rss = sup.memory.last_rss
    assert first_rss > 120
    wait_for(lambda: sup.event_kinds().count("start") >= 2 and sup.ui is not None and sup.ui.first_beat is not None)
    kinds = sup.event_kinds()
    assert kinds[:3] == ["start", "memory_restart", "start"]
    assert not sup.safe_mode and not sup.restarts  # planned: no step towards safe mode
    # The second child stays small and keeps beating: no second restart, no crash.
    time.sleep(2.0)
    assert sup.event_kinds() == ["start", "memory_restart", "start"]
    assert sup.memory.last_rss < 120
    said = [r.getMessage() for r in caplog.records if "restarting the UI" in r.getMessage()]
    assert len(said) == 1 and "above the 120 MB bound" in said[0] and "idle for 10.0 min" in said[0]
    assert all(ord(c) < 128 for c in said[0])  # the log is plain English


def test_a_ui_in_use_is_not_restarted_however_large(supervise, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.kiosk")
    sup = supervise(_policy(), idle=0)  # someone touched it just now, at every beat
    wait_for(lambda: sup.memory.last_rss is not None and sup.memory.last_rss > 120)
    time.sleep(3.0)  # well past over_seconds
    assert sup.event_kinds() == ["start"]
    waiting = [r.getMessage() for r in caplog.records if "waiting (the wall was used" in r.getMessage()]
    assert len(waiting) == 1  # said once, not at every read


def test_at_most_one_memory_restart_per_interval(supervise):
    sup = supervise(_policy(), grow_every_run=True)  # every run grows: the bound is too small for this wall
    wait_for(lambda: sup.event_kinds().count("start") >= 2)
    wait_for(lambda: sup.memory.last_rss is not None and sup.memory.last_rss > 120)
    time.sleep(3.0)
    assert sup.event_kinds().count("memory_restart") == 1


def test_the_guard_waits_for_the_bound_to_hold_and_for_quiet():
    rss = {"mb": 900.0}
    guard = MemoryGuard(GuardPolicy(limit_mb=None, over_seconds=600, quiet_seconds=300, min_interval_seconds=6 * 3600,
                                    check_seconds=5), rss_mb=lambda pid: rss["mb"])
    hd = Activity(idle_seconds=10, touring=False, pixels=1920 * 1080)
    assert guard.check(0, 1, hd) is None
    assert guard.check(599, 1, hd) is None  # not yet 10 minutes above
    assert guard.check(605, 1, hd) is None  # used 10 s ago
    rss["mb"] = 650.0  # a dip under the bound starts the count again
    assert guard.check(610, 1, hd) is None
    rss["mb"] = 900.0
    quiet = Activity(idle_seconds=400, touring=True, pixels=1920 * 1080)
    assert guard.check(615, 1, quiet) is None
    assert guard.check(1214, 1, quiet) is None
    reason = guard.check(1220, 1, quiet)
    assert reason and "above the 700 MB bound" in reason and "unattended tour" in reason
    guard.reset()
    assert guard.check(1300, 2, quiet) is None and guard.check(1950, 2, quiet) is None  # within 6 hours
    assert guard.check(1220 + 6 * 3600 + 5, 2, quiet) is not None
    # A 4K wall's bound is higher; an off guard never reads.
    four_k = MemoryGuard(GuardPolicy(over_seconds=0, quiet_seconds=0, check_seconds=0), rss_mb=lambda pid: 900.0)
    assert four_k.check(0, 1, Activity(999, False, 3840 * 2160)) is None
    off = MemoryGuard(GuardPolicy(limit_mb=0), rss_mb=lambda pid: pytest.fail("read"))
    assert off.check(0, 1, None) is None


def test_auto_bounds_by_pixels():
    assert limit_for_pixels(None) == 700 and limit_for_pixels(960 * 540) == 700
    assert limit_for_pixels(1920 * 1080) == 700
    assert round(limit_for_pixels(3840 * 2160)) == 1024
    assert limit_for_pixels(7680 * 2160) > 1300


def test_the_heartbeat_line_carries_the_activity(tmp_path):
    import os

    from sandbox.kiosk.supervisor import Heartbeat

    r, w = os.pipe()
    try:
        hb = Heartbeat(w, activity=lambda: Activity(42.4, True, 3840 * 2160))
        hb.beat()
        line = os.read(r, 4096).splitlines()[0]
    finally:
        os.close(r)
        os.close(w)
    assert parse_beat(line) == (os.getpid(), 1, "running")
    assert beat_activity(line) == Activity(42.0, True, 3840 * 2160)
    assert beat_activity(b"12 3 running") is None  # an older UI: nothing said
    assert parse_activity(["idle=x", "px=", "tour=1", "what=ever"]) == Activity(None, True, None)


def test_config_memory_keys():
    w = WatchdogSection()
    assert w.memory_limit_mb == "auto" and w.memory_over_minutes == 10 and w.memory_quiet_minutes == 5
    p = Policy.from_section(WatchdogSection(memory_limit_mb=800, memory_restart_min_hours=2))
    assert p.memory.limit_mb == 800 and p.memory.min_interval_seconds == 7200
    assert Policy.from_section(WatchdogSection(memory_limit_mb="off")).memory.enabled is False
    assert Policy.from_section(w).memory.limit_mb is None


def test_config_memory_limit_errors_in_chinese(write_config):
    from sandbox.kiosk.config import load_config
    from sandbox.kiosk.errors import ConfigError

    path = write_config("""
        [watchdog]
        memory_limit_mb = 50
    """)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    text = str(exc.value.problems[0])
    assert "memory_limit_mb" in text and "100 至 65536" in text
