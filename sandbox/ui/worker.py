"""The wall's one way off the GUI thread: a worker with channels, newest-wins tickets, two lanes and start-after-frame.

Every blocking call the wall makes (the session's loads and prefetches, the live layers, the panels'
fetches, the tour's region check, the health probe) goes through a `Worker`: a thread for the calls a
user waits for and one for background calls (prefetches), which yields to the first (the client keeps
an HTTP session per thread), answers delivered as Qt signals on the GUI thread.
`gather` runs one task's independent API calls at the same time on the client's one I/O pool (sandbox.client.gather), and
`in_background` runs a one-off job (mapclassify's import). Only the MJPEG readers, which are
streaming loops, keep threads of their own (sandbox.ui.cameras.mjpeg). What a lane thread is done with
goes back to the GUI thread to be dropped there (sandbox.ui.handover).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal, Slot

from sandbox.client.api import ApiError, ApiUnavailable
from sandbox.client.gather import gather
from sandbox.ratelog import RateLimitedLog
from sandbox.ui.handover import Gate, drop_spent, hand_over, start_reaper
from sandbox.ui.payloads import DataError

__all__ = ["Worker", "USER", "BACKGROUND", "Superseded", "describe_error", "gather", "in_background",
           "wait_background"]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)  # a lasting outage fails every retry and refresh the same way
USER, BACKGROUND = 10, 0  # priorities: a click never waits behind a queue of prefetches
# A background call waits at most this long for the user's calls to end before it goes on anyway (a
# hung request must not stop prefetching for good; the user's call is not slowed by it either way).
YIELD_MAX_S = 10.0
# A lane's thread waits this long for its next call before it ends: the client keeps one HTTP session
# (one open connection) per thread, so a click a moment after the last one neither starts a thread
# nor connects again (a new connection per click: a TCP, over TLS several, round trips before the GET).
IDLE_KEEP_S = 60.0
_current = threading.local()  # the background task this thread runs (for `Worker.checkpoint`)


class Superseded(Exception):
    """Raised by `Worker.checkpoint` in a background call whose answer nobody wants any more."""


def describe_error(exc: BaseException) -> str:
    """A short Chinese sentence for the banner; never a traceback."""
    if isinstance(exc, ApiUnavailable):
        return "无法连接中心数据接口"
    if isinstance(exc, ApiError):
        msg = (exc.message or "").strip()
        if exc.status == 401:
            return "数据接口拒绝访问：令牌无效或已过期"
        if exc.status == 403:
            return "数据接口拒绝访问：当前账号无权查看该区域"
        if exc.status == 404:
            return f"未找到该区域：{msg}" if msg else "未找到该区域"
        if exc.status == 422:
            return f"请求参数有误：{msg}" if msg else "请求参数有误"
        if exc.status >= 500:
            return f"中心数据接口内部错误（{exc.status}）"
        return f"数据接口错误（{exc.status}）：{msg}"
    if isinstance(exc, DataError):
        return "中心数据接口返回的数据不完整，无法绘制"
    return "数据加载失败（内部错误，详见日志）"


# -- one task's calls at the same time: the client's own pool (sandbox.client.gather) -----------------


_BACKGROUND: list[threading.Thread] = []


def in_background(fn: Callable[[], Any], name: str = "wall-background") -> threading.Thread:
    """Run a one-off job nobody waits for on a daemon thread (the process may exit before it ends)."""
    t = threading.Thread(target=fn, name=name, daemon=True)
    _BACKGROUND.append(t)
    t.start()
    return t


def wait_background(timeout: float = 60.0) -> None:
    """Wait for the one-off jobs started so far (a benchmark lets them end before it measures)."""
    for t in list(_BACKGROUND):
        t.join(timeout)
    _BACKGROUND[:] = [t for t in _BACKGROUND if t.is_alive()]


def _lane_main(box: list[Worker], lane: _Lane) -> None:
    """A lane thread: the Worker is reached through `box`, handed back to the GUI thread at the end (a
    parentless Worker dropped here would be deleted off its thread)."""
    try:
        box[0]._run(lane)
    finally:
        hand_over(box)


# -- the worker -----------------------------------------------------------------------------------------
class _Relay(QObject):
    done = Signal(str, int, object)
    error = Signal(str, int, str)
    skipped = Signal(str, int)


class _Task:
    __slots__ = ("channel", "ticket", "fn", "what", "quiet")

    def __init__(self, channel: str, ticket: int, fn: Callable[[], Any], what: str, quiet: bool):
        self.channel, self.ticket, self.fn, self.what, self.quiet = channel, ticket, fn, what, quiet


class _Lane:
    """One thread and its queue: the user's calls, or the background ones."""

    __slots__ = ("name", "queue", "thread", "running")

    def __init__(self, name: str):
        self.name = name
        self.queue: list[tuple[int, int, _Task]] = []
        self.thread: threading.Thread | None = None
        self.running: _Task | None = None

    @property
    def active(self) -> bool:
        return bool(self.queue) or self.running is not None


