"""Real processes for the fault-injection tests: `sandbox serve` and `sandbox kiosk` under its supervisor."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout: float, what: str = "condition", every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not reached within {timeout:.0f} s"
        time.sleep(every)


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


class ApiProcess:
    """`python -m sandbox serve` on a port of its own, over the test session's demo database."""

    def __init__(self, db_url: str, port: int, log: Path):
        self.db_url, self.port, self.log = db_url, port, log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> ApiProcess:
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(self.port),
                                      "--db", self.db_url], stdout=out, stderr=out, env=_env(),
                                     stdin=subprocess.DEVNULL)
        out.close()
        if wait:
            wait_for(self.healthy, 60, "API up")
        return self

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


def kiosk_config(folder: Path, pin_hash: str, *, api_url: str, token: str, root_region: str | None = None,
                 stale: float = 10, max_restarts: int = 3, safe_retry: float = 120,
                 start_timeout: float = 60, watchdog_extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "display.token").write_text(token + "\n", encoding="utf-8")
    root = f'root_region = "{root_region}"\n' if root_region else ""
    text = textwrap.dedent(f"""
        name = "故障测试"
        [api]
        url = "{api_url}"
        token_file = "display.token"
        timeout_seconds = 3
        {root}
        [screen]
        geometry = [0, 0, 960, 540]
        [refresh]
        data_seconds = 10
        health_seconds = 2
        retry_seconds = 2
        [idle]
        timeout_seconds = 0
        [privacy]
        mode = "display"
        [exit]
        pin_hash = "{pin_hash}"
        [watchdog]
        heartbeat_seconds = 0.5
        stale_seconds = {stale}
        restart_delay_seconds = 0.5
        start_timeout_seconds = {start_timeout}
        max_restarts = {max_restarts}
        safe_mode_retry_seconds = {safe_retry}
        safe_mode_retry_max_seconds = {safe_retry}
    """).lstrip() + textwrap.dedent(watchdog_extra)
    path = folder / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


class KioskProcess:
    """`python -m sandbox kiosk --config FILE`: the supervisor, its UI child and its safe-mode child.
    Every window saves a screen report (PNG + JSON) in `snapshots` once a second."""

    def __init__(self, config: Path, folder: Path, **env: str):
        self.config, self.folder = config, folder
        self.snapshots = folder / "screens"
        self.log = folder / "kiosk.log"
        self.env = {"SANDBOX_DATA_DIR": str(folder / "data"), "SANDBOX_CACHE_DIR": str(folder / "cache"),
                    "SANDBOX_KIOSK_SNAPSHOT_DIR": str(self.snapshots), **env}
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> KioskProcess:
        out = open(self.log, "ab")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "sandbox", "kiosk", "--config", str(self.config)],
                                     stdout=out, stderr=out, env=_env(**self.env), stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        out.close()
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # the supervisor stops its children
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def restart(self) -> KioskProcess:
        """The machine rebooted: the same config, data and cache, a new supervisor."""
        self.stop()
        for f in self.snapshots.glob("*.json"):
            f.unlink()
        return self.start()

    def text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def facts(self, name: str) -> dict:
        try:
            return json.loads((self.snapshots / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def ui_pids(self) -> list[int]:
        """Every UI child the supervisor started, in order (from its log)."""
        return [int(p) for p in re.findall(r"kiosk supervisor: start pid (\d+)", self.text())]

    def wall_with_data(self, pid: int | None = None) -> dict:
        f = self.facts("wall")
        ok = f.get("has_data") and not f.get("loading") and (pid is None or f.get("pid") == pid)
        return f if ok else {}
