"""PySide6's import hook without the cached source: every module it checks is read and kept nowhere.

Qt-free on purpose: `sandbox.ui` arranges it at import, and pure modules under `sandbox.ui` (the
panels' model, the exporters, the session) must stay importable without loading Qt.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from typing import Any

__all__ = ["keep_no_source_lines", "keep_no_source_lines_once_qt_loads"]


def keep_no_source_lines() -> bool:
    """Stop PySide6's import hook from reading every imported module's source into `linecache`.

    For `from __feature__ import ...` the hook asks of each module imported after PySide6 whether
    it mentions PySide6, through `inspect.getsource`, which caches the whole file's lines (issue 20:
    855 files, 440,000 lines in a wall's first seconds). Dropping them later is not enough: they
    were spread over ≈ 100 MiB of Python's arenas, which stay mapped while any block in them lives.
    The same answer, read from the file and kept nowhere. Idempotent; False where PySide6 has no
    such hook. Imports PySide6: a Qt-free process calls `keep_no_source_lines_once_qt_loads`."""
    try:
        import PySide6  # noqa: F401 - installs the hook and its support package
        from shibokensupport import feature
    except ImportError:
        return False
    if not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _mentions_pyside
    return True


def keep_no_source_lines_once_qt_loads() -> None:
    """`keep_no_source_lines` now if PySide6 is loaded, else right after PySide6's own import, before
    any module of ours is imported after it; a process that never loads Qt never loads it here."""
    if "PySide6" in sys.modules:
        keep_no_source_lines()
    elif not any(isinstance(f, _AfterPySide6) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterPySide6())


class _AfterPySide6(importlib.abc.MetaPathFinder):
    """Finds PySide6 as the other finders do, and runs the patch once its import has executed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None):
        if name != "PySide6":
            return None
        sys.meta_path.remove(self)  # once, and the lookup below must not find us again
        spec = importlib.util.find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            keep_no_source_lines()

        loader.exec_module = exec_module  # this spec's own loader instance
        return spec


def _mentions_pyside(module: Any) -> bool:
    """What the hook's own check answers (the source names PySide6; no source: no), without `linecache`."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        with open(path, "rb") as f:
            return b"PySide6" in f.read()
    except OSError:
        return False
