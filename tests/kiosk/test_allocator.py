"""The supervisor starts its UI and safe-mode children on jemalloc when configured and installed, else on glibc."""

from __future__ import annotations

import json
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sandbox.kiosk.allocator import JEMALLOC_CONF, allocator_env, find_jemalloc
from sandbox.kiosk.config import WatchdogSection
from sandbox.kiosk.supervisor import Policy, Supervisor

ROOT = Path(__file__).resolve().parents[2]

# A stand-in child (UI or safe mode): writes what it runs with — its allocator variables and whether
# jemalloc is mapped into it — then beats (the UI) or idles (safe mode) until stopped.
CHILD = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, {root!r})
    from sandbox.kiosk.supervisor import Heartbeat
    maps = open("/proc/self/maps").read()
    facts = {{k: os.environ.get(k) for k in ("LD_PRELOAD", "MALLOC_CONF", "PYTHONMALLOC")}}
    facts["jemalloc_mapped"] = "libjemalloc" in maps
    open({out!r} + ".tmp", "w").write(json.dumps(facts))
    os.replace({out!r} + ".tmp", {out!r})
    hb = Heartbeat.from_env() if {beat!r} else None
    while True:
        if hb:
            hb.beat()
        time.sleep(0.05)
""")

POLICY = Policy(stale_seconds=5, start_timeout_seconds=20, restart_delay_seconds=0.05, poll_seconds=0.05,
                kill_grace_seconds=0.5)


def run_child(tmp_path: Path, policy: Policy, *, safe: bool = False, find=find_jemalloc, env=None) -> dict:
    """Run the supervisor until its first child (the UI, or with `safe` a safe-mode child) has said what
    it runs with; return that."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "facts.json"
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), out=str(out), beat=not safe))
    base = dict(env or {}, PATH="/usr/bin:/bin")
    sup = Supervisor([sys.executable, str(script)], [sys.executable, str(script)], policy,
                     workdir=tmp_path / "work", env=base, echo_stderr=False, find_allocator=find)
    if safe:
        sup.safe_mode = True  # as after three failed restarts: the next step starts the safe-mode screen
        sup._next_start = float("inf")
    t = threading.Thread(target=sup.run, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not out.exists():
            assert time.monotonic() < deadline, "the child did not start"
            time.sleep(0.05)
        if safe:
            assert sup.safe is not None and sup.ui is None
        return json.loads(out.read_text())
    finally:
        sup.stop()
        t.join(15)


def jemalloc_policy(choice: str = "jemalloc") -> Policy:
    return Policy(**{**POLICY.__dict__, "allocator": choice})


def installed() -> Path:
    lib = find_jemalloc()
    if lib is None:
        pytest.skip("libjemalloc2 not installed (scripts/setup installs it)")
    return lib


def test_the_ui_child_runs_on_jemalloc_when_enabled_and_installed(tmp_path):
    lib = installed()
    facts = run_child(tmp_path, jemalloc_policy())
    assert facts["LD_PRELOAD"] == str(lib)
    assert facts["MALLOC_CONF"] == JEMALLOC_CONF and facts["PYTHONMALLOC"] == "malloc"
    assert facts["jemalloc_mapped"]


def test_a_safe_mode_child_runs_on_jemalloc_too(tmp_path):
    installed()
    facts = run_child(tmp_path, jemalloc_policy(), safe=True)
    assert facts["jemalloc_mapped"] and facts["PYTHONMALLOC"] == "malloc"


def test_the_ui_child_runs_on_glibc_when_disabled(tmp_path):
    facts = run_child(tmp_path, jemalloc_policy("glibc"), find=lambda: pytest.fail("not looked for when disabled"))
    assert facts == {"LD_PRELOAD": None, "MALLOC_CONF": None, "PYTHONMALLOC": None, "jemalloc_mapped": False}


def test_the_ui_and_safe_mode_children_fall_back_to_glibc_when_jemalloc_is_missing(tmp_path, caplog):
    caplog.set_level("INFO", logger="sandbox.kiosk.supervisor")
    for safe in (False, True):
        facts = run_child(tmp_path / str(safe), jemalloc_policy(), safe=safe, find=lambda: None)
        assert facts == {"LD_PRELOAD": None, "MALLOC_CONF": None, "PYTHONMALLOC": None, "jemalloc_mapped": False}
    said = [r.getMessage() for r in caplog.records if "allocator" in r.getMessage()]
    assert said == ["kiosk allocator: glibc (libjemalloc2 not installed; apt-get install libjemalloc2 for jemalloc)"] * 2


def test_an_operators_own_settings_are_kept(tmp_path):
    lib = Path("/opt/je/libjemalloc.so.2")
    env, said = allocator_env("jemalloc", {"LD_PRELOAD": "/opt/x/libfoo.so", "MALLOC_CONF": "narenas:1"},
                              find=lambda: lib)
    assert env == {"LD_PRELOAD": f"{lib}:/opt/x/libfoo.so", "MALLOC_CONF": "narenas:1", "PYTHONMALLOC": "malloc"}
    assert "jemalloc" in said


def test_the_config_setting_reaches_the_policy():
    assert Policy.from_section(WatchdogSection()).allocator == "jemalloc"
    assert Policy.from_section(WatchdogSection(allocator="glibc")).allocator == "glibc"
    with pytest.raises(ValueError):
        WatchdogSection(allocator="tcmalloc")
