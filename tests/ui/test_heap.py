"""What the wall hands back after an outage: freed heap pages and Python's cached source lines."""

from __future__ import annotations

import linecache

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
