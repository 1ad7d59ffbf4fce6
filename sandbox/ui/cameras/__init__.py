"""Camera tiles on the wall: URL policy, MJPEG / RTSP / HLS sources, watchdog, tiles and the camera wall."""

from sandbox.ui.cameras.grid import CameraFullView, CameraWall
from sandbox.ui.cameras.health import HEALTH_STATES, CameraHealth
from sandbox.ui.cameras.policy import UrlPolicy, Verdict, redact
from sandbox.ui.cameras.reconnect import Backoff, StaggerGate, StreamSettings
from sandbox.ui.cameras.tile import CameraTile

__all__ = ["UrlPolicy", "Verdict", "redact", "Backoff", "StaggerGate", "StreamSettings", "CameraHealth",
           "HEALTH_STATES", "CameraTile", "CameraWall", "CameraFullView"]
