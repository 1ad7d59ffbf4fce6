"""The kiosk UI's memory allocator: jemalloc preloaded into the UI and safe-mode children when present."""

from __future__ import annotations

import logging
import os
import sysconfig
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["JEMALLOC_CONF", "jemalloc_candidates", "find_jemalloc", "allocator_env", "ALLOCATORS"]

log = logging.getLogger(__name__)

ALLOCATORS = ("jemalloc", "glibc")
# Why jemalloc (issue 20 item 8): under glibc the wall's RSS crept after warm-up through memory held
# without use — glibc's freed pages touched again between trims, and pymalloc's arenas kept mapped at
# the peak of live blocks. jemalloc returns freed pages by itself on a timer (a background thread,
# decay in ms); PYTHONMALLOC=malloc sends Python's small objects there too, so no arena high-water mark.
# Two arenas as with glibc's MALLOC_ARENA_MAX=2: the GUI thread's and one the workers share.
JEMALLOC_CONF = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2"


def jemalloc_candidates() -> list[Path]:
    """Where Debian's libjemalloc2 (and a hand-built one) puts the library on this machine."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    names = [Path("/usr/lib") / multiarch / "libjemalloc.so.2"] if multiarch else []
    return names + [Path("/usr/lib/libjemalloc.so.2"), Path("/usr/local/lib/libjemalloc.so.2")]


def find_jemalloc(candidates: Sequence[Path] | None = None) -> Path | None:
    """The first jemalloc library that exists, or None."""
    for path in jemalloc_candidates() if candidates is None else candidates:
        if Path(path).is_file():
            return Path(path)
    return None


def allocator_env(choice: str, base: Mapping[str, str] | None = None, *,
                  find: Callable[[], Path | None] = find_jemalloc) -> tuple[dict[str, str], str]:
    """The variables to add to a UI child's environment for `choice`, and one log line saying what it runs on.

    "jemalloc" with the library missing falls back to glibc (nothing added). An operator's own
    MALLOC_CONF or PYTHONMALLOC is kept; an LD_PRELOAD of theirs stays after jemalloc."""
    base = os.environ if base is None else base
    if choice != "jemalloc":
        return {}, "kiosk allocator: glibc (watchdog.allocator = \"glibc\")"
    lib = find()
    if lib is None:
        return {}, "kiosk allocator: glibc (libjemalloc2 not installed; apt-get install libjemalloc2 for jemalloc)"
    preload = base.get("LD_PRELOAD", "")
    parts = [p for p in preload.replace(" ", ":").split(":") if p and "libjemalloc" not in p]
    env = {"LD_PRELOAD": ":".join([str(lib), *parts]),
           "MALLOC_CONF": base.get("MALLOC_CONF") or JEMALLOC_CONF,
           "PYTHONMALLOC": base.get("PYTHONMALLOC") or "malloc"}
    return env, f"kiosk allocator: jemalloc ({lib}, MALLOC_CONF={env['MALLOC_CONF']})"
