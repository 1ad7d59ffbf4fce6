"""Incremental parser of multipart/x-mixed-replace (MJPEG over HTTP): bytes in, JPEG parts out."""

from __future__ import annotations

__all__ = ["MultipartParser", "boundary_of"]

_MAX_PART = 16 * 1024 * 1024  # a part larger than this is not a camera frame: the stream is broken


def boundary_of(content_type: str) -> str | None:
    """The boundary parameter of a multipart/x-mixed-replace Content-Type, else None."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/x-mixed-replace":
        return None
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "boundary" and v.strip().strip('"'):
            return v.strip().strip('"')
    return None


class MultipartParser:
    """Feed it chunks; `feed` returns the complete parts' (headers, body) since the last call.

    Uses each part's Content-Length when given, else scans for the next boundary. Tolerates the
    common camera quirk of a boundary parameter that already starts with "--".
    """

    def __init__(self, boundary: str) -> None:
        self.marker = b"--" + boundary.lstrip("-").encode("latin-1")
        self._find = self.marker.lstrip(b"-")
        self._buf = bytearray()
        self._headers: dict[str, str] | None = None  # headers of the part being read

    def feed(self, data: bytes) -> list[tuple[dict[str, str], bytes]]:
        # one pass with an offset and one cut at the end: no memmove per header and part. Nothing
        # buffered (the usual case: a server that sends each part in one HTTP chunk)? parse `data`
        # itself, so a part's body is copied once, and only a partial part's tail is kept.
        buf = self._buf
        if buf:
            buf += data
        else:
            buf = data
        out: list[tuple[dict[str, str], bytes]] = []
        pos = 0
        while True:
            if self._headers is None:
                pos = self._read_headers(buf, pos)
                if self._headers is None:
                    break
            body, pos = self._read_body(buf, pos)
            if body is None:
                break
            out.append((self._headers, body))
            self._headers = None
        if buf is self._buf:
            del buf[:pos]
        elif pos < len(buf):
            self._buf += memoryview(buf)[pos:]
        if len(self._buf) > _MAX_PART:
            raise ValueError("multipart part too large")
        return out

    def _read_headers(self, buf, pos: int) -> int:
        """Past the next part's headers (self._headers set), or where to keep the buffer from."""
        start = buf.find(self._find, pos)
        if start < 0:
            return max(pos, len(buf) - len(self.marker))  # keep a tail that may hold the start of a marker
        end = buf.find(b"\r\n\r\n", start)
        sep = 4
        if end < 0:
            end, sep = buf.find(b"\n\n", start), 2
            if end < 0:
                return start
        headers = {}
        for line in buf[start:end].decode("latin-1").split("\n")[1:]:
            k, _, v = line.partition(":")
            k = k.strip()
            if k:
                headers[k.lower()] = v.strip()
        self._headers = headers
        return end + sep

    def _read_body(self, buf, pos: int) -> tuple[bytes | None, int]:
        length = self._headers.get("content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                n = -1
            if 0 <= n <= _MAX_PART:
                end = pos + n
                if len(buf) < end:
                    return None, pos
                if buf[end:end + 2] == b"\r\n":  # the part's trailing CRLF: nothing left to buffer
                    return bytes(buf[pos:end]), end + 2
                return bytes(buf[pos:end]), end
        nxt = buf.find(self._find, pos)
        if nxt < 0:
            return None, pos
        cut = nxt
        while cut > pos and buf[cut - 1] == 0x2D:  # "-"
            cut -= 1
        return bytes(buf[pos:cut]).rstrip(b"\r\n"), cut
