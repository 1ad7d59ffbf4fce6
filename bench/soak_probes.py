"""What the soak records at each sample beside RSS: the allocator's account, PSS, page faults, the wall's caches and Qt objects.

Read in the soak's own process (the wall runs in it): jemalloc's statistics when it is preloaded as the
kiosk preloads it, else glibc's; the pictures and sprites the wall keeps; its Qt objects, counted by
walking `children()` (PySide's `findChildren` would make this process hold every object it found, the
short-lived ones included, and so grow what it measures).
"""

from __future__ import annotations

import ctypes
import linecache
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _jemalloc_stats() -> dict | None:
    """jemalloc's own account when the process runs on it (LD_PRELOAD): bytes in allocated blocks, and
    resident pages it holds beyond them (dirty pages waiting for decay, metadata); None under glibc."""
    try:
        mallctl = ctypes.CDLL(None).mallctl
    except AttributeError:
        return None
    mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p,
                        ctypes.c_size_t]
    epoch = ctypes.c_uint64(1)
    mallctl(b"epoch", None, None, ctypes.byref(epoch), ctypes.sizeof(epoch))  # refresh the cached statistics
    out = {}
    for key in ("allocated", "active", "resident", "mapped", "retained", "metadata"):
        value, size = ctypes.c_size_t(0), ctypes.c_size_t(ctypes.sizeof(ctypes.c_size_t))
        if mallctl(f"stats.{key}".encode(), ctypes.byref(value), ctypes.byref(size), None, 0) == 0:
            out[key] = value.value / 2**20
    if "allocated" not in out:
        return None
    return {"heap_used": out["allocated"], "heap_free": out.get("resident", out["allocated"]) - out["allocated"],
            "je_active": out.get("active", 0.0), "je_mapped": out.get("mapped", 0.0),
            "je_retained": out.get("retained", 0.0),
            # resident beyond active is dirty pages not yet purged plus this: jemalloc's own bookkeeping
            "je_metadata": out.get("metadata", 0.0)}


def _pss_mb() -> float:
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _heap() -> dict:
    """The allocator's account: under jemalloc its own statistics (glibc's mallinfo then sees only its
    idle arena); else glibc's, below."""
    je = _jemalloc_stats()
    return je if je is not None else _glibc_heap()


