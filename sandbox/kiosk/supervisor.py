"""Runs the wall UI as a child process and restarts it when it crashes or its heartbeat stops."""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.kiosk.memory import Activity, GuardPolicy, MemoryGuard, parse_activity
from sandbox.ratelog import RateLimitedLog

__all__ = ["Policy", "Supervisor", "Heartbeat", "parse_beat", "summarize_error", "HEARTBEAT_ENV",
           "read_status", "OPERATOR_EXIT"]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)

HEARTBEAT_ENV = "SANDBOX_KIOSK_HEARTBEAT"
OPERATOR_EXIT = 0  # the UI exits 0 only after the exit combo and the right PIN: the supervisor stops too


@dataclass(frozen=True)
class Policy:
    stale_seconds: float = 10.0
    start_timeout_seconds: float = 90.0
    restart_delay_seconds: float = 2.0
    max_restarts: int = 3
    window_seconds: float = 30 * 60.0
    safe_mode_retry_seconds: float = 60.0
    safe_mode_retry_max_seconds: float = 600.0
    healthy_after_seconds: float = 20.0  # a UI beating this long after safe mode: leave safe mode
    restart_daily_at: str | None = None  # "HH:MM"
    poll_seconds: float = 0.5
    kill_grace_seconds: float = 3.0
    memory: GuardPolicy = GuardPolicy()  # the memory guard (sandbox.kiosk.memory)

    @classmethod
    def from_section(cls, w) -> Policy:
        """From a config's `watchdog` section (sandbox.kiosk.config.WatchdogSection)."""
        return cls(stale_seconds=w.stale_seconds, start_timeout_seconds=w.start_timeout_seconds,
                   restart_delay_seconds=w.restart_delay_seconds, max_restarts=w.max_restarts,
                   window_seconds=w.window_minutes * 60, safe_mode_retry_seconds=w.safe_mode_retry_seconds,
                   safe_mode_retry_max_seconds=w.safe_mode_retry_max_seconds,
                   restart_daily_at=w.restart_daily_at,
                   memory=GuardPolicy(limit_mb=None if w.memory_limit_mb == "auto" else
                                      0.0 if w.memory_limit_mb == "off" else float(w.memory_limit_mb),
                                      over_seconds=w.memory_over_minutes * 60,
                                      quiet_seconds=w.memory_quiet_minutes * 60,
                                      min_interval_seconds=w.memory_restart_min_hours * 3600))


class Heartbeat:
    """Written by the UI's event loop: `pid seq phase [idle=S tour=0|1 px=N]` lines down a pipe the
    supervisor gave it (the fd number in SANDBOX_KIOSK_HEARTBEAT). No disk: a full or read-only disk
    cannot stop a healthy wall's beats. The supervisor only looks for a change, so the two processes
    never compare clocks (`idle` is a duration). `activity`, when set, says how long nobody touched
    the wall, whether a tour plays and the window's size, for the memory guard's quiet moment."""

    def __init__(self, fd: int, activity: Callable[[], Activity] | None = None):
        self.fd = fd
        self.seq = 0
        self.activity = activity
        self._failing = False
        try:
            os.set_blocking(fd, False)  # a supervisor that stopped reading must not stall the GUI thread
        except OSError:
            pass

    @classmethod
    def from_env(cls) -> Heartbeat | None:
        value = os.environ.get(HEARTBEAT_ENV, "")
        return cls(int(value)) if value.isdigit() else None

    def beat(self, phase: str = "running") -> None:
        self.seq += 1
        extra = ""
        if self.activity is not None:
            try:
                a = self.activity()
                extra = f" idle={a.idle_seconds:.0f} tour={int(a.touring)}" + (f" px={a.pixels}" if a.pixels else "")
            except Exception:  # noqa: BLE001 - the beat itself matters more than what it tells
                extra = ""
        try:
            os.write(self.fd, f"{os.getpid()} {self.seq} {phase}{extra}\n".encode("ascii"))
            self._failing = False
        except BlockingIOError:  # the pipe is full: the supervisor is behind; the next beat tells it
            pass
        except OSError as exc:  # the supervisor is gone: nothing to tell; once, not every second
            if not self._failing:
                log.warning("heartbeat not sent: %s", exc)
            self._failing = True


def parse_beat(line: bytes) -> tuple[int, int, str] | None:
    """(pid, seq, phase) of a heartbeat line; the activity words after them: `parse_activity`."""
    try:
        pid, seq, phase = line.decode("ascii").split()[:3]
        return int(pid), int(seq), phase
    except (UnicodeDecodeError, ValueError):
        return None


