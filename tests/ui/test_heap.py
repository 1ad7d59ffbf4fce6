"""What the wall hands back after an outage: freed heap pages and Python's cached source lines."""

from __future__ import annotations

import linecache
import sys
import types

from sandbox.ui import heap


def test_release_drops_cached_source_lines_and_trims_the_heap():
    assert linecache.getline(heap.__file__, 1)  # a module's source, cached as PySide6's import hook does
    assert heap.__file__ in linecache.cache
    assert linecache.getline(linecache.__file__, 1)
    trimmed = heap.release_freed_memory()
    # every module's lines go (another test's leftover thread may cache a line of its own meanwhile)
    assert heap.__file__ not in linecache.cache and linecache.__file__ not in linecache.cache
    assert isinstance(trimmed, bool)
    assert linecache.getline(heap.__file__, 1)  # a traceback can still read it when it needs it


def test_modules_imported_after_pyside6_leave_no_source_lines_behind(tmp_path, monkeypatch):
    # Issue 20: PySide6's import hook read every module imported after it into linecache (≈ 440,000
    # lines in a wall's first seconds, spread over Python arenas that stay mapped for good).
    from shibokensupport import feature

    import sandbox.ui  # noqa: F401 - what every wall process imports first

    (tmp_path / "h20_uses_qt.py").write_text("import PySide6.QtCore  # the wall's own kind\nX = 1\n")
    (tmp_path / "h20_plain.py").write_text("# a server module: no Qt\nY = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        __import__("h20_uses_qt")  # an import statement's path, which the hook wraps
        __import__("h20_plain")
        assert str(tmp_path / "h20_uses_qt.py") not in linecache.cache
        assert str(tmp_path / "h20_plain.py") not in linecache.cache
        # the hook's answer is the one its own source check gave: uses PySide6 → 0, else −1 (ignored)
        assert feature.pyside_feature_dict["h20_uses_qt"] == 0
        assert feature.pyside_feature_dict["h20_plain"] == -1
    finally:
        for name in ("h20_uses_qt", "h20_plain"):
            sys.modules.pop(name, None)
            feature.pyside_feature_dict.pop(name, None)


def test_keeping_no_source_lines_is_idempotent_and_answers_like_the_hook(tmp_path):
    assert heap.keep_no_source_lines() is True and heap.keep_no_source_lines() is True
    qt, plain = tmp_path / "a.py", tmp_path / "b.py"
    qt.write_text("from PySide6 import QtCore\n")
    plain.write_text("import json\n")
    assert heap._mentions_pyside(types.SimpleNamespace(__file__=str(qt))) is True
    assert heap._mentions_pyside(types.SimpleNamespace(__file__=str(plain))) is False
    assert heap._mentions_pyside(sys) is False  # built in: no source, as inspect says
    assert heap._mentions_pyside(types.SimpleNamespace(__file__=str(tmp_path / "gone.py"))) is False
    assert not linecache.cache.get(str(qt)) and not linecache.cache.get(str(plain))


def test_the_source_lines_fix_waits_for_qt_and_loads_none_itself():
    # sandbox.ui arranges the fix at import; a pure module under it (the panels' model, the
    # exporters, the session) must still load without Qt, and the fix must be in place once Qt loads.
    import subprocess

    code = ("import sys, sandbox.ui; assert 'PySide6' not in sys.modules, 'Qt loaded'; "
            "import PySide6.QtCore; from shibokensupport import feature; "
            "from sandbox.ui.source_lines import _mentions_pyside; "
            "assert feature._mod_uses_pyside is _mentions_pyside, 'not patched'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# A process on jemalloc (as the kiosk starts its UI) frees 50 MB and asks the wall's trim to hand it
# back; decay is slowed so only a purge can return the pages within the test. Prints jemalloc's dirty
# pages before and after, and what the trim returned.
JEMALLOC_CHILD = """
import ctypes, json, sys
sys.path.insert(0, {root!r})
from sandbox.ui import heap
mallctl = ctypes.CDLL(None).mallctl
mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p, ctypes.c_size_t]

def dirty_pages():
    epoch = ctypes.c_uint64(1)
    mallctl(b"epoch", None, None, ctypes.byref(epoch), ctypes.sizeof(epoch))
    value, size = ctypes.c_size_t(0), ctypes.c_size_t(ctypes.sizeof(ctypes.c_size_t))
    assert mallctl(b"stats.arenas.4096.pdirty", ctypes.byref(value), ctypes.byref(size), None, 0) == 0
    return value.value

blocks = [bytearray(256 * 1024) for _ in range(200)]
del blocks
before = dirty_pages()
released = heap.release_freed_memory()
print(json.dumps({{"before": before, "after": dirty_pages(), "released": released}}))
"""


def test_the_idle_trim_purges_jemallocs_freed_pages(tmp_path):
    # Issue 20 item 8: under jemalloc malloc_trim reaches only glibc's idle heap; the trim must ask
    # jemalloc to purge its arenas' dirty pages (on the old code they stay until their decay timer).
    import json
    import subprocess
    from pathlib import Path

    import pytest

    from sandbox.kiosk.allocator import find_jemalloc

    lib = find_jemalloc()
    if lib is None:
        pytest.skip("libjemalloc2 is not installed")
    root = str(Path(__file__).resolve().parents[2])
    env = {"PATH": "/usr/bin:/bin", "LD_PRELOAD": str(lib), "PYTHONMALLOC": "malloc", "QT_QPA_PLATFORM": "offscreen",
           "MALLOC_CONF": "background_thread:false,dirty_decay_ms:600000,muzzy_decay_ms:0"}
    done = subprocess.run([sys.executable, "-c", JEMALLOC_CHILD.format(root=root)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["before"] * 4096 > 20 * 2**20, facts  # the freed 50 MB were kept as dirty pages
    assert facts["after"] * 4096 < 2 * 2**20, facts  # ... and handed back by the trim
    assert facts["released"] is True


def test_purging_jemalloc_is_a_no_op_on_glibc():
    # This test process runs on glibc (no LD_PRELOAD): no mallctl, nothing asked, nothing fails.
    import os

    if "libjemalloc" in os.environ.get("LD_PRELOAD", ""):
        import pytest

        pytest.skip("this test process runs on jemalloc")
    assert heap.purge_jemalloc() is False
    assert isinstance(heap.release_freed_memory(), bool)
