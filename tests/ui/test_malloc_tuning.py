"""Issue 20 (memory): what a fixed glibc mmap threshold does (the soak's A/B knob, and an operator's setting)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import app
from sandbox.ui import heap

ROOT = Path(__file__).resolve().parents[2]
glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

# Frees one frame-sized block, allocates another of the same size and prints whether it got a mapping
# of its own (mallinfo2's count of mmapped blocks in use went up) or came out of the heap.
_PROBE = r"""
import ctypes, sys
if "mallopt" in sys.argv:
    from sandbox.ui.heap import fix_mmap_threshold
    assert fix_mmap_threshold()
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
    # What a fixed threshold changes: after the first large image is freed, the next one of its size is heap.
    assert _probe(_plain_env()) == "heap"


@glibc_only
def test_an_operators_threshold_reaches_the_supervised_ui(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", str(heap.MMAP_THRESHOLD))
    env = app._child_env()  # what the supervisor starts the UI and safe-mode children with
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(heap.MMAP_THRESHOLD)
    assert _probe({**_plain_env(), "MALLOC_MMAP_THRESHOLD_": env["MALLOC_MMAP_THRESHOLD_"]}) == "mapped"


@glibc_only
def test_the_soaks_knob_fixes_the_threshold_in_process():
    assert _probe(_plain_env(), "mallopt") == "mapped"