def beat_activity(line: bytes) -> Activity | None:
    """The activity a heartbeat line carries (None: a line without any, from an older UI)."""
    try:
        words = line.decode("ascii").split()[3:]
    except UnicodeDecodeError:
        return None
    return parse_activity(words) if words else None


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)|[A-Za-z_][\w.]*Error)\b(:.*)?$")
_LOGGED_ERROR = re.compile(r"\b(?:ERROR|CRITICAL) [\w.]+: (.+)$")
_SECRET = re.compile(r"(sbx_[A-Za-z0-9_\-]+|Bearer\s+\S+|://[^/\s:@]+:[^@\s]+@)")


def summarize_error(lines: Sequence[str], limit: int = 160) -> str:
    """The last exception line of a traceback ("RuntimeError: …"), never the traceback, tokens or passwords."""
    candidates = [ln.strip() for ln in lines if ln.strip()]
    pick = next((ln for ln in reversed(candidates) if _EXC_LINE.match(ln)), None)
    if pick is None:  # no exception: the last error the UI printed or logged (never Qt's chatter)
        for ln in reversed(candidates):
            if ln.startswith("错误"):
                pick = ln.removeprefix("错误:").removeprefix("错误: ").strip()
                break
            m = _LOGGED_ERROR.search(ln)
            if m:
                pick = m.group(1)
                break
    pick = pick or ""
    pick = _SECRET.sub("***", pick)
    return pick if len(pick) <= limit else pick[: limit - 1] + "…"


