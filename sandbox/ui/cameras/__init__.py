"""Camera tiles on the wall: URL policy, MJPEG / RTSP / HLS sources, watchdog, tiles and the camera wall."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["UrlPolicy", "Verdict", "redact", "Backoff", "StaggerGate", "StreamSettings", "CameraHealth",
           "HEALTH_STATES", "CameraTile", "CameraWall", "CameraFullView"]

# Imported on first use: the wall's start needs the policy, the health record and the stagger gate, not
# the tiles and their decoders (issue 19: nothing the first frame does not show is imported before it).
_WHERE = {
    "CameraFullView": "grid", "CameraWall": "grid", "HEALTH_STATES": "health", "CameraHealth": "health",
    "UrlPolicy": "policy", "Verdict": "policy", "redact": "policy", "Backoff": "reconnect",
    "StaggerGate": "reconnect", "StreamSettings": "reconnect", "CameraTile": "tile",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
