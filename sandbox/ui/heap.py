"""Memory the wall process holds without using: freed heap pages and cached source lines, handed back.

(A fixed glibc mmap threshold, which would return every freed image at once, was measured and left
out: fresh mappings for the images a drill re-makes cost ≈ 30 ms per drill at 4K.)
"""

from __future__ import annotations

import ctypes
import linecache
from typing import Any

__all__ = ["release_freed_memory"]

_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim  # noqa: B018 - fails here, once, where the C library has none
        except (OSError, AttributeError):
            _libc = False
    return _libc


def release_freed_memory() -> bool:
    """Hand freed heap pages back to the system, and drop the source lines Python keeps for tracebacks.

    An outage allocates and frees a few MB (error paths, retries, re-rendered banners); glibc keeps
    the freed pages. PySide6's import hook reads every imported module's source through `linecache`
    (≈1.4 million lines, ≈10 MB of heap); a traceback reads what it needs again. False where there is
    no glibc."""
    linecache.clearcache()
    libc = _glibc()
    return bool(libc) and bool(libc.malloc_trim(0))