def read_status(path: Path) -> dict:
    """The status the supervisor writes for the safe-mode screen ({} when there is none yet)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass
class _Child:
    role: str  # "ui" or "safe"
    proc: subprocess.Popen
    started: float
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=60))
    beat: tuple | None = None
    first_beat: float | None = None
    last_beat: float | None = None
    stopping: bool = False  # we asked it to go: its exit is no crash
    reader: threading.Thread | None = None
    beats: threading.Thread | None = None
    latest_beat: tuple | None = None  # the last line read from its heartbeat pipe (set by `beats`)
    activity: Activity | None = None  # what that line said of the UI's use (memory guard)


class Supervisor:
    """Keeps one UI child alive. A crash or a stale heartbeat → restart within `stale + delay` seconds;
    `max_restarts` restarts within `window_seconds` → a safe-mode child on screen while the UI is
    retried with a doubling back-off; a UI that then beats for `healthy_after_seconds` ends safe mode.

    A UI whose memory stays above its bound is restarted at a quiet moment (sandbox.kiosk.memory).

    `events` records what happened, for logs and tests: ("start" | "crash" | "hung" | "safe_mode" |
    "safe_mode_end" | "scheduled_restart" | "memory_restart" | "operator_exit", detail)."""

    def __init__(self, ui_command: Sequence[str], safe_mode_command: Sequence[str] | None, policy: Policy, *,
                 workdir: str | os.PathLike, env: dict | None = None,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], dt.datetime] = dt.datetime.now,
                 echo_stderr: bool = True):
        self.ui_command = list(ui_command)
        self.safe_mode_command = list(safe_mode_command) if safe_mode_command else None
        self.policy = policy
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.status_path = self.workdir / "status.json"
        self.env = dict(os.environ if env is None else env)
        self.clock, self.now = clock, now
        self.echo_stderr = echo_stderr
        self.events: list[tuple[str, str]] = []
        self.restarts: collections.deque[float] = collections.deque()
        self.last_error = ""
        self.ui: _Child | None = None
        self.safe: _Child | None = None
        self.safe_mode = False
        self._backoff = policy.safe_mode_retry_seconds
        self._next_start = 0.0
        self._next_safe_start = 0.0
        self._next_scheduled = self._schedule_after(now())
        self.memory = MemoryGuard(policy.memory)
        self._stop = threading.Event()
        self._signal = 0
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------------------
    def run(self) -> int:
        """Supervise until the operator exits the UI (0), stop() is called (0) or a signal arrives
        (128 + its number: under systemd's Restart=always anything but the operator brings it back)."""
        restore = self._install_signals()
        try:
            while not self._stop.is_set():
                code = self.step()
                if code is not None:
                    return code
                self._stop.wait(self.policy.poll_seconds)
            return 128 + self._signal if self._signal else 0
        finally:
            self._stop_child(self.ui)
            self._stop_child(self.safe)
            self.ui = self.safe = None
            restore()

    def stop(self) -> None:
        self._stop.set()

    def event_kinds(self) -> list[str]:
        with self._lock:
            return [k for k, _ in self.events]

    # -- one turn -------------------------------------------------------------------------------------
    def step(self) -> int | None:
        now = self.clock()
        if self.ui is not None:
            code = self._check_ui(now)
            if code is not None:
                return code
        if self.ui is None and now >= self._next_start:
            self.ui = self._spawn("ui", self.ui_command)
            self.memory.reset()
            self._event("start", f"pid {self.ui.proc.pid}")
        if self.safe_mode:
            if self.safe is not None and self.safe.proc.poll() is not None:
                if self.safe.proc.returncode == OPERATOR_EXIT and not self.safe.stopping:
                    self._event("operator_exit", "safe mode")
                    return OPERATOR_EXIT
                self._event("safe_mode_crash", summarize_error(self.safe.tail))
                self.safe = None
                self._next_safe_start = now + self.policy.restart_delay_seconds
            if self.safe is None and self.safe_mode_command and now >= self._next_safe_start:
                self.safe = self._spawn("safe", self.safe_mode_command)
        return None

    def _check_ui(self, now: float) -> int | None:
        ui = self.ui
        rc = ui.proc.poll()
        if rc is not None:
            if ui.reader is not None:
                ui.reader.join(1.0)  # the last stderr lines carry the reason
            self.ui = None
            if rc == OPERATOR_EXIT and not ui.stopping:
                self._event("operator_exit", "")
                return OPERATOR_EXIT
            reason = summarize_error(ui.tail)
            self._failure(now, "crash", f"界面进程异常退出 ({_exit_text(rc)})" + (f": {reason}" if reason else ""))
            return None
        beat = ui.latest_beat
        if beat is not None and beat[0] == ui.proc.pid and beat != ui.beat:
            ui.beat, ui.last_beat = beat, now
            if ui.first_beat is None and beat[2] == "running":
                ui.first_beat = now
        if ui.first_beat is None:
            if now - ui.started > self.policy.start_timeout_seconds:
                return self._hung(now, f"界面启动超时 ({self.policy.start_timeout_seconds:.0f} 秒内没有心跳)")
        elif now - ui.last_beat > self.policy.stale_seconds:
            return self._hung(now, f"界面无响应 (心跳已停止 {now - ui.last_beat:.0f} 秒)")
        if self.safe_mode and ui.first_beat is not None and now - ui.first_beat >= self.policy.healthy_after_seconds:
            self._leave_safe_mode()
        if not self.safe_mode and self._next_scheduled is not None and self.now() >= self._next_scheduled:
            self._event("scheduled_restart", self._next_scheduled.strftime("%H:%M"))
            self._next_scheduled = self._schedule_after(self.now() + dt.timedelta(seconds=61))
            self._stop_child(ui)
            self.ui = None
            self._next_start = now  # planned: not a crash, no delay
            return None
        if not self.safe_mode and ui.first_beat is not None:
            reason = self.memory.check(now, ui.proc.pid, ui.activity)
            if reason is not None:
                # Planned like the daily restart: not a crash, no delay, never towards safe mode.
                log.warning("kiosk memory guard: restarting the UI: %s", reason)
                self._event("memory_restart", reason)
                self._stop_child(ui)
                self.ui = None
                self._next_start = now
        return None

    def _hung(self, now: float, reason: str) -> None:
        self._stop_child(self.ui)
        self.ui = None
        self._failure(now, "hung", reason)

    def _failure(self, now: float, kind: str, reason: str) -> None:
        self.last_error = reason
        self._event(kind, reason)
        log.error("kiosk UI %s: %s", "crashed" if kind == "crash" else "hung", reason)
        while self.restarts and now - self.restarts[0] > self.policy.window_seconds:
            self.restarts.popleft()
        if self.safe_mode:
            self._backoff = min(self._backoff * 2, self.policy.safe_mode_retry_max_seconds)
            self._next_start = now + self._backoff
        elif len(self.restarts) >= self.policy.max_restarts:
            self.safe_mode = True
            self._backoff = self.policy.safe_mode_retry_seconds
            self._next_start = now + self._backoff
            self._next_safe_start = now
            self._event("safe_mode", reason)
            log.error("kiosk: %d restarts within %.0f min: safe mode, retrying in %.0f s", len(self.restarts),
                      self.policy.window_seconds / 60, self._backoff)
        else:
            self.restarts.append(now)
            self._next_start = now + self.policy.restart_delay_seconds
        self._write_status(now)

    def _leave_safe_mode(self) -> None:
        # The status file first: whoever sees the event or the safe screen go has to find it current.
        self.safe_mode = False
        self.restarts.clear()
        self._backoff = self.policy.safe_mode_retry_seconds
        self._write_status(self.clock())
        self._event("safe_mode_end", "")
        log.info("kiosk: the UI is healthy again, leaving safe mode")
        self._stop_child(self.safe)
        self.safe = None

    # -- helpers --------------------------------------------------------------------------------------
    def _event(self, kind: str, detail: str) -> None:
        with self._lock:
            self.events.append((kind, detail))
        log.info("kiosk supervisor: %s %s", kind, detail)

    def _write_status(self, now: float) -> None:
        wall_now = self.now()
        next_retry = wall_now + dt.timedelta(seconds=max(0.0, self._next_start - now)) if self.safe_mode else None
        data = {"safe_mode": self.safe_mode, "last_error": self.last_error,
                "updated": wall_now.isoformat(timespec="seconds"),
                "next_retry": next_retry.isoformat(timespec="seconds") if next_retry else None,
                "restarts": len(self.restarts)}
        tmp = self.status_path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.status_path)
        except OSError as exc:  # a full disk: said once per 10 minutes, the safe screen shows its default
            _quiet.warning("status", "kiosk status not written: %s", exc)

    def _spawn(self, role: str, command: list[str]) -> _Child:
        env = dict(self.env)
        env["SANDBOX_KIOSK_STATUS"] = str(self.status_path)
        env.pop(HEARTBEAT_ENV, None)
        read_fd = write_fd = None
        if role == "ui":
            read_fd, write_fd = os.pipe()
            env[HEARTBEAT_ENV] = str(write_fd)
        # Its own process group: a hung UI is killed with everything it started.
        try:
            proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    start_new_session=True, pass_fds=(write_fd,) if write_fd is not None else ())
        finally:
            if write_fd is not None:
                os.close(write_fd)  # the child holds the only writer: its death ends our reads
        child = _Child(role, proc, self.clock())
        child.reader = threading.Thread(target=self._pump, args=(child,), name=f"kiosk-{role}-stderr", daemon=True)
        child.reader.start()
        if read_fd is not None:
            child.beats = threading.Thread(target=self._listen, args=(child, read_fd), name=f"kiosk-{role}-beats",
                                           daemon=True)
            child.beats.start()
        return child

    @staticmethod
    def _listen(child: _Child, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            pending = b""
            while True:
                try:
                    chunk = pipe.read(4096)
                except OSError:
                    return
                if not chunk:
                    return
                *lines, pending = (pending + chunk).split(b"\n")
                for line in reversed(lines):
                    beat = parse_beat(line)
                    if beat is not None:
                        child.activity = beat_activity(line)
                        child.latest_beat = beat  # one reference swap: the poll loop reads it unlocked
                        break
                pending = pending[-256:]

    def _pump(self, child: _Child) -> None:
        out = sys.stderr.buffer if self.echo_stderr and hasattr(sys.stderr, "buffer") else None
        for raw in iter(child.proc.stderr.readline, b""):
            child.tail.append(raw.decode("utf-8", "replace").rstrip("\n"))
            if out is not None:
                try:
                    out.write(raw)
                    out.flush()
                except (OSError, ValueError):
                    out = None
        child.proc.stderr.close()

    def _stop_child(self, child: _Child | None) -> None:
        if child is None or child.proc.poll() is not None:
            return
        child.stopping = True
        _signal_group(child.proc, signal.SIGTERM)
        try:
            child.proc.wait(self.policy.kill_grace_seconds)
        except subprocess.TimeoutExpired:  # hung: SIGTERM's handler never ran
            _signal_group(child.proc, signal.SIGKILL)
            try:
                child.proc.wait(5)
            except subprocess.TimeoutExpired:
                log.error("kiosk %s child %d did not die", child.role, child.proc.pid)

    def _schedule_after(self, after: dt.datetime) -> dt.datetime | None:
        at = self.policy.restart_daily_at
        if not at:
            return None
        h, m = (int(v) for v in at.split(":"))
        t = after.replace(hour=h, minute=m, second=0, microsecond=0)
        return t if t > after else t + dt.timedelta(days=1)

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

        def handler(signum, frame):
            self._signal = signum
            self._stop.set()

        for s in old:
            signal.signal(s, handler)

        def restore() -> None:
            for s, h in old.items():
                signal.signal(s, h)
        return restore


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass


def _exit_text(rc: int) -> str:
    if rc < 0:
        try:
            return f"信号 {signal.Signals(-rc).name}"
        except ValueError:
            return f"信号 {-rc}"
    return f"退出码 {rc}"
