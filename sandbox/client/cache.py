"""Disk cache of the API's last good JSON answers: atomic writes, corrupt entries discarded, no unmasked IDs."""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from sandbox.ratelog import RateLimitedLog

__all__ = ["ResponseCache", "CachedAnswer", "default_cache_dir", "open_cache", "token_scope", "UNMASKED_ID",
           "CACHE_DIR_ENV"]

log = logging.getLogger(__name__)
# A full or read-only disk fails every write, every few seconds, for as long as it lasts.
_quiet = RateLimitedLog(log, 600.0)
CACHE_DIR_ENV = "SANDBOX_CACHE_DIR"

_FORMAT = 1
_SUFFIX = ".json"
_TMP_PREFIX = ".tmp-"
_STALE_TMP_S = 300.0  # a temp file this old is a leftover of a crash, not a write in progress
# Write-behind: answers waiting for the writer thread at most (past that a write happens on the caller's
# thread, as without write-behind), and how long the idle writer thread waits for the next one.
_PENDING_MAX = 64
_WRITER_IDLE_S = 30.0

# An 18-digit resident ID number (GB 11643) with a plausible birth date. Digits glued to a '.' or
# another digit are part of a longer number (a coordinate, a float), not an ID.
UNMASKED_ID = re.compile(
    rb"(?<![\d.])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\d.])")


