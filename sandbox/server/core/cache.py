"""A small LRU of computed region answers, keyed by the dataset's facts version: a rebuild,
import or new check-in changes the version, so nothing stale is ever served; and pre-serialised
answers (bytes, their gzip and ETag made once) served as they are."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ResponseCache", "Prepared"]


class ResponseCache:
    def __init__(self, maxsize: int = 1024) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def peek(self, key: Hashable) -> Any | None:
        """The value kept under `key` (made the most recent), or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        self.put(key, value)
        return value


class Prepared:
    """An answer serialised once: its bytes, its ETag and (made on the first client that accepts it)
    its gzip. `respond()` costs no encoding at all: the ready bytes, a 304, or the ready gzip."""

    def __init__(self, body: bytes, media_type: str = "application/json") -> None:
        self.body, self.media_type = body, media_type
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        self._gz: bytes | None = None
        self._lock = threading.Lock()

    @property
    def gz(self) -> bytes:
        with self._lock:
            if self._gz is None:
                # Level 5: most of the size win at a third of level 9's time; made once per version.
                self._gz = gzip.compress(self.body, 5, mtime=0)
            return self._gz

    def respond(self, request: Request) -> Response:
        # no-cache: a client may keep it but asks again (a 304 is a few bytes) — the facts move on.
        headers = {"ETag": self.etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Authorization"}
        if self.etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            return Response(self.gz, media_type=self.media_type, headers={**headers, "Content-Encoding": "gzip"})
        return Response(self.body, media_type=self.media_type, headers=headers)


def _etags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
