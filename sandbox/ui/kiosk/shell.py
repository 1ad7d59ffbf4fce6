"""The kiosk shell: the wall inside a locked frame, idle → county → tour, presenter keys, the heartbeat."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from sandbox.ui.kiosk.caption import CaptionOverlay
from sandbox.ui.kiosk.frame import ExitCombo, KioskFrame
from sandbox.ui.kiosk.heartbeat import HeartbeatEmitter
from sandbox.ui.kiosk.tour_player import PAUSED, PLAYING, STOPPED, TourPlayer

__all__ = ["KioskShell", "ShellOptions", "install_freshness"]

log = logging.getLogger(__name__)

_USER_INPUT = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel, QEvent.Type.KeyPress}
_NEXT = {Qt.Key.Key_PageDown, Qt.Key.Key_Right}
_PREVIOUS = {Qt.Key.Key_PageUp, Qt.Key.Key_Left}
_PAUSE = {Qt.Key.Key_B, Qt.Key.Key_Space}


@dataclass(frozen=True)
class ShellOptions:
    idle_seconds: float = 300.0  # 0: never
    tour_delay_seconds: float = 5.0
    tour_loop: bool = True
    tour_title: str = ""
    tour_on_launch: bool = False
    hide_cursor_after: float = 3.0
    heartbeat_seconds: float = 1.0
    data_refresh_seconds: float = 300.0
    health_seconds: float = 30.0
    time_scale: float = 1.0  # tests: shorter tour steps
    caption_position: str = "bottom"  # bottom / top / left (see caption.POSITIONS)


def install_freshness(wall: Any, client: Any, *, refresh_seconds: float, health_seconds: float) -> Any:
    """The offline banner, the periodic refresh and the health probe around the wall."""
    from sandbox.ui.freshness import install

    return install(wall, client, refresh_seconds=refresh_seconds, health_seconds=health_seconds)


class KioskShell(KioskFrame):
    """Owns the wall (a child widget) and everything around it. The wall's own idle timer is off:
    the shell's idle goes home *and* starts the tour, and a touch during a tour must pause it."""

    idleTimeout = Signal()

    def __init__(self, wall: QWidget, *, home_region: str, verify_pin: Callable[[str], bool],
                 steps: Sequence[Any] = (), client: Any = None, combo: ExitCombo = ExitCombo(),
                 options: ShellOptions = ShellOptions(), heartbeat: Callable[[], None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(verify_pin=verify_pin, combo=combo, hide_cursor_after=options.hide_cursor_after,
                         parent=parent)
        self.options = options
        self.wall = wall
        self.home_region = home_region
        self.last_input = time.monotonic()  # the supervisor's memory guard restarts only a wall left alone
        wall.setWindowFlags(Qt.WindowType.Widget)  # a QMainWindow living inside the frame
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(wall)
        self.session = wall.session  # what the shell asks of the wall (a TourTarget), never its widgets' state
        self.session.set_idle_seconds(0)
        self.caption = CaptionOverlay(self, options.caption_position)
        self.caption.set_anchor(self._caption_area)
        self.caption.placed.connect(self._caption_placed)
        # A camera full screen (a tour step's) keeps its Esc hint clear of the caption; the view is the
        # wall's once the signal has run.
        wall.cameraOpened.connect(lambda _cid: QTimer.singleShot(0, self._full_view_clear_of_caption))
        self.tour = TourPlayer(self.session, steps, home_region=home_region, caption=self.caption, client=client,
                               title=options.tour_title, loop=options.tour_loop, time_scale=options.time_scale,
                               parent=self)
        self.tour.stateChanged.connect(self._on_tour_state)
        self.tour.finished.connect(self._restart_idle)
        self._idle = QTimer(self, singleShot=True, interval=max(1, int(options.idle_seconds * 1000)))
        self._idle.timeout.connect(self.on_idle)
        self._tour_delay = QTimer(self, singleShot=True, interval=max(0, int(options.tour_delay_seconds * 1000)))
        self._tour_delay.timeout.connect(self._start_or_resume_tour)
        self.pin_pad.cancelled.connect(self._restart_idle)
        self.heartbeat = HeartbeatEmitter(heartbeat, options.heartbeat_seconds, self) if heartbeat else None
        self.freshness = None
        try:
            self.freshness = install_freshness(wall, client, refresh_seconds=options.data_refresh_seconds,
                                               health_seconds=options.health_seconds)
        except Exception:  # noqa: BLE001 - without the banner the wall still shows its data
            log.exception("kiosk: installing the freshness banner failed")
        if options.tour_on_launch and steps:
            QTimer.singleShot(0, self.tour.start)
        else:
            self._restart_idle()

    def _full_view_clear_of_caption(self) -> None:
        view = self.wall.full_view
        if view is not None:
            view.keep_clear_of(self.caption)

    def _caption_placed(self, rect: QRect) -> None:
        """The map is fitted to what the caption leaves free: no region under it."""
        canvas = self.wall.canvas
        if rect.isEmpty():
            canvas.set_cover("caption", None)
            return
        on_map = QRect(canvas.mapFrom(self, rect.topLeft()), rect.size()).intersected(canvas.rect())
        canvas.set_cover("caption", QRectF(on_map) if not on_map.isEmpty() else None)

    def _caption_area(self, position: str = "bottom") -> QRect | None:
        """"bottom": the timeline's band (it runs under the map and an open village panel) and up: the
        caption covers the year slider (a tour sets the year itself) and the map's foot. "top", "left":
        the map's rect."""
        for name in (("timeline", "canvas") if position == "bottom" else ("canvas",)):
            w = getattr(self.wall, name, None)
            if w is not None and w.isVisible() and w.width() > 0:
                return QRect(w.mapTo(self, QPoint(0, 0)), w.size())
        return None

    def set_idle_seconds(self, seconds: float) -> None:
        """Change the idle timeout (0: never) and count it from now."""
        self.options = replace(self.options, idle_seconds=seconds)
        self._idle.setInterval(max(1, int(seconds * 1000)))
        self._idle.stop()
        self._restart_idle()

    # -- idle and tour --------------------------------------------------------------------------------
    @property
    def idle_enabled(self) -> bool:
        return self.options.idle_seconds > 0

    def _restart_idle(self) -> None:
        if self.idle_enabled and self.tour.state not in (PLAYING,):
            self._idle.start()

    def on_idle(self) -> None:
        """Nobody touched the wall for the idle timeout: back to the county, then the tour."""
        log.info("kiosk: idle for %.0f s: back to the county view", self.options.idle_seconds)
        self.pin_pad.cancel()
        self.session.go_home_to(self.home_region)
        self.idleTimeout.emit()
        if self.tour.steps:
            self._tour_delay.start()
        else:
            self._restart_idle()

    def _start_or_resume_tour(self) -> None:
        if self.tour.state == PAUSED:
            self.tour.resume()
        elif self.tour.state == STOPPED:
            self.tour.start(0)

    def _on_tour_state(self, state: str) -> None:
        if state == PLAYING:
            self._idle.stop()  # the tour is what the wall is doing; idle resumes it only once paused
        else:
            self._restart_idle()

    def activity(self) -> tuple[float, bool, int]:
        """(seconds since the last touch or key, a tour playing, the window's pixels): the heartbeat
        tells the supervisor, whose memory guard restarts the UI only when nobody is using it."""
        return time.monotonic() - self.last_input, self.tour.state == PLAYING, self.width() * self.height()

    def user_input(self) -> None:
        """A touch, a click, a key: pause the tour, cancel a pending one, count idle from now."""
        self.last_input = time.monotonic()
        self._tour_delay.stop()
        if self.tour.state == PLAYING:
            log.info("kiosk: touched during the tour: paused")
            self.tour.pause()
        self._restart_idle()

    def filter_event(self, watched: QObject, event: QEvent) -> bool:
        t = event.type()
        if t in (QEvent.Type.Resize, QEvent.Type.Move) and self.caption.isVisible() and \
                watched is getattr(self.wall, "timeline", None):
            self.caption.relayout()  # a village panel opened or closed: the band moved
            return False
        if t not in _USER_INPUT or not self.isVisible():
            return False
        self.last_input = time.monotonic()  # any input, the PIN pad's and a presenter's tour keys too
        if self.pin_pad.isVisible():
            self._idle.start() if self.idle_enabled else None
            return False
        if t == QEvent.Type.KeyPress:
            if event.isAutoRepeat():
                return self.tour.active and event.key() in (_NEXT | _PREVIOUS | _PAUSE)
            key = event.key()
            if key in _NEXT and (self.tour.active or key == Qt.Key.Key_PageDown) and self.tour.steps:
                self._tour_delay.stop()
                self.tour.next()
                return True
            if key in _PREVIOUS and (self.tour.active or key == Qt.Key.Key_PageUp) and self.tour.steps:
                self._tour_delay.stop()
                self.tour.previous()
                return True
            if key in _PAUSE and self.tour.active:
                self.tour.toggle_pause()
                return True
        # Only input aimed at this window counts (a Qt event reaches the filter once per receiver up the chain).
        if isinstance(watched, QWidget) and watched.window() is self:
            self.user_input()
        return False

    # -- lifecycle ------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.heartbeat is not None:
            self.heartbeat.start()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.caption.isVisible():
            self.caption.relayout()

    def shutdown(self) -> None:
        self._idle.stop()
        self._tour_delay.stop()
        self.tour.stop()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        super().shutdown()
        self.wall.close()
