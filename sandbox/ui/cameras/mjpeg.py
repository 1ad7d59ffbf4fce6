"""MJPEG over HTTP: requests streaming on a worker thread, multipart parsing, JPEG decode into a ring of
reused buffers off the GUI thread; the GUI polls the latest frame (older ones are dropped unseen)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import numpy as np
import requests
from PySide6.QtGui import QImage

from sandbox.ui.cameras.multipart import MultipartParser, boundary_of
from sandbox.ui.cameras.policy import redact, redact_text
from sandbox.ui.cameras.source import StreamSource

try:
    import simplejpeg
except ImportError:  # pragma: no cover - the pinned dependency is missing: Qt decodes (slower, allocates)
    simplejpeg = None

__all__ = ["MjpegSource", "install_log_redaction"]

log = logging.getLogger(__name__)
_READ = 64 * 1024
_CHUNK = 1024 * 1024  # an HTTP chunk up to this size is read whole (a 4K JPEG frame fits)
_RING = 3  # the GUI's frame, the pending one, the one being decoded
_UNTAKEN_S = 0.5  # a decoded frame the display has not taken for this long is replaced all the same


def _decoded_size(h: int, w: int, tw: int, th: int) -> tuple[int, int]:
    """Decode at 1, ½, ¼ or ⅛ (DCT scaling) — the smallest whose picture, letterboxed into a tw×th box
    (device pixels), is still drawn at 1:1 or enlarged, never shrunk below what the box shows: the
    picture shown is min(tw/w, th/h) of the frame, so a factor d is fine while 1/d ≥ that. Only these
    factors: the other M/8 scalings have no SIMD code in libjpeg-turbo and cost 1.7-2.5× a full decode."""
    d = 1
    if tw > 0 and th > 0 and w > 0 and h > 0:
        shown = min(tw / w, th / h)  # the share of the frame's width (and height) the box shows
        while d < 8 and shown * (2 * d) <= 1.0:
            d *= 2
    return -(-h // d), -(-w // d)


def _chunks(raw):
    """The body's bytes as they come. Chunked (most MJPEG servers send a part per HTTP chunk)? whole
    chunks through urllib3's chunk reader: one frame a read, ≈ a third less CPU than `read1`, which
    takes two trips through http.client's chunk decoder per 20 kB frame. Else what each recv brings."""
    if raw.chunked and raw.supports_chunked_reads():
        return raw.read_chunked(_CHUNK, decode_content=False)
    return iter(lambda: raw.read1(_READ), b"")


class _RedactUrls(logging.Filter):
    """Scrubs URLs in urllib3's debug lines ("GET /…?sig=… HTTP/1.1"): signatures never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        if "?" in msg or "@" in msg:
            import re

            msg = re.sub(r"(?i)([?&](?:sig|signature|token|access_token|key|apikey|api_key|password|pwd|passwd|"
                         r"secret|auth|user|username)=)[^&\s\"']*", r"\1***", redact_text(msg))
            record.msg, record.args = msg, None
        return True


_installed = False


def install_log_redaction() -> None:
    """Attach the URL scrubber to urllib3's connection-pool logger (idempotent)."""
    global _installed
    if not _installed:
        logging.getLogger("urllib3.connectionpool").addFilter(_RedactUrls())
        _installed = True