def _plain(exc: Exception) -> Exception:
    return exc


class Worker(QObject):
    """Two lanes of calls, each one thread: calls of `priority` USER or above (what a user waits for) and
    background calls (below USER: prefetches), so a click never waits behind a prefetch in flight.

    Calls go on named channels; on each channel only the newest call's answer is delivered (`done`,
    or `failed` with a Chinese message), and a queued call that a newer one superseded is skipped
    without running (unless `skip_stale` is off). Among a lane's queued calls, higher `priority` goes
    first. The background lane yields: it starts nothing while a user's call is queued or running, and
    a background call that calls `checkpoint()` between its steps waits there too (its decoding then
    never competes with the user's for the interpreter) and ends when its answer is no longer wanted.
    `defer` (e.g. sandbox.ui.frame_timing.after_frame.after_frame) starts every call later: the frame showing a
    new level paints before its fetches compete with it. `expected` maps a failure the caller knows
    (a panel's unusable data) to one that is logged as a warning and described as such.
    """

    done = Signal(str, object)  # channel, result
    failed = Signal(str, str)  # channel, Chinese message

    def __init__(self, parent: QObject | None = None, *, skip_stale: bool = True,
                 expected: Callable[[Exception], Exception] = _plain, name: str = "wall-worker"):
        super().__init__(parent)
        start_reaper()
        self._relay = _Relay(self)
        self._gate = Gate()
        self.destroyed.connect(self._gate.close)
        self._relay.done.connect(self._on_done)
        self._relay.error.connect(self._on_error)
        self._relay.skipped.connect(self._on_skipped)
        self.skip_stale, self.expected, self.name = skip_stale, expected, name
        self.defer: Callable[[Callable[[], None]], None] | None = None
        self._latest: dict[str, int] = {}  # read by the thread: a dict's get is atomic
        self._pending: dict[str, int] = {}
        self._ticket = 0
        self._generation = 0  # bumped by shutdown: a deferred start from before it is dropped
        self._user, self._background = _Lane(name), _Lane(f"{name}-background")
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a lane's queue or running call changed
        self._stopping = False  # shutdown: idle lane threads end now

    # -- asking -------------------------------------------------------------------------------------------
    def latest(self, channel: str) -> int:
        return self._latest.get(channel, 0)

    def channels(self) -> list[str]:
        return list(self._latest)

    def busy(self, channel: str | None = None) -> bool:
        if channel is None:
            return any(self._pending.values())
        return self._pending.get(channel, 0) > 0

    def submit(self, channel: str, fn: Callable[[], Any], what: str = "", *, priority: int = USER) -> int:
        """Run `fn` on the worker (through `defer` when set); returns its ticket."""
        self._ticket += 1
        ticket = self._latest[channel] = self._ticket
        self._pending[channel] = self._pending.get(channel, 0) + 1
        task = _Task(channel, ticket, fn, what or channel, priority < USER)
        if self.defer is None:
            self._start(task, priority, self._generation)
        else:
            self.defer(lambda gen=self._generation: self._start(task, priority, gen))
        return ticket

    def hold(self, channel: str) -> None:
        """Count `channel` as busy until `release(channel)`: work that will be submitted a moment later."""
        self._pending[channel] = self._pending.get(channel, 0) + 1

    def release(self, channel: str) -> None:
        self._finish(channel)

    def cancel(self, channel: str) -> None:
        """Drop the answer of whatever is queued or running on `channel`."""
        self._ticket += 1
        if self._pending.get(channel):  # an idle channel has no answer to drop (and must not be remembered)
            self._latest[channel] = self._ticket

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Drop what is queued and wait (at most `timeout_ms`) for the call running now."""
        self._latest = {k: -1 for k in self._latest}  # nothing more is delivered
        self._generation += 1
        with self._lock:
            threads = []
            for lane in (self._user, self._background):
                lane.queue.clear()
                threads.append(lane.thread)
            self._stopping = True
            self._changed.notify_all()
        end = time.monotonic() + timeout_ms / 1000
        for thread in threads:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, end - time.monotonic()))
        with self._lock:
            self._stopping = False
        self._pending = {}
        drop_spent()  # what the ended calls held goes now, here

    def wait(self, channel: str, timeout: float) -> bool:
        """Block the calling (GUI) thread until the user's call on `channel` has ended, `timeout` seconds
        at most, then deliver its answer now (`done` or `failed` emitted before this returns); True when
        it was. The GUI thread waits idle, so the lane runs its call with nothing competing for the
        interpreter: a click whose answer is a few milliseconds away shows it in its first frame."""
        if timeout <= 0 or not self._pending.get(channel) or self.defer is not None:
            return False  # (a deferred call is not queued yet: it would start after the frame)
        lane = self._user

        def ended() -> bool:
            return lane.running is None or lane.running.channel != channel

        with self._changed:
            if not self._changed.wait_for(
                    lambda: ended() and not any(t.channel == channel for _, _, t in lane.queue), timeout):
                return False
        # Its answer was posted to this object as a queued call: handled here, in the caller's turn.
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return not self._pending.get(channel)

    def let_start(self, channel: str, timeout: float) -> bool:
        """Block the calling (GUI) thread until the user's lane has started the call on `channel`
        (`timeout` seconds at most); True when it has. Idle meanwhile, the GUI thread lets the lane run
        its call's first steps at once (a request goes out) instead of a few ms later, when the
        interpreter's switch interval takes it from the GUI thread's own work."""
        if timeout <= 0 or not self._pending.get(channel) or self.defer is not None:
            return False
        lane = self._user
        with self._changed:
            return self._changed.wait_for(
                lambda: lane.running is not None and lane.running.channel == channel
                and not any(t.channel == channel for _, _, t in lane.queue), timeout)

    def checkpoint(self) -> None:
        """Called by a background call between its steps (after the network, before decoding): waits
        while a user's call is queued or running, then raises Superseded when a newer call on its channel
        (or a cancel) made its answer moot. Does nothing elsewhere (a user's call, another thread)."""
        task = getattr(_current, "task", None)
        if task is None or getattr(_current, "worker", None) is not self:
            return
        with self._changed:
            self._changed.wait_for(lambda: not self._user.active, timeout=YIELD_MAX_S)
        if self.skip_stale and task.ticket != self._latest.get(task.channel):
            raise Superseded(task.what)

    # -- the thread ---------------------------------------------------------------------------------------
    def _start(self, task: _Task, priority: int, generation: int) -> None:
        if generation != self._generation:
            return  # shut down since: never started
        lane = self._user if priority >= USER else self._background
        with self._lock:
            heapq.heappush(lane.queue, (-priority, next(self._order), task))
            if lane.thread is None:
                lane.thread = threading.Thread(target=_lane_main, args=([self], lane), name=lane.name, daemon=True)
                lane.thread.start()
            self._changed.notify_all()

    def _next(self, lane: _Lane) -> _Task | None:
        """The lane's next call (None: the lane's thread ends); the background lane waits for the user's."""
        with self._changed:
            if not lane.queue and not self._stopping:  # idle: kept a while for the next call
                self._changed.wait_for(lambda: bool(lane.queue) or self._stopping, timeout=IDLE_KEEP_S)
            if lane is self._background:
                self._changed.wait_for(lambda: not self._user.active or not lane.queue, timeout=YIELD_MAX_S)
            if not lane.queue or self._stopping:
                lane.thread = None  # the next submit starts a thread again
                return None
            lane.running = heapq.heappop(lane.queue)[2]
            self._changed.notify_all()  # (`let_start` waits for this)
            return lane.running

    def _run(self, lane: _Lane) -> None:
        background = lane is self._background
        while (task := self._next(lane)) is not None:
            if background:
                _current.task, _current.worker = task, self
            try:
                self._call(task)
            finally:
                _current.task = _current.worker = None
                with self._changed:
                    lane.running = None
                    self._changed.notify_all()

    def _call(self, task: _Task) -> None:
        # `box` holds the function and then its answer: this thread's only references to them, handed to
        # the GUI thread at the end (sandbox.ui.handover); the task keeps neither.
        box: list[Any] = [task.fn]
        task.fn = None
        try:
            if self.skip_stale and task.ticket != self._latest.get(task.channel):
                self._emit("skipped", task.channel, task.ticket)  # superseded before it started
                return
            try:
                box.append(box[0]())
            except Superseded:
                self._emit("skipped", task.channel, task.ticket)  # a newer call or a cancel made it moot
                return
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
                self._emit("error", task.channel, task.ticket, self._describe(task, exc))
                return
            self._emit("done", task.channel, task.ticket, box[1])
        finally:
            hand_over(box)

    def _emit(self, signal: str, *args: Any) -> None:
        gate = self._gate
        with gate.lock:
            if not gate.open:
                return  # the worker is being destroyed: nobody to tell
            try:
                getattr(self._relay, signal).emit(*args)
            except RuntimeError:  # the worker was destroyed while the call ran: nobody to tell
                pass

    def _describe(self, task: _Task, exc: Exception) -> str:
        known = self.expected(exc)
        level = logging.INFO if task.quiet else logging.WARNING  # background work: its failures are not news
        if isinstance(known, ApiUnavailable):
            _quiet.log(level, "unavailable", "loading %s failed: %s", task.what, known)
        elif isinstance(known, (ApiError, DataError)):
            log.log(level, "loading %s failed: %s", task.what, known)
        else:
            log.error("loading %s failed", task.what, exc_info=exc)
        return describe_error(known)

    # -- answers (GUI thread) -----------------------------------------------------------------------------
    def _finish(self, channel: str) -> None:
        """One call of `channel` ended; a channel with none left is forgotten. Channels are named by what
        they fetch (a village's panel for a year: 931 in the demo county), so remembering every channel
        ever used grew the wall all day (issue 20); the next call starts it afresh with a newer ticket."""
        left = self._pending.get(channel, 0) - 1
        if left > 0:
            self._pending[channel] = left
        else:
            self._pending.pop(channel, None)
            self._latest.pop(channel, None)

    @Slot(str, int, object)
    def _on_done(self, channel: str, ticket: int, result: Any) -> None:
        newest = ticket == self._latest.get(channel)  # read before _finish may forget the channel
        self._finish(channel)
        if newest:
            self.done.emit(channel, result)

    @Slot(str, int, str)
    def _on_error(self, channel: str, ticket: int, message: str) -> None:
        newest = ticket == self._latest.get(channel)
        self._finish(channel)
        if newest:
            self.failed.emit(channel, message)

    @Slot(str, int)
    def _on_skipped(self, channel: str, ticket: int) -> None:
        self._finish(channel)