def _glibc_heap() -> dict:
    """glibc's own account over all arenas: bytes in use (QImage pixels, Qt, numpy: native memory)
    and bytes freed but kept. RSS also counts the kept pages that were touched again, which is why
    it saws between outages (the wall trims the heap on recovery) while what is held stays flat."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        mi = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    return {"heap_used": (mi.uordblks + mi.hblkhd) / 2**20, "heap_free": mi.fordblks / 2**20}


def _minor_faults() -> int:
    """Pages this process has touched for the first time since they were mapped (or handed back): the
    price of returning memory is paid here, a few µs each, when the pages are used again."""
    try:
        return int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[7])
    except (OSError, IndexError, ValueError):
        return 0


def _anonymous_mb() -> float:
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _python_arenas() -> int:
    """Python's small-object arenas held now (1 MiB each on 3.11, mapped outside glibc's heap): an
    arena goes back only when every block in it is free, so fragmentation shows here and not in the
    block count. Read from `sys._debugmallocstats()`, which writes to fd 2."""
    import re

    with tempfile.TemporaryFile() as f:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(f.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        m = re.search(rb"# arenas allocated current\s*=\s*([\d,]+)", f.read())
    return int(m.group(1).replace(b",", b"")) if m else -1


def memory_breakdown(win, client) -> dict:
    """Where the memory is, beside RSS: the pixel caches (QImage data is native: tracemalloc never
    sees it), glibc's heap, Python's own blocks, the offline cache on disk."""
    from sandbox.ui import map_layer, paint_cache

    canvas = win.canvas
    # The canvas's levels kept laid out and rendered (bounded by map_canvas.LAYER_CACHE + PREPARED_CACHE).
    layers = [*getattr(canvas, "_layers", {}).values(), *getattr(canvas, "_prepared", {}).values()]
    layer_bytes = sum(layer._base[1].image.sizeInBytes() for layer in layers if getattr(layer, "_base", None))
    out = {
        "anonymous": _anonymous_mb(),
        "pss": _pss_mb(),
        "py_blocks_k": sys.getallocatedblocks() / 1000,
        "py_arenas": _python_arenas(),
        "src_lines_k": sum(len(e[2]) for e in linecache.cache.values() if len(e) > 2) / 1000,
        "sprites": map_layer.sprite_cache_info()["size"],
        "sprites_mb": map_layer.sprite_cache_bytes() / 2**20,
        "glyphs": paint_cache.glyph_cache_info()["size"],
        "glyphs_mb": paint_cache.glyph_cache_bytes() / 2**20,
        "layers": len(layers),
        "layers_mb": layer_bytes / 2**20,
        "window": f"{win.width()}x{win.height()}",
        # the seam fitting's remembered scales (a panel grid only: a 1080p wall without one never fits)
        "seam_keys": len(getattr(getattr(win, "arranger", None), "_chosen", ())),
    }
    out.update(_heap())
    out.update(_qt_counts(win))
    out.update(_kept_pictures(win))
    out.update(_symbol_atlases(win))
    if tracemalloc.is_tracing():
        out["py_traced_mb"] = tracemalloc.get_traced_memory()[0] / 2**20
    cache = getattr(client, "cache", None)
    if cache is not None:
        files = cache.entries()
        out["disk_entries"] = len(files)
    return out


def _type_counts() -> tuple[dict[str, int], int]:
    """Live objects the collector tracks, by type name (what grows between samples names a leak), and how
    many of them are Qt wrappers whose Qt object is gone: kept by something, of no use (the tenth round's
    selection models, found with `findChildren`, were such)."""
    import gc

    import shiboken6

    gc.collect()
    counts: dict[str, int] = {}
    dead = 0
    for o in gc.get_objects():
        name = type(o).__qualname__
        counts[name] = counts.get(name, 0) + 1
        if isinstance(o, shiboken6.Object) and not shiboken6.isValid(o):
            dead += 1
    return counts, dead


def descendants(obj, cls) -> list:
    """`obj.findChildren(cls)` without PySide's side effect: `findChildren` makes `obj` the Python parent
    of every object found, so a short-lived object's wrapper would outlive it, and the soak would grow
    what it measures. `children()` hands out wrappers that go when nothing holds them."""
    out, stack = [], list(reversed(obj.children()))
    while stack:
        child = stack.pop()
        if isinstance(child, cls):
            out.append(child)
        stack.extend(reversed(child.children()))
    return out


def _kept_pictures(win) -> dict:
    """The pictures the painted widgets keep (WidgetCache, SnapshotEffect: the last N states each,
    painted ahead or shown before), in number and MB: native pixels, bounded per widget by count."""
    from PySide6.QtWidgets import QWidget

    from sandbox.ui.paint_cache import SnapshotEffect, WidgetCache

    n = size = 0
    for w in [win, *descendants(win, QWidget)]:
        holders = [v for v in (getattr(w, "pixels", None), getattr(w, "still_pixels", None))
                   if isinstance(v, WidgetCache)]
        effect = w.graphicsEffect()
        if isinstance(effect, SnapshotEffect):
            holders.append(effect)
        for h in holders:
            images = list(h._kept._images.values())  # noqa: SLF001 - a bench's look inside
            n += len(images)
            size += sum(img.sizeInBytes() for img in images)
    return {"kept_pictures": n, "kept_mb": size / 2**20}


def _symbol_atlases(win) -> dict:
    """The trend chart's pyqtgraph symbol atlases: pictures (one per pen, brush, symbol and size object seen) and
    MB of their array. pyqtgraph keys them on the pen's and brush's ids and rebuilds only past 1,000 (issue 20,
    twelfth round: a fresh pen per year change filled it, ≈ 2.5 MB at 1080p, twice that with its pixmap)."""
    trend = getattr(getattr(win, "panels", None), "_trend", None)  # (not `.trend`: that would build it)
    plot = getattr(trend, "plot", None) if trend is not None else None
    if plot is None or "pyqtgraph" not in sys.modules:
        return {"atlas_n": 0, "atlas_mb": 0.0}
    from pyqtgraph import ScatterPlotItem

    atlases = [it.fragmentAtlas for it in plot.scene().items() if isinstance(it, ScatterPlotItem)]
    return {"atlas_n": sum(len(a) for a in atlases), "atlas_mb": sum(a._data.nbytes for a in atlases) / 2**20}  # noqa: SLF001


def _qt_counts(win) -> dict:
    """Qt objects alive: the wall's descendants and every widget of the application (an overlay or
    a camera tile not deleted shows here, its pixels not in Python's count)."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    from sandbox.ui.worker import Worker

    # Channels the wall's workers remember (issue 20, ninth round: one per village and year was kept forever).
    channels = sum(len(getattr(w, "_latest", ())) for w in descendants(win, Worker))
    return {"qobjects": len(descendants(win, QObject)), "widgets": len(QApplication.allWidgets()),
            "worker_channels": channels}