class _Ring:
    """Three decode buffers with a QImage over each; hand-over of the latest under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrays: list[np.ndarray | None] = [None] * _RING
        self.images: list[QImage | None] = [None] * _RING
        self.latest: int | None = None  # filled, not yet taken
        self.latest_at = 0.0  # when `latest` was filled (monotonic)
        self.held: int | None = None  # taken by the GUI (being painted)

    def free_slot(self) -> int:
        with self.lock:
            busy = {self.latest, self.held}
        return next(i for i in range(_RING) if i not in busy)

    def buffer(self, i: int, h: int, w: int) -> np.ndarray:
        a = self.arrays[i]
        if a is None or a.shape != (h, w, 4):
            a = self.arrays[i] = np.empty((h, w, 4), np.uint8)
            self.images[i] = QImage(a.data, w, h, w * 4, QImage.Format.Format_RGB32)
        return a


class MjpegSource(StreamSource):
    kind = "mjpeg"

    def __init__(self, *, connect_timeout_s: float = 5.0, read_timeout_s: float = 6.0, parent=None) -> None:
        super().__init__(parent)
        install_log_redaction()
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self._gen = 0
        self._stop: threading.Event | None = None
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._ring = _Ring()
        self._target = (0, 0)
        # deleted with its tile (never closed)? end the worker's stream: no orphan keeps decoding
        self.destroyed.connect(_closer(self))
        self._fallback: QImage | None = None
        self.frames_decoded = 0
        self.frames_skipped = 0  # arrived while the last decoded frame was still unshown: never decoded
        self.decode_cpu_s = 0.0  # the worker's CPU time in JPEG decoding (benchmarks: decode vs. reading)

    # -- GUI thread -------------------------------------------------------------------------------
    def open(self, url: str) -> int:
        self.close()
        self._gen += 1
        stop = self._stop = threading.Event()
        threading.Thread(target=self._run, args=(self._gen, url, stop), name=f"mjpeg-{self._gen}",
                         daemon=True).start()
        return self._gen

    def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None
        with self._sock_lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # unblocks the worker's recv at once
            except OSError:
                pass
        ring = self._ring
        with ring.lock:
            ring.latest = None

    def take(self) -> QImage | None:
        ring = self._ring
        if ring.latest is None:  # a racy peek is fine: the next tick sees it
            return None
        with ring.lock:
            if ring.latest is None:
                return None
            ring.held, ring.latest = ring.latest, None
            i = ring.held
        if simplejpeg is None:
            return self._fallback
        return ring.images[i]

    def has_frame(self) -> bool:
        # only a recent one: a stream that stalls while its tile is covered must still trip the watchdog
        ring = self._ring
        return ring.latest is not None and time.monotonic() - ring.latest_at < 2 * _UNTAKEN_S

    def set_target_size(self, width: int, height: int) -> None:
        self._target = (int(width), int(height))

    # -- worker thread ----------------------------------------------------------------------------
    def _run(self, gen: int, url: str, stop: threading.Event) -> None:
        shown = redact(url)
        try:
            resp = requests.get(url, stream=True, timeout=(self.connect_timeout_s, self.read_timeout_s),
                                headers={"Accept": "multipart/x-mixed-replace, image/jpeg"})
        except requests.Timeout:
            return self._fail(gen, stop, "timeout", shown)
        except requests.RequestException as e:
            return self._fail(gen, stop, "refused", shown, type(e).__name__)
        try:
            if resp.status_code != 200:
                code = {401: "expired", 403: "expired", 503: "offline"}.get(resp.status_code, "http")
                return self._fail(gen, stop, code, shown, f"HTTP {resp.status_code}")
            boundary = boundary_of(resp.headers.get("content-type", ""))
            if boundary is None:
                return self._fail(gen, stop, "format", shown, "content-type")
            try:
                sock = resp.raw.connection.sock
            except AttributeError:
                sock = None
            with self._sock_lock:
                if stop.is_set():
                    return
                self._sock = sock
            try:
                self.connected.emit(gen)
            except RuntimeError:  # deleted meanwhile
                return
            self._pump(gen, resp, MultipartParser(boundary), stop)
            if not stop.is_set():
                self._fail(gen, stop, "ended", shown)
        except Exception as e:  # noqa: BLE001 - a worker must end with a word to its tile, whatever broke
            # urllib3 raises from a socket another thread shut down; say only the exception's type
            self._fail(gen, stop, "timeout" if "Timeout" in type(e).__name__ else "ended", shown, type(e).__name__)
        finally:
            resp.close()

    def _pump(self, gen: int, resp, parser: MultipartParser, stop: threading.Event) -> None:
        for chunk in _chunks(resp.raw):
            if stop.is_set():
                return
            parts = parser.feed(chunk)
            if parts and not stop.is_set():
                self._deliver(gen, parts[-1][1], stop)  # behind? only the newest part is decoded

    def _deliver(self, gen: int, jpeg: bytes, stop: threading.Event) -> None:
        ring = self._ring
        if ring.latest is not None and time.monotonic() - ring.latest_at < _UNTAKEN_S:
            # the display has not taken the last frame yet (its repaints run slower than the stream: a
            # busy GUI thread, a starved machine): decoding this one would only overwrite that one
            # unseen. Skip it; the next part after the display caught up is decoded. Costs at most
            # one frame interval of freshness, saves every decode nobody would see.
            self.frames_skipped += 1
            return
        if simplejpeg is None:  # pragma: no cover
            img = QImage.fromData(jpeg, "JPG")
            if img.isNull():
                return
            with ring.lock:
                self._fallback, ring.latest = img, 0
        else:
            c0 = time.thread_time()
            try:
                h, w = _decoded_size(*simplejpeg.decode_jpeg_header(jpeg)[:2], *self._target)
                i = ring.free_slot()
                simplejpeg.decode_jpeg(jpeg, colorspace="BGRA", fastdct=True, fastupsample=True,
                                       min_height=h, min_width=w, buffer=ring.buffer(i, h, w), strict=False)
            except (ValueError, StopIteration):
                return  # a corrupt frame: skip it, the watchdog notices if they all are
            finally:
                self.decode_cpu_s += time.thread_time() - c0
            with ring.lock:
                if stop.is_set():
                    return
                ring.latest, ring.latest_at = i, time.monotonic()
        self.frames_decoded += 1

    def _fail(self, gen: int, stop: threading.Event, code: str, shown: str, detail: str = "") -> None:
        if stop.is_set():
            return
        log.info("camera stream %s: %s %s", shown, code, detail)
        try:
            self.failed.emit(gen, code)
        except RuntimeError:  # the source was deleted meanwhile
            pass


def _closer(source: MjpegSource):
    """A callback that stops `source`'s worker without touching the (then deleted) QObject."""
    stop_of, sock_of = (lambda: source._stop), (lambda: source._sock)

    def close(*_args) -> None:
        stop, sock = stop_of(), sock_of()
        if stop is not None:
            stop.set()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    return close
