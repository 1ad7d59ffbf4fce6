"""CameraTile: one camera's live picture with its name, state (连接中/直播/信号中断/地址不允许/无信号) and
frame age; streams only while shown, reconnects on its own (see reconnect.LinkSupervisor)."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout

from sandbox.ui.cameras.frameclock import FrameClock, default_frame_clock
from sandbox.ui.cameras.look import BORDER, MUTED, STATE_COLOR, STATE_TEXT, TILE_BG
from sandbox.ui.cameras.policy import UrlPolicy, redact
from sandbox.ui.cameras.reconnect import LinkSupervisor, StaggerGate, StreamSettings, default_gate
from sandbox.ui.cameras.source import FAIL_TEXT, StreamSource
from sandbox.ui.cameras.video import VideoView

__all__ = ["CameraTile"]

log = logging.getLogger(__name__)


class _Elided(QLabel):
    """A one-line label that elides its text (…) to its width."""

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(parent)
        self._full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(10)
        self._elide()

    def set_full_text(self, text: str) -> None:
        if text != self._full:
            self._full = text
            self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(10, self.width())))


class CameraTile(QFrame):
    """One camera. `camera` is a dict from GET /cameras; `policy` decides whether its URL may be played.

    Signals: clicked(camera dict), stateChanged(camera id, link state), urlExpired(camera id) — the
    server refused the signed URL (401/403): refetch GET /cameras and call `set_camera` with the
    fresh dict. Link states: connecting, live, stalled (信号中断), down (无信号), blocked (地址不允许).
    """

    clicked = Signal(dict)
    stateChanged = Signal(int, str)
    urlExpired = Signal(int)

    def __init__(self, camera: dict, policy: UrlPolicy, *, settings: StreamSettings | None = None,
                 health=None, gate: StaggerGate | None = None, frame_clock: FrameClock | None = None,
                 clock=time.monotonic, profile: str = "sub", parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraTile")
        # "sub": a tile among others plays the camera's sub-stream when it has one (an NVR's low-resolution
        # stream: a quarter of the pixels to fetch and decode); "main": full screen plays the main stream
        self.profile = profile
        self.policy, self.health, self.clock = policy, health, clock
        if health is not None:
            # The health record belongs to the window; a tile that outlives it (a card tile waiting
            # for deleteLater while the window goes) must not report into a deleted object.
            health.destroyed.connect(self._forget_health)
        self.settings = settings or StreamSettings()
        self.gate = gate or default_gate()
        self.frame_clock = frame_clock or default_frame_clock()
        self.camera: dict = {}
        self.state = "connecting"
        self._detail = ""
        self._source: StreamSource | None = None
        self._gen = -1
        self._active = True
        self._streaming = False
        self._covered = False  # the picture is wholly under other widgets (checked each watchdog tick)
        self._sup = LinkSupervisor(self.settings, self.gate)
        self._verdict = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumSize(160, 110)

        self._dot = QLabel("●", self)
        self._name = _Elided("", self)
        self._site = _Elided("", self)
        self._badge = QLabel(self)
        self._age = QLabel(self)
        for w in (self._dot, self._name, self._site, self._badge, self._age):
            w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            w.setStyleSheet("background: transparent; border: none; padding: 0px;")
        self._site.setStyleSheet(f"background: transparent; border: none; padding: 0px; color: {MUTED.name()};")
        self._age.setStyleSheet(f"background: transparent; border: none; padding: 0px; color: {MUTED.name()};")
        self._video = VideoView(self)
        self._video.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(8)
        head.addWidget(self._dot)
        head.addWidget(self._name, 3)
        head.addWidget(self._site, 2)
        head.addStretch(0)
        head.addWidget(self._age)
        head.addWidget(self._badge)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.setSpacing(4)
        lay.addLayout(head)
        lay.addWidget(self._video, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(int(self.settings.tick_s * 1000))
        self._timer.timeout.connect(self._tick)
        self.set_camera(camera)

    # -- public ---------------------------------------------------------------------------------
    @property
    def camera_id(self) -> int | None:
        return self.camera.get("id")

    @property
    def streaming(self) -> bool:
        return self._streaming

    @property
    def url(self) -> str:
        """The URL this tile plays: the sub-stream for a tile (if the camera has one), else the main stream."""
        cam = self.camera
        if self.profile == "sub" and (cam.get("sub_stream_url") or "").strip():
            return cam["sub_stream_url"]
        return cam.get("stream_url") or ""

    def set_camera(self, camera: dict) -> None:
        """Show this camera. The same camera with a fresh URL (signed URLs expire) keeps its link;
        a different camera starts over."""
        camera = dict(camera or {})
        same = camera.get("id") == self.camera.get("id") and self.camera
        self.camera = camera
        self._verdict = self.policy.check(self.url)
        self._name.set_full_text(str(camera.get("name") or "未命名摄像头"))
        self._site.set_full_text(str(camera.get("site") or ""))
        self.setAccessibleName(str(camera.get("name") or "摄像头"))
        if same and self._verdict.allowed and self._source is not None and self._source.kind == self._verdict.kind:
            return  # the next (re)connect uses the new URL
        was = self._streaming
        self._stop_stream()
        self._source = None
        self._video.image = None
        self._sup = LinkSupervisor(self.settings, self.gate)
        self._set_state("connecting", "")
        self._judge_url()
        if was or (self.isVisible() and self._active):
            self._start_stream()

    def set_active(self, active: bool) -> None:
        """Pause (False) or resume streaming while the tile stays shown (e.g. under a full-screen view)."""
        self._active = active
        self._sync_streaming()

    def detail_text(self) -> str:
        return self._detail

    def display_texts(self) -> list[str]:
        """Every string the tile shows (labels and the painted state words): for tests and audits."""
        out = [self._name.full_text(), self._name.text(), self._site.full_text(), self._badge.text(),
               self._age.text(), self.accessibleName(), self.accessibleDescription(), self.toolTip()]
        if self.state != "live":
            out += [STATE_TEXT[self.state], self._detail]
        return [t for t in out if t]

    def frame_age(self) -> float | None:
        return self._sup.frame_age(self.clock())

    def _forget_health(self, *_args) -> None:
        self.health = None

    # -- Qt events ------------------------------------------------------------------------------
    def showEvent(self, e) -> None:  # noqa: N802
        super().showEvent(e)
        self._sync_streaming()

    def hideEvent(self, e) -> None:  # noqa: N802
        super().hideEvent(e)
        self._sync_streaming()

    def closeEvent(self, e) -> None:  # noqa: N802
        self._stop_stream()
        super().closeEvent(e)

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.LeftButton and self.rect().contains(e.position().toPoint()):
            self.clicked.emit(dict(self.camera))
        super().mouseReleaseEvent(e)

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        # a tile's name at 6 % of its height; full screen on a 4K or larger wall it keeps growing (to 4 % of
        # the height) instead of stopping at a 1080p size
        h = self.height()
        px = max(13, min(44, int(h * 0.06))) if h < 1200 else max(44, int(h * 0.04))
        for w, bold in ((self._name, True), (self._site, False), (self._badge, True), (self._age, False),
                        (self._dot, False)):
            f = w.font()
            f.setPixelSize(px if w is not self._site and w is not self._age else max(12, int(px * 0.85)))
            f.setBold(bold)
            w.setFont(f)
        self._name._elide()
        self._site._elide()

    def paintEvent(self, e) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), TILE_BG)
        pen = QPen(STATE_COLOR["stalled"] if self.state == "stalled" else BORDER)
        pen.setWidth(2)
        p.setPen(pen)
        p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.end()

    # -- streaming ------------------------------------------------------------------------------
    def _judge_url(self) -> None:
        v = self._verdict
        if v.allowed:
            return
        if not self.url.strip():
            self._set_state("down", "未配置视频地址")
        else:
            self._set_state("blocked", v.reason)
            log.warning("camera %s: stream URL not allowed (%s): %s", self.camera.get("id"),
                        redact(self.url), v.reason)

    def _sync_streaming(self) -> None:
        want = self.isVisible() and self._active
        if want and not self._streaming:
            self._start_stream()
        elif not want and self._streaming:
            self._stop_stream()

    def _start_stream(self) -> None:
        if not self._verdict or not self._verdict.allowed or not (self.isVisible() and self._active):
            return
        if self._source is None:
            self._source = self._make_source(self._verdict.kind)
        self._streaming = True
        self._sup.start(self.clock())
        self._timer.start()
        self.frame_clock.add(self)
        self._tick()

    def _stop_stream(self) -> None:
        self._timer.stop()
        self.frame_clock.remove(self)
        if self._source is not None:
            self._source.close()
        self._gen = -1
        self._sup.stop()
        self._streaming = False

    def _make_source(self, kind: str) -> StreamSource:
        s = self.settings
        if kind == "media":
            from sandbox.ui.cameras.media import MediaSource

            src = MediaSource(self)
        else:
            from sandbox.ui.cameras.mjpeg import MjpegSource

            src = MjpegSource(connect_timeout_s=s.connect_timeout_s, read_timeout_s=s.stall_s + 1.0, parent=self)
        src.failed.connect(self._on_failed)
        src.connected.connect(self._on_connected)
        src.set_target_size(*self._video.device_size())
        return src

    def _video_resized(self, w: int, h: int) -> None:
        if self._source is not None:
            self._source.set_target_size(w, h)

    def _tick(self) -> None:
        if not self._streaming:
            return
        now = self.clock()
        action = self._sup.tick(now)
        if action == "drop":
            self._source.close()
            self._gen = -1
            log.info("camera %s: no frame for %.0f s, reconnecting", self.camera.get("id"), self.settings.stall_s)
        elif action == "connect":
            self._gen = self._source.open(self.url)
        surface = self._video.surface
        self._covered = not surface.shows(self._video) if surface is not None else self._video.visibleRegion().isEmpty()
        self._refresh(now)

    def _on_connected(self, gen: int) -> None:
        if gen == self._gen and self.state != "live":
            self._refresh(self.clock())

    def poll_frame(self) -> None:
        """Called by the frame clock: show the source's newest frame, if it has one."""
        if self._gen < 0 or self._source is None:
            return
        if self._covered and self._source.has_frame():
            # nobody sees the picture (a panel or card lies over it): leave the frame untaken, so the
            # reader decodes no new one (see MjpegSource._deliver); the waiting frame proves the link alive
            self._sup.on_frame(self.clock())
            return
        img = self._source.take()
        if img is None:
            return
        self._sup.on_frame(self.clock())
        if self.state != "live":
            self._video.image = img
            self._set_state("live", "")  # repaints the whole picture (the veil goes)
        else:
            self._video.show_frame(img)

    def _on_failed(self, gen: int, code: str) -> None:
        if gen != self._gen:
            return
        self._gen = -1
        self._sup.on_failed(self.clock(), FAIL_TEXT.get(code, FAIL_TEXT["ended"]))
        if code == "expired" and self.camera.get("id") is not None:
            self.urlExpired.emit(self.camera["id"])
        self._refresh(self.clock())

    def _refresh(self, now: float) -> None:
        sup = self._sup
        detail = ""
        if sup.state in ("stalled", "down"):
            wait = sup.retry_in(now)
            reason = sup.reason or "画面停止更新"
            detail = f"{reason} · 正在重连" if wait is None or wait < 0.5 else f"{reason} · {wait:.0f} 秒后重连"
        elif sup.state == "connecting":
            detail = "正在连接摄像头"
        self._set_state(sup.state, detail)
        age = sup.frame_age(now)
        text = "" if age is None or sup.state != "live" else (f"{age:.1f} 秒前" if age >= 1.0 else "实时")
        if text != self._age.text():
            self._age.setText(text)

    def _set_state(self, state: str, detail: str) -> None:
        if state == self.state and detail == self._detail and self._badge.text():
            return
        changed = state != self.state or not self._badge.text()
        self.state, self._detail = state, detail
        self.setAccessibleDescription(STATE_TEXT[state] + (f": {detail}" if detail else ""))
        self._video.refresh()
        if not changed:
            return
        color = STATE_COLOR[state].name()
        self._badge.setText(STATE_TEXT[state])
        self._badge.setStyleSheet(f"background: transparent; border: none; padding: 0px; color: {color};")
        self._dot.setStyleSheet(f"background: transparent; border: none; padding: 0px; color: {color};")
        self._age.setText("实时" if state == "live" else "")
        self.update()
        cid = self.camera.get("id")
        if isinstance(cid, int):
            if self.health is not None:
                self.health.report(cid, state)
            self.stateChanged.emit(cid, state)
