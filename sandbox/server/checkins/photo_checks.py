"""The check-in photos' full decode after the answer: one thread per API process decodes each pending photo,
hashes it for the risk rules and records the check-in's verdict; check-ins a stopped worker left pending are
claimed again."""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from sandbox.server.checkins.photos import check_stored
from sandbox.store.photo_checks import claim, record_verdict, stale_pending

__all__ = ["PhotoChecks", "STALE_AFTER"]

log = logging.getLogger(__name__)
# A check queued or claimed this long ago and still pending was lost with its worker: another takes it.
STALE_AFTER = dt.timedelta(minutes=5)
SWEEP_EVERY_S = 60.0
MAX_QUEUED = 10_000  # beyond this a check waits for a sweep instead of holding memory here


class PhotoChecks:
    """Pending photo checks of this process, run one at a time in a thread of their own (a decode is CPU:
    one at a time keeps the request threads' share; `photos.MAX_CONCURRENT_DECODES` bounds all decodes)."""

    def __init__(self, sessions, photo_dir: Callable[[], Path]) -> None:
        self._sessions, self._photo_dir = sessions, photo_dir
        self._queue: queue.Queue[tuple[int, list[str]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._busy = 0  # queued or running: what wait_idle waits for
        self._idle = threading.Condition(self._lock)
        self._closed = False

    def start(self) -> None:
        """Start the thread (if it is not running): it first takes the checks other workers left pending."""
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="photo-checks", daemon=True)
            self._thread.start()

    def submit(self, checkin_id: int, names: list[str]) -> None:
        """Check this stored check-in's photos soon; its row says `pending` until then."""
        with self._lock:
            if self._queue.qsize() >= MAX_QUEUED:
                return  # still pending in the database: a sweep takes it after STALE_AFTER
            self._busy += 1
        self._queue.put((checkin_id, list(names)))
        self.start()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every submitted check has been recorded (tests, shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued (up to `timeout`), then stop; what is left stays pending for a sweep."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        self._sweep()
        while True:
            try:
                item = self._queue.get(timeout=SWEEP_EVERY_S)
            except queue.Empty:
                self._sweep()
                continue
            if item is None:
                return
            try:
                self._check(*item)
            except Exception:  # noqa: BLE001 — the row stays pending and a sweep retries it; the thread lives on
                log.exception("photo check of check-in %s failed; it stays pending", item[0])
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _sweep(self) -> None:
        with self._idle:
            self._busy += 1  # wait_idle waits for a sweep under way too
        try:
            with self._sessions() as session:
                stale = stale_pending(session, STALE_AFTER)
                for checkin_id, claimed_at, photos in stale:
                    if claim(session, checkin_id, claimed_at):
                        self._check(checkin_id, json.loads(photos or "[]"))
        except Exception:  # noqa: BLE001 — e.g. the database restarting: the next sweep tries again
            log.exception("sweep of pending photo checks failed")
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _check(self, checkin_id: int, names: list[str]) -> None:
        directory = self._photo_dir()
        hashes: list[str] = []
        problems: list[str] = []
        for i, name in enumerate(names):
            path = directory / Path(str(name)).name  # a stored name, never a path
            try:
                data = path.read_bytes()
            except OSError:
                problems.append(f"第 {i + 1} 张照片的文件缺失")
                continue
            phash, problem = check_stored(i, data)
            if problem:
                problems.append(problem)
            elif phash:
                hashes.append(phash)
        with self._sessions() as session:
            record_verdict(session, checkin_id, hashes, problems)
        if problems:  # a phone's photo refused after its check-in was answered: said where an operator looks
            log.warning("check-in %s: photo check failed: %s", checkin_id, "; ".join(problems))