# -- containers that gain entries -------------------------------------------------------------------------
# A dict or list that gains an entry per drill holds strings, floats and tuples of them: the collector does
# not track those (nor, after a collection, a dict of only those), so `--objects` counts stay flat while the
# container grows. This counts entries instead, by owner: a module global (`module.NAME`), or an instance's
# attribute (`Owner → dict`, summed over every instance of the owner's type, so what a type's objects hold
# is one figure however often they are made and dropped). Ids are not used: a container made since the last
# probe at a reused id would look grown. Attributes are reached with `gc.get_referents`, never `__dict__`
# (reading it on an object whose attributes Python keeps inline would make it a dict and keep it).
def _kinds() -> tuple[type, ...]:
    import collections

    return dict, list, set, frozenset, collections.OrderedDict, collections.deque, collections.defaultdict


def container_lengths() -> dict[str, tuple[int, int]]:
    """owner → (containers, entries) over the whole process (see above)."""
    import gc
    import types

    kinds = _kinds()
    gc.collect()
    out: dict[str, list[int]] = {}

    def add(name: str, c) -> None:
        acc = out.setdefault(name, [0, 0])
        acc[0] += 1
        acc[1] += len(c)

    for mod in list(sys.modules.values()):
        for key, v in list(getattr(mod, "__dict__", {}).items()):
            if type(v) in kinds:
                add(f"{mod.__name__}.{key}", v)
    skip = (types.FrameType, types.FunctionType, types.CellType, types.ModuleType, types.CodeType, type,
            *kinds, tuple)
    for o in gc.get_objects():
        if isinstance(o, skip):
            continue
        owner = type(o).__qualname__
        for r in gc.get_referents(o):
            if type(r) in kinds:
                add(f"{owner} → {type(r).__qualname__}", r)
                if type(r) is dict:  # an instance's own __dict__: its attributes' containers too
                    for v in list(r.values()):
                        if type(v) in kinds:
                            add(f"{owner} → {type(v).__qualname__}", v)
    return {k: (n, e) for k, (n, e) in out.items()}


def container_growth(base: dict[str, tuple[int, int]], top: int = 8) -> tuple[int, list[str]]:
    """All owned containers' entries now, and the `top` owners whose containers gained most entries since
    `base`, each as 'owner +gained (containers, entries now)'."""
    now = container_lengths()
    total = sum(e for _, e in now.values())
    grown = sorted(((e - base.get(k, (0, 0))[1], k) for k, (_, e) in now.items()), reverse=True)[:top]
    return total, [f"{k} {d:+d} ({now[k][0]}, {now[k][1]})" for d, k in grown if d > 0]
