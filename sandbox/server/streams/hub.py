"""The demo cameras' live feeds: one render-and-encode thread per watched camera, shared by all
its viewers; signed short-lived stream URLs; a switch to stall or cut a camera (for watchdog
tests and demos of 信号中断).

Why a signature in the URL and not the bearer token: Qt's media player cannot easily send an
Authorization header, and a URL ends up in logs. `GET /cameras` (which needs a token) hands out
`…/demo/streams/{id}.mjpeg?exp=<unix time>&sig=<HMAC>`: valid for one camera, read-only, for
`url_ttl_s` (1 hour). The signature is checked when a stream starts; a stream already playing
is not cut when its URL expires. Clients refetch `GET /cameras` for a fresh URL before
reconnecting (`stream_expires_at` says when). The secret is `SANDBOX_STREAM_SECRET` if set, else
random per server process (URLs from an earlier run stop working, by design). The signer and the
cameras' switched states live in `sandbox.server.core.demo_streams`, shared with the camera list.

Two profiles per camera, as a video platform (GB/T 28181 NVR, Hikvision, Dahua) gives them: the main
stream (`main`, 1280×720, `/demo/streams/{id}.mjpeg`) for full screen and the sub-stream (`sub`,
640×360, `/demo/streams/{id}/sub.mjpeg`) for wall tiles. One signature serves both (same camera,
read-only); each profile is its own feed, rendered only while watched. Like a platform's sub-stream, the
sub-stream is encoded leaner (JPEG quality 60, 4:2:0; ≈ 18 kB a frame, ≈ 3.7 Mbit/s at 25 fps) than the
main stream (quality 70, 4:2:0; ≈ 52 kB, ≈ 10.6 Mbit/s): smaller frames are quicker to decode, and 16
tiles decode 400 a second, while a tile shows the picture at about 400×220, where the difference is
invisible.

States of a feed: `live`; `stalled` (connections stay open, no frames: a camera that hangs);
`down` (open streams end, new ones get 503: a camera that is off). Set them in-process with
`hub.set_state(camera_id, ...)` or through the admin route `PUT /demo/streams/{id}/state`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field

from sandbox.server.core.demo_streams import DEMO_STREAM_PREFIX, STATES, DemoStreams, demo_streams_of
from sandbox.server.core.signing import UrlSigner

__all__ = ["StreamHub", "CameraFeed", "STATES", "PROFILES", "hub_of", "install_hub", "DEMO_STREAM_PREFIX"]

log = logging.getLogger(__name__)
PROFILES = ("main", "sub")


@dataclass(eq=False)
class _Viewer:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)


class CameraFeed:
    """Frames of one camera, rendered at `fps` while anyone watches (and `linger_s` after)."""

    def __init__(self, camera_id: int, name: str, site: str | None, fps: float, size: tuple[int, int],
                 linger_s: float = 3.0, quality: int = 70) -> None:
        self.camera_id, self.name, self.site = camera_id, name, site
        self.fps, self.size, self.linger_s, self.quality = fps, size, linger_s, quality
        self.state = "live"
        self._lock = threading.Lock()
        self._viewers: set[_Viewer] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        self.seq = 0
        self.frame: bytes | None = None
        self.frame_time = 0.0
        self.frames_rendered = 0

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    def subscribe(self) -> _Viewer:
        viewer = _Viewer(asyncio.get_running_loop())
        with self._lock:
            self._viewers.add(viewer)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name=f"demo-camera-{self.camera_id}", daemon=True)
                self._thread.start()
        if self.frame is not None and self.state == "live":
            viewer.event.set()  # the latest frame at once: a new viewer need not wait a frame period
        return viewer

    def unsubscribe(self, viewer: _Viewer) -> None:
        with self._lock:
            self._viewers.discard(viewer)

    def latest(self) -> tuple[int, bytes | None, float]:
        with self._lock:
            return self.seq, self.frame, self.frame_time

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise ValueError(state)
        self.state = state
        if state == "down":
            with self._lock:
                self.frame = None  # a camera back from down starts with a fresh frame
        self._wake.set()
        self._notify()  # viewers of a feed that went down leave now

    def close(self) -> None:
        self._closed = True
        self.set_state("down")

    def _notify(self) -> None:
        with self._lock:
            viewers = list(self._viewers)
        for v in viewers:
            try:
                v.loop.call_soon_threadsafe(v.event.set)
            except RuntimeError:  # its event loop is closed
                self.unsubscribe(v)

    def _run(self) -> None:
        from sandbox.server.streams.render import SceneRenderer

        try:
            renderer = SceneRenderer(self.camera_id, self.name, self.site, *self.size, fps=self.fps,
                                     quality=self.quality)
        except Exception:
            log.exception("demo camera %s: cannot render", self.camera_id)
            with self._lock:
                self._thread = None
            self.close()
            return
        period = 1.0 / self.fps
        due = time.monotonic()
        idle_since: float | None = None
        while True:
            with self._lock:
                if self._closed:
                    self._thread = None
                    return
                if not self._viewers:
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > self.linger_s:
                        self._thread = None
                        return
                else:
                    idle_since = None
            if self.state == "live" and self._viewers:
                t = time.time()
                jpeg = renderer.render(t)
                with self._lock:
                    self.seq += 1
                    self.frame, self.frame_time = jpeg, t
                self.frames_rendered += 1
                self._notify()
            due += period
            now = time.monotonic()
            if due < now - period:  # fell behind (a busy machine): skip frames, never burst
                due = now
            self._wake.wait(max(0.0, due - now))
            if self._wake.is_set():
                self._wake.clear()
                due = time.monotonic()


class StreamHub:
    """The demo feeds. Signing and switched states are the shared `DemoStreams` (`shared`); without
    one the hub makes its own from `secret` and `url_ttl_s` (install it with `install_hub`)."""

    def __init__(self, fps: float = 25.0, size: tuple[int, int] = (1280, 720), url_ttl_s: float = 3600.0,
                 secret: bytes | None = None, sub_size: tuple[int, int] = (640, 360), quality: int = 70,
                 sub_quality: int = 60, shared: DemoStreams | None = None) -> None:
        self.fps, self.size, self.sub_size = fps, size, sub_size
        self.quality, self.sub_quality = quality, sub_quality  # JPEG quality of the main and the sub-stream
        self.shared = shared or DemoStreams(UrlSigner(secret, url_ttl_s))
        self._lock = threading.Lock()
        self._feeds: dict[tuple[int, str], CameraFeed] = {}  # (camera id, profile) → feed

    # -- signed URLs (the shared signer) ---------------------------------------------------------
    @property
    def url_ttl_s(self) -> float:
        return self.shared.signer.ttl_s

    def sign(self, camera_id: int, now: float | None = None) -> tuple[int, str]:
        """(expiry unix time, signature) for a stream URL of this camera."""
        return self.shared.signer.sign(camera_id, now)

    def signed_query(self, camera_id: int) -> tuple[str, int]:
        return self.shared.signer.signed_query(camera_id)

    def verify(self, camera_id: int, exp: int | None, sig: str | None) -> str | None:
        """None if the signature is good; else why not (Chinese)."""
        return self.shared.signer.verify(camera_id, exp, sig)

    # -- feeds ----------------------------------------------------------------------------------
    def feed(self, camera_id: int, name: str, site: str | None, profile: str = "main") -> CameraFeed:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}")
        with self._lock:
            f = self._feeds.get((camera_id, profile))
            if f is None:
                size, quality = (self.size, self.quality) if profile == "main" else (self.sub_size, self.sub_quality)
                f = self._feeds[(camera_id, profile)] = CameraFeed(camera_id, name, site, self.fps, size,
                                                                   quality=quality)
                f.state = self.shared.state(camera_id)
            return f

    def _feeds_of(self, camera_id: int) -> list[CameraFeed]:
        return [f for p in PROFILES if (f := self._feeds.get((camera_id, p))) is not None]

    def state(self, camera_id: int) -> str:
        return self.shared.state(camera_id)

    def set_state(self, camera_id: int, state: str) -> None:
        """live / stalled / down for one camera (works before anyone watched it, too)."""
        with self._lock:
            self.shared.set_state(camera_id, state)  # raises ValueError for a state not in STATES
            feeds = self._feeds_of(camera_id)
        for f in feeds:
            f.set_state(state)
        log.info("demo camera %s: %s", camera_id, state)

    def status(self) -> list[dict]:
        with self._lock:
            ids = sorted({i for i, _ in self._feeds} | set(self.shared.switched()))
            feeds = dict(self._feeds)
        out = []
        for i in ids:
            mine = {p: f for (c, p), f in feeds.items() if c == i}
            out.append({"camera_id": i, "state": self.state(i), "viewers": sum(f.viewers for f in mine.values()),
                        "frames_rendered": sum(f.frames_rendered for f in mine.values()),
                        "last_frame_at": max((f.frame_time for f in mine.values()), default=0.0) or None,
                        "profiles": {p: {"viewers": f.viewers, "size": list(f.size), "quality": f.quality} for p, f in mine.items()}})
        return out

    def close(self) -> None:
        """End every stream (server shutdown): open MJPEG responses finish, threads stop."""
        with self._lock:
            feeds = list(self._feeds.values())
        for f in feeds:
            f.close()


_hub_lock = threading.Lock()


def hub_of(app) -> StreamHub:
    """The app's stream hub (created on first use, on the app's shared signer and states)."""
    hub = getattr(app.state, "streams", None)
    if hub is None:
        with _hub_lock:
            hub = getattr(app.state, "streams", None)
            if hub is None:
                hub = app.state.streams = StreamHub(shared=demo_streams_of(app))
    return hub


def install_hub(app, hub: StreamHub) -> StreamHub:
    """Make `hub` the app's (a test's known secret or frame rate): the camera list signs with its signer."""
    with _hub_lock:
        app.state.streams = hub
        app.state.demo_streams = hub.shared
    return hub
