"""The wall session's Qt side (QtCore only, no widget): its timers, the next frame, and its loaders on one worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from sandbox.ui import classify
from sandbox.ui.frame_timing.after_frame import after_frame
from sandbox.ui.frame_timing.gc_pause import hold_until_frame
from sandbox.ui.loader import RegionLoader, VillageLoader, WallClient
from sandbox.ui.prefetch import Prefetcher, VillagePrefetcher
from sandbox.ui.session import WallSession
from sandbox.ui.session_ports import Host
from sandbox.ui.state import WallState
from sandbox.ui.worker import Worker, in_background

__all__ = ["qt_host", "make_session", "preload_classes"]

_preloading = False


def preload_classes() -> None:
    """Import mapclassify off the GUI thread once the first data is on screen, so switching to an
    indicator classed by natural breaks or quantiles never freezes the wall for its import."""
    global _preloading
    if not _preloading and not classify.preloaded():
        _preloading = True
        in_background(classify.preload_quietly, "mapclassify-preload")


def qt_host(owner: QObject, **kw: Any) -> Host:
    """A Host whose timers are single-shot QTimers owned by `owner`, whose frames are painted frames."""

    def timer(fn: Callable[[], None]) -> QTimer:
        t = QTimer(owner, singleShot=True)
        t.timeout.connect(fn)
        return t

    return Host(timer=timer, after_frame=after_frame, hold_until_frame=hold_until_frame,
                preload_classes=preload_classes, **kw)


def make_session(client: WallClient, state: WallState, owner: QObject, *, host: Host | None = None,
                 prefetch: bool = True, retry_seconds: float = 30.0, preload: bool = True) -> WallSession:
    """A session on one worker of its own (a lane for the clicks, one for the prefetches), owned by `owner`."""
    worker = Worker(owner, name="wall-session")
    loader = RegionLoader(client, owner, worker)
    village_loader = VillageLoader(client, owner, worker)
    box: list[WallSession] = []
    prefetcher = Prefetcher(client, worker, lambda code: box[0].series_of(code), owner)
    prefetcher.enabled = prefetch
    village_prefetcher = VillagePrefetcher(client, worker, owner)
    village_prefetcher.enabled = prefetch
    session = WallSession(state, host or qt_host(owner), loader=loader, village_loader=village_loader,
                          prefetcher=prefetcher, village_prefetcher=village_prefetcher, worker=worker,
                          retry_seconds=retry_seconds, preload=preload)
    box.append(session)
    return session
