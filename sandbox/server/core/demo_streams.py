"""What the camera list and the demo stream feeds share: the URL prefix, the signer, each camera's switch.

The cameras feature signs the URLs it hands out and reports a switched-off camera as offline; the
streams feature checks those signatures and renders the feeds. Both reach this one object per app
(`demo_streams_of`), so neither imports the other."""

from __future__ import annotations

import threading

from sandbox.server.core.signing import UrlSigner

__all__ = ["DEMO_STREAM_PREFIX", "STATES", "DemoStreams", "demo_streams_of"]

DEMO_STREAM_PREFIX = "/api/v1/demo/streams/"
STATES = ("live", "stalled", "down")


class DemoStreams:
    """The demo cameras' URL signer and their switched states (live / stalled / down)."""

    def __init__(self, signer: UrlSigner | None = None) -> None:
        self.signer = signer or UrlSigner()
        self._lock = threading.Lock()
        self._states: dict[int, str] = {}  # set before anyone watched too: applied when a feed starts

    def state(self, camera_id: int) -> str:
        return self._states.get(camera_id, "live")

    def set_state(self, camera_id: int, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        with self._lock:
            self._states[camera_id] = state

    def switched(self) -> list[int]:
        """Cameras whose state was ever set."""
        with self._lock:
            return list(self._states)


_lock = threading.Lock()


def demo_streams_of(app) -> DemoStreams:
    """The app's demo-stream registry (created on first use)."""
    shared = getattr(app.state, "demo_streams", None)
    if shared is None:
        with _lock:
            shared = getattr(app.state, "demo_streams", None)
            if shared is None:
                shared = app.state.demo_streams = DemoStreams()
    return shared
