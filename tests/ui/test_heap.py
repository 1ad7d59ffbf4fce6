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
