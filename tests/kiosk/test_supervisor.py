"""The supervisor against tiny child scripts: a hung UI and a crashing one are restarted, then safe mode."""

from __future__ import annotations

import datetime as dt
import os
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sandbox.kiosk.supervisor import Policy, Supervisor, read_status, summarize_error

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for the wall: counts its runs in a file, then behaves as `plan[run]` says:
#   "hang"  beat three times, then stop beating (a hung event loop) and never exit
#   "crash" raise (a traceback on stderr)
#   "ok"    beat forever
#   "exit"  exit 0 (the operator's PIN)
#   "silent" never beat (stuck before its first frame)
CHILD = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from sandbox.kiosk.supervisor import Heartbeat
    counter = {counter!r}
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    open(counter, "w").write(str(n + 1))
    plan = {plan!r}
    what = plan[min(n, len(plan) - 1)]
    hb = Heartbeat.from_env()
    if what == "crash":
        raise RuntimeError("地图数据损坏 token=sbx_secret123")
    if what == "exit":
        sys.exit(0)
    beats = 0
    while what == "silent":
        time.sleep(0.05)
    while True:
        if what == "ok" or beats < 3:
            hb.beat()
            beats += 1
        time.sleep(0.05)
""")

SAFE = textwrap.dedent("""
    import os, sys, time
    open({marker!r}, "a").write(str(os.getpid()) + "\\n")
    while True:
        time.sleep(0.1)
""")

# Windows wide enough that a loaded CI machine pausing a child for a moment is not a hang.
FAST = Policy(stale_seconds=1.5, start_timeout_seconds=15, restart_delay_seconds=0.05, max_restarts=3,
              window_seconds=60, safe_mode_retry_seconds=0.2, safe_mode_retry_max_seconds=0.4,
              healthy_after_seconds=0.5, poll_seconds=0.05, kill_grace_seconds=0.5)


@pytest.fixture
def supervise(tmp_path):
    """supervise(plan, policy) → a running Supervisor (in a thread) over the stand-in child."""
    running: list[tuple[Supervisor, threading.Thread]] = []

    def start(plan: list[str], policy: Policy = FAST, **kw) -> Supervisor:
        script = tmp_path / "child.py"
        script.write_text(CHILD.format(root=str(ROOT), counter=str(tmp_path / "runs"), plan=plan))
        safe = tmp_path / "safe.py"
        safe.write_text(SAFE.format(marker=str(tmp_path / "safe-started")))
        sup = Supervisor([sys.executable, str(script)], [sys.executable, str(safe)], policy,
                         workdir=tmp_path / "work", echo_stderr=False, **kw)
        sup.result = None

        def run():
            sup.result = sup.run()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        running.append((sup, t))
        return sup

    yield start
    for sup, t in running:
        sup.stop()
        t.join(15)


def wait_for(cond, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_hung_ui_is_killed_and_restarted(supervise):
    sup = supervise(["hang", "ok"])
    wait_for(lambda: sup.event_kinds().count("start") >= 1 and sup.ui is not None)
    first_pid = sup.ui.proc.pid
    wait_for(lambda: sup.event_kinds().count("start") >= 2)
    kinds = sup.event_kinds()
    assert kinds[:3] == ["start", "hung", "start"]
    assert "界面无响应" in sup.last_error
    wait_for(lambda: not alive(first_pid))
    # the restarted UI keeps beating: no further restarts
    wait_for(lambda: sup.ui is not None and sup.ui.first_beat is not None)
    time.sleep(3 * FAST.stale_seconds)
    assert sup.event_kinds().count("start") == 2 and not sup.safe_mode


def test_a_crashing_ui_is_restarted_and_its_error_summarised(supervise):
    sup = supervise(["crash", "ok"])
    wait_for(lambda: sup.event_kinds().count("start") >= 2)
    crash = next(d for k, d in sup.events if k == "crash")
    assert "RuntimeError: 地图数据损坏" in crash
    assert "Traceback" not in crash and "sbx_secret123" not in crash and 'File "' not in crash
    assert not sup.safe_mode


def test_three_restarts_then_safe_mode_keeps_retrying_and_recovers(supervise, tmp_path):
    sup = supervise(["crash", "crash", "crash", "crash", "crash", "ok"])
    wait_for(lambda: "safe_mode" in sup.event_kinds())
    kinds = sup.event_kinds()
    assert kinds[:kinds.index("safe_mode")].count("start") == 4  # the first run and three restarts
    wait_for(lambda: (tmp_path / "safe-started").exists())
    status = read_status(sup.status_path)
    assert status["safe_mode"] and "RuntimeError" in status["last_error"] and status["next_retry"]
    # still retrying under the safe-mode screen; the sixth run is healthy and ends safe mode
    wait_for(lambda: "safe_mode_end" in sup.event_kinds())
    safe_pid = int((tmp_path / "safe-started").read_text().split()[0])
    wait_for(lambda: not alive(safe_pid))
    assert sup.event_kinds().count("start") == 6 and not sup.safe_mode and not read_status(sup.status_path)["safe_mode"]


def test_the_operator_exit_stops_the_supervisor(supervise):
    sup = supervise(["exit"])
    wait_for(lambda: sup.result is not None)
    assert sup.result == 0 and sup.event_kinds() == ["start", "operator_exit"]


def test_a_ui_that_never_beats_is_restarted_after_the_start_timeout(supervise):
    policy = Policy(**{**FAST.__dict__, "start_timeout_seconds": 0.5})
    sup = supervise(["silent", "ok"], policy)
    wait_for(lambda: "hung" in sup.event_kinds())
    assert "启动超时" in sup.last_error


def test_scheduled_restart_is_not_counted_as_a_crash(supervise):
    clock = {"now": dt.datetime(2024, 5, 1, 4, 29, 50)}
    policy = Policy(**{**FAST.__dict__, "restart_daily_at": "04:30"})
    sup = supervise(["ok"], policy, now=lambda: clock["now"])
    wait_for(lambda: sup.ui is not None and sup.ui.first_beat is not None)
    clock["now"] = dt.datetime(2024, 5, 1, 4, 30, 5)
    wait_for(lambda: sup.event_kinds().count("start") == 2)
    assert "scheduled_restart" in sup.event_kinds() and "crash" not in sup.event_kinds()
    assert not sup.restarts  # planned restarts do not count towards safe mode


def test_summary_is_one_line_without_secrets():
    lines = ["Traceback (most recent call last):", '  File "x.py", line 3, in <module>',
             "    connect('postgresql://u:pw@host/db')",
             "sqlalchemy.exc.OperationalError: could not connect to postgresql://u:pw@host/db Bearer abc"]
    s = summarize_error(lines)
    assert s.startswith("sqlalchemy.exc.OperationalError") and "pw" not in s and "abc" not in s
    assert summarize_error([]) == ""
    # no exception: the UI's own error line, never Qt's warnings
    assert summarize_error(["错误: 无法从 http://10.0.0.5:8765 读取数据范围: 无法连接", "This plugin does not support x"]) \
        == "无法从 http://10.0.0.5:8765 读取数据范围: 无法连接"
    assert summarize_error(["2024-05-01 10:00:00,1 ERROR sandbox.ui.wall: 地图加载失败", "qt.qpa: warning"]) \
        == "地图加载失败"
    assert summarize_error(["This plugin does not support propagateSizeHints()"]) == ""
