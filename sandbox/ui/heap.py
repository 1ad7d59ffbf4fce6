"""Memory the wall process holds without using: freed heap pages (glibc or jemalloc) and cached source lines, handed back.

(A fixed glibc mmap threshold, `fix_mmap_threshold`, returns every freed image at once; measured twice
and left out of the kiosk: fresh mappings for the images a drill re-makes cost ≈ 5.6 ms of CPU per
1080p image and ≈ 19 ms per 4K one, for 10–15 MB less RSS and no measurable change of slope. An
operator can still set it: `MALLOC_MMAP_THRESHOLD_=1048576` in the kiosk's environment reaches the UI.)
"""

from __future__ import annotations

import ctypes
import linecache
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from sandbox.ui.source_lines import _mentions_pyside, keep_no_source_lines  # noqa: F401 - kept here too

__all__ = ["release_freed_memory", "purge_jemalloc", "limit_arenas", "fix_mmap_threshold", "keep_no_source_lines", "PeriodicTrim",
           "ARENA_MAX", "MMAP_THRESHOLD", "TRIM_SECONDS"]

# glibc gives each thread that allocates its own arena (up to 8 per core); what a worker thread
# (loader, health probe, camera reader) frees stays in its arena, fragmented and out of reach of
# the main arena's reuse. Two arenas: the GUI thread's and one the workers share.
ARENA_MAX = 2
_M_ARENA_MAX = -8  # mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
# glibc serves a block this large or larger from its own mapping, returned whole when freed. Left
# alone, glibc raises the threshold to the size of each large block freed (up to 32 MB): after the
# first 1080p/4K frame image (8-33 MB) every later one is carved out of the heap and stays resident.
# Setting it also switches that raising off (`bench/soak.py --mmap-threshold-mb`; not the kiosk's default).
MMAP_THRESHOLD = 1 * 2**20
# A wall that never has an outage never trimmed: freed pages piled up as RSS between drills.
TRIM_SECONDS = 60.0

# jemalloc's name for "every arena" in mallctl paths (MALLCTL_ARENAS_ALL, jemalloc 5).
_JE_ARENAS_ALL = 4096

_libc: Any = None
_mallctl: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim  # noqa: B018 - fails here, once, where the C library has none
            _libc.mallopt  # noqa: B018
        except (OSError, AttributeError):
            _libc = False
    return _libc


def _jemalloc() -> Any:
    """jemalloc's `mallctl` when this process runs on it (the kiosk preloads it into its UI), else False."""
    global _mallctl
    if _mallctl is None:
        try:
            fn = ctypes.CDLL(None).mallctl
        except (OSError, AttributeError):
            _mallctl = False
        else:
            fn.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p,
                           ctypes.c_size_t]
            fn.restype = ctypes.c_int
            _mallctl = fn
    return _mallctl


def purge_jemalloc() -> bool:
    """Hand every jemalloc arena's freed (dirty) pages back now, rather than when their decay timer says.

    Under jemalloc `malloc_trim` reaches only glibc's own idle heap, so the idle trim did nothing for the
    kiosk's UI. False where the process does not run on jemalloc."""
    mallctl = _jemalloc()
    return bool(mallctl) and mallctl(f"arena.{_JE_ARENAS_ALL}.purge".encode(), None, None, None, 0) == 0


def release_freed_memory() -> bool:
    """Hand freed heap pages back to the system, and drop the source lines Python keeps for tracebacks.

    An outage allocates and frees a few MB (error paths, retries, re-rendered banners); glibc keeps
    the freed pages, jemalloc keeps them until they decay. PySide6's import hook reads every imported
    module's source through `linecache` (≈1.4 million lines, ≈10 MB of heap); a traceback reads what it
    needs again. False where there is neither allocator to ask."""
    linecache.clearcache()
    purged = purge_jemalloc()
    libc = _glibc()
    return (bool(libc) and bool(libc.malloc_trim(0))) or purged


def limit_arenas(n: int = ARENA_MAX) -> bool:
    """At most `n` malloc arenas from now on (call before the worker threads start; the kiosk's
    supervisor also sets MALLOC_ARENA_MAX for its child). False where there is no glibc."""
    libc = _glibc()
    return bool(libc) and bool(libc.mallopt(_M_ARENA_MAX, int(n)))


def fix_mmap_threshold(nbytes: int = MMAP_THRESHOLD) -> bool:
    """Blocks of `nbytes` or more from their own mappings from now on, and no dynamic raising of that
    threshold. False where there is no glibc (or it refuses the value: at most 32 MB)."""
    libc = _glibc()
    return bool(libc) and bool(libc.mallopt(_M_MMAP_THRESHOLD, int(nbytes)))


class PeriodicTrim(QObject):
    """`release_freed_memory()` every `seconds`, skipped while `busy()` (a drill or a load in flight:
    a trim of a 200 MB heap takes milliseconds the frame should have)."""

    def __init__(self, busy: Callable[[], bool], seconds: float = TRIM_SECONDS, parent: QObject | None = None,
                 *, release: Callable[[], bool] | None = None):
        super().__init__(parent)
        self.busy, self.release = busy, release
        self.trims, self.last_ms = 0, 0.0  # the soak reports them
        self.timer = QTimer(self, interval=max(50, int(seconds * 1000)))
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        # Busy at the tick: try again shortly (a wall drilled every few seconds is rarely idle at a given instant).
        self.retry = QTimer(self, singleShot=True, interval=min(1000, self.timer.interval()))
        self.retry.timeout.connect(self.tick)

    def tick(self) -> None:
        if self.busy():
            if self.timer.isActive():
                self.retry.start()
            return
        t = time.perf_counter()
        (self.release or release_freed_memory)()
        self.last_ms = (time.perf_counter() - t) * 1000
        self.trims += 1

    def stop(self) -> None:
        self.timer.stop()
        self.retry.stop()