def default_cache_dir() -> Path:
    """Where the wall keeps its last good answers: SANDBOX_CACHE_DIR when set; else `cache/api` in
    SANDBOX_DATA_DIR when that is set (a kiosk whose data was moved keeps its cache beside it);
    else the user's cache folder (XDG_CACHE_HOME, ~/.cache/poverty-sandbox/api)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    if os.environ.get("SANDBOX_DATA_DIR"):
        return Path(os.environ["SANDBOX_DATA_DIR"]).expanduser() / "cache" / "api"
    return Path(platformdirs.user_cache_dir("poverty-sandbox", appauthor=False)) / "api"


def open_cache(directory: str | os.PathLike) -> ResponseCache | None:
    """The cache in `directory` (written behind, see ResponseCache), or None when it cannot be made
    (read-only disk, no home): the cache is an aid, the wall runs without it and the log says so once."""
    try:
        return ResponseCache(directory, write_behind=True)
    except OSError as exc:
        log.warning("response cache unavailable in %s (%s): running without an offline cache; set %s to "
                    "a writable folder", directory, exc.strerror or exc, CACHE_DIR_ENV)
        return None


def token_scope(token: str | None) -> str:
    """A short keyed hash of the token: answers differ by role, and the raw token never lands on disk."""
    if not token:
        return "anonymous"
    return hashlib.blake2b(token.encode(), digest_size=10, person=b"sandbox-cache").hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    body: Any  # the decoded JSON
    saved_at: datetime  # wall-clock time the API gave this answer


class ResponseCache:
    """One file per request (path, params, token scope). Safe for several threads and processes:
    each write goes to a temp file that replaces the entry in one `os.replace`, so a reader sees the
    old answer or the new one, never half of one. Reads happen only when the API cannot answer.

    `write_behind`: `put` hands the write (and its fsync, 2–18 ms on a busy disk) to a thread of the
    cache's own, so the answer reaches whoever waits for it first (a wall's click); an answer not yet
    written is read from memory, and what is left is written at exit (`flush`)."""

    def __init__(self, directory: str | os.PathLike | None = None, *, max_entries: int = 5000,
                 write_behind: bool = False):
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.max_entries = max_entries
        self.write_behind = write_behind
        self._writes = 0
        self._lock = threading.Lock()
        self._queued = threading.Condition()  # guards _pending and _writer
        self._pending: dict[str, tuple[bytes, str, float]] = {}  # key → (body, what, saved_at), oldest first
        self._writer: threading.Thread | None = None
        if write_behind:
            atexit.register(self.flush)
        # 0700: a leader's cache holds full names.
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._remove_leftovers()

    # -- keys -------------------------------------------------------------------------------------
    @staticmethod
    def key(scope: str, path: str, params: Mapping[str, Any] | None = None) -> str:
        items = sorted((str(k), str(v)) for k, v in (params or {}).items() if v is not None)
        query = "&".join(f"{k}={v}" for k, v in items)
        return f"{scope}|{path}?{query}"

    def _file(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:40] + _SUFFIX)

    # -- reading ----------------------------------------------------------------------------------
    def get(self, key: str) -> CachedAnswer | None:
        """The last good answer for `key`, or None (none stored, or the stored one was corrupt)."""
        with self._queued:
            waiting = self._pending.get(key)
        if waiting is not None:  # not on disk yet
            return CachedAnswer(json.loads(waiting[0]), datetime.fromtimestamp(waiting[2]))
        f = self._file(key)
        try:
            raw = f.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            _quiet.warning("read", "cannot read cache entry %s: %s", f.name, exc)
            return None
        try:
            head, _, body = raw.partition(b"\n")
            meta = json.loads(head)
            if not isinstance(meta, dict) or meta.get("v") != _FORMAT:
                raise ValueError("unknown format")
            if meta.get("key") != key:
                raise ValueError("entry belongs to another request")
            if meta.get("length") != len(body) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
                raise ValueError("body truncated or altered")
            answer = CachedAnswer(json.loads(body), datetime.fromtimestamp(float(meta["saved_at"])))
        except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
            # Never a crash for a bad file: drop it; the next good answer writes it again.
            log.warning("discarded corrupt cache entry %s (%s)", f.name, exc)
            self._unlink(f)
            return None
        return answer

    # -- writing ----------------------------------------------------------------------------------
    def put(self, key: str, body: bytes, *, what: str = "") -> bool:
        """Store the raw JSON `body` as the last good answer for `key`; False when refused or failed.

        Defence in depth: the server masks ID numbers, but should a bug ever send one unmasked, it
        must not also persist on the wall's disk. The log says only that it refused, never what."""
        if UNMASKED_ID.search(body):
            log.warning("refused to cache %s: the answer holds an unmasked ID number", what or "an answer")
            return False
        if self.write_behind:
            with self._queued:
                if key in self._pending or len(self._pending) < _PENDING_MAX:
                    self._pending.pop(key, None)  # (the newer answer goes to the end)
                    self._pending[key] = (body, what, time.time())
                    if self._writer is None:
                        self._writer = threading.Thread(target=self._write_queued, name="response-cache",
                                                        daemon=True)
                        self._writer.start()
                    self._queued.notify()
                    return True
        return self._write(key, body, what, time.time())

    def flush(self) -> None:
        """Write what is waiting for the writer thread now, on this thread."""
        while (item := self._next_queued()) is not None:
            self._write_and_forget(*item)

    def _next_queued(self) -> tuple[str, tuple[bytes, str, float]] | None:
        with self._queued:
            return next(iter(self._pending.items()), None)

    def _write_and_forget(self, key: str, item: tuple[bytes, str, float]) -> None:
        self._write(key, *item)
        with self._queued:
            if self._pending.get(key) is item:  # (unless a newer answer came meanwhile)
                del self._pending[key]

    def _write_queued(self) -> None:
        while True:
            with self._queued:
                if not self._queued.wait_for(lambda: bool(self._pending), timeout=_WRITER_IDLE_S):
                    self._writer = None  # idle: the next put starts a thread again
                    return
            self.flush()

    def _write(self, key: str, body: bytes, what: str, saved_at: float) -> bool:
        meta = {"v": _FORMAT, "key": key, "saved_at": saved_at, "length": len(body),
                "sha256": hashlib.sha256(body).hexdigest()}
        data = json.dumps(meta, ensure_ascii=True).encode() + b"\n" + body
        target = self._file(key)
        try:
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".part", dir=self.directory)
        except OSError as exc:
            _quiet.warning("write", "cannot write the response cache in %s: %s", self.directory, exc)
            return False
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the name points at them
            os.replace(tmp, target)
        except OSError as exc:
            _quiet.warning("write", "cannot write cache entry %s: %s", target.name, exc)
            self._unlink(Path(tmp))
            return False
        self._maybe_prune()
        return True

    def clear(self) -> None:
        with self._queued:
            self._pending.clear()
        for f in self.directory.glob("*" + _SUFFIX):
            self._unlink(f)

    def entries(self) -> list[Path]:
        return sorted(self.directory.glob("*" + _SUFFIX))

    # -- housekeeping -----------------------------------------------------------------------------
    def _maybe_prune(self) -> None:
        with self._lock:
            self._writes += 1
            if self._writes % 100:
                return
        files = self.entries()
        if len(files) <= self.max_entries:
            return
        def mtime(p: Path) -> float:
            try:
                return p.stat().st_mtime
            except OSError:
                return 0.0
        for f in sorted(files, key=mtime)[: len(files) - self.max_entries]:
            self._unlink(f)

    def _remove_leftovers(self) -> None:
        now = time.time()
        for f in self.directory.glob(_TMP_PREFIX + "*"):
            try:
                if now - f.stat().st_mtime > _STALE_TMP_S:
                    f.unlink()
            except OSError:
                pass

    @staticmethod
    def _unlink(f: Path) -> None:
        try:
            f.unlink()
        except OSError:
            pass
