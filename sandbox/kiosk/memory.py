"""The malloc settings the supervisor starts the kiosk's UI and safe-mode children with (glibc reads them at start)."""

from __future__ import annotations

__all__ = ["MALLOC_ENV", "with_malloc_env"]

# Issue 20 (memory). The UI process sets the same values with mallopt (sandbox/ui/heap.py) for a wall
# started without the supervisor; the environment covers what runs before Python does.
MALLOC_ENV = {
    # Two arenas: the GUI thread's and one the worker threads share (what a worker frees stays in its arena).
    "MALLOC_ARENA_MAX": "2",
    # Blocks of 1 MB and more (frame-sized images) get their own mapping and go back whole when freed;
    # setting it also stops glibc raising the threshold to 32 MB, which carved images out of the heap.
    "MALLOC_MMAP_THRESHOLD_": str(1 << 20),
}


def with_malloc_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with the kiosk's malloc settings added where the operator has not set them (theirs win)."""
    for key, value in MALLOC_ENV.items():
        env.setdefault(key, value)
    return env
