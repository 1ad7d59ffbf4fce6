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
        self._buf = bytearray()
        self._headers: dict[str, str] | None = None  # headers of the part being read

    def feed(self, data: bytes) -> list[tuple[dict[str, str], bytes]]:
        self._buf += data
        out: list[tuple[dict[str, str], bytes]] = []
        while True:
            if self._headers is None:
                if not self._read_headers():
                    break
            body = self._read_body()
            if body is None:
                break
            out.append((self._headers, body))
            self._headers = None
        if len(self._buf) > _MAX_PART:
            raise ValueError("multipart part too large")
        return out

    def _read_headers(self) -> bool:
        buf = self._buf
        start = buf.find(self.marker.lstrip(b"-"))
        if start < 0:
            # keep a tail that may hold the start of a marker
            del buf[: max(0, len(buf) - len(self.marker))]
            return False
        end = buf.find(b"\r\n\r\n", start)
        sep = 4
        if end < 0:
            end, sep = buf.find(b"\n\n", start), 2
            if end < 0:
                return False
        lines = bytes(buf[start:end]).split(b"\n")[1:]
        headers = {}
        for line in lines:
            k, _, v = line.decode("latin-1").partition(":")
            if k.strip():
                headers[k.strip().lower()] = v.strip()
        del buf[: end + sep]
        self._headers = headers
        return True

    def _read_body(self) -> bytes | None:
        buf = self._buf
        length = self._headers.get("content-length") if self._headers else None
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                n = -1
            if 0 <= n <= _MAX_PART:
                if len(buf) < n:
                    return None
                body = bytes(buf[:n])
                del buf[:n]
                return body
        nxt = buf.find(self.marker.lstrip(b"-"))
        if nxt < 0:
            return None
        cut = nxt
        while cut > 0 and buf[cut - 1:cut] == b"-":
            cut -= 1
        body = bytes(buf[:cut]).rstrip(b"\r\n")
        del buf[:cut]
        return body
