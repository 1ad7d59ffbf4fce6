"""Several independent API calls at the same time: one round trip instead of one per call."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["gather", "executor", "MAX_IN_FLIGHT"]

MAX_IN_FLIGHT = 8  # a level's layer requests and a drill's requests at once

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # Shared by every caller: a fixed, small number of threads for the process (the
            # threads are reused, so the client's per-thread HTTP sessions keep their connections).
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT, thread_name_prefix="api-io")
        return _pool


def gather(*calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` at the same time and return their results in order. The first runs on the calling
    thread (a single call costs no thread hop); the first failure is raised once all have ended, so
    no call outlives the gather."""
    if not calls:
        return []
    if len(calls) == 1:
        return [calls[0]()]
    futures = [executor().submit(c) for c in calls[1:]]
    results: list[Any] = []
    first_error: BaseException | None = None
    try:
        results.append(calls[0]())
    except BaseException as exc:  # noqa: BLE001 - re-raised below, after the others ended
        first_error = exc
        results.append(None)
    for fut in futures:
        try:
            results.append(fut.result())
        except BaseException as exc:  # noqa: BLE001
            first_error = first_error or exc
            results.append(None)
    if first_error is not None:
        raise first_error
    return results
