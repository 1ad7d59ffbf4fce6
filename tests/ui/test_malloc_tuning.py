"""Issue 20 (memory): the kiosk's processes fix glibc's mmap threshold, so frame-sized images go back whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import app
from sandbox.kiosk import memory
from sandbox.ui import heap

ROOT = Path(__file__).resolve().parents[2]
glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# Frees one frame-sized block, allocates another of the same size and prints whether it got a mapping
# of its own (mallinfo2's count of mmapped blocks in use went up) or came out of the heap.
_PROBE = r"""
import ctypes, sys
if "mallopt" in sys.argv:
    from sandbox.ui.heap import tune_malloc
    assert tune_malloc()
libc = ctypes.CDLL("libc.so.6")
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 1920 * 1080 * 4  # one 1080p ARGB32 image
libc.free(libc.malloc(size))  # glibc's dynamic threshold rises to this size here, unless it is fixed
before = libc.mallinfo2().hblks
block = libc.malloc(size)
print("mapped" if libc.mallinfo2().hblks > before else "heap")
libc.free(block)
"""


def _probe(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _plain_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env["PYTHONPATH"] = str(ROOT)
    return env


@glibc_only
def test_glibc_left_alone_carves_the_second_frame_image_out_of_the_heap():
    # What the fix is for: after the first large image is freed, the next one of its size is heap.
    assert _probe(_plain_env()) == "heap"


@glibc_only
def test_the_supervised_ui_and_safe_mode_children_map_frame_images_of_their_own():
    env = app._child_env()  # what the supervisor starts both children with
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(heap.MMAP_THRESHOLD)
    env = {**_plain_env(), "MALLOC_MMAP_THRESHOLD_": env["MALLOC_MMAP_THRESHOLD_"]}
    assert _probe(env) == "mapped"


@glibc_only
def test_a_wall_started_without_the_supervisor_fixes_the_threshold_itself():
    assert _probe(_plain_env(), "mallopt") == "mapped"


def test_an_operators_own_malloc_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "4194304")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    env = app._child_env()
    assert env["MALLOC_MMAP_THRESHOLD_"] == "4194304"
    assert env["MALLOC_ARENA_MAX"] == memory.MALLOC_ENV["MALLOC_ARENA_MAX"] == str(heap.ARENA_MAX)


@pytest.mark.parametrize("run", [app.run_kiosk_ui, app.run_safe_mode], ids=["kiosk-ui", "safe-mode"])
def test_the_kiosk_processes_tune_malloc_before_anything_else(run, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(heap, "tune_malloc", lambda: calls.append(1) or True)
    assert run(tmp_path / "missing.toml") == 2  # a config that is not there: the process stops at once
    assert calls == [1]
