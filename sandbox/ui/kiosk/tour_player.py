"""Plays a tour on the wall through its public methods: region, year, indicator, layer, camera, caption."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from sandbox.client.api import ApiError, ApiUnavailable
from sandbox.ui.kiosk.caption import CaptionOverlay
from sandbox.ui.kiosk.tour_target import TourTarget, check_tour_target
from sandbox.ui.panels.worker import client_for_worker
from sandbox.ui.worker import Worker

__all__ = ["TourPlayer", "STOPPED", "PLAYING", "PAUSED", "CHECKING"]

log = logging.getLogger(__name__)

STOPPED, CHECKING, PLAYING, PAUSED = "stopped", "checking", "playing", "paused"


class TourPlayer(QObject):
    """Steps are objects with region, year, indicator, layer, camera, title, caption and seconds
    (sandbox.kiosk.tour.TourStep). Before the first step the step regions are looked up once off the
    GUI thread: a region the API answers 404 for is skipped with a log line, never shown as an error.

    `time_scale` shortens every step (tests); `client` is only used for that look-up. The wall must be a
    TourTarget (checked here: a missing method is a TypeError now, not a step that silently does nothing)."""

    stepStarted = Signal(int)
    stepSkipped = Signal(int, str)
    stateChanged = Signal(str)
    finished = Signal()

    def __init__(self, wall: TourTarget, steps: Sequence[Any], *, home_region: str, caption: CaptionOverlay,
                 client: Any = None, title: str = "", loop: bool = True, time_scale: float = 1.0,
                 parent: QObject | None = None):
        super().__init__(parent)
        check_tour_target(wall)
        self.wall = wall
        self.steps = list(steps)
        self.home_region = home_region
        self.caption = caption
        self.title = title
        self.loop = loop
        self.time_scale = time_scale
        self.index = 0
        self.state = STOPPED
        self.missing: set[str] | None = None if client is not None else set()
        self._client = client
        self._worker = Worker(self, name="tour-region-check")  # the step regions' look-up
        self._worker.done.connect(lambda _channel, missing: self._on_checked(missing))
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._advance)
        self._layer_set = False
        self._camera_open = False
        self._pending_start: int | None = None

    # -- control --------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state in (PLAYING, PAUSED, CHECKING)

    def start(self, index: int = 0) -> None:
        if not self.steps:
            return
        if self.missing is None:  # regions not looked up yet: do that first, then play
            self._pending_start = index
            self._set_state(CHECKING)
            self._check_regions()
            return
        self._set_state(PLAYING)
        self._show(index)

    def stop(self) -> None:
        self._timer.stop()
        self._pending_start = None
        self.caption.hide()
        self._apply_layer(None)  # a step's layer choice ends with the tour: the wall as a leader left it
        self._apply_camera(None)  # and so does its camera
        self._set_state(STOPPED)

    def pause(self) -> None:
        if self.state == PLAYING:
            self._timer.stop()
            self._set_state(PAUSED)
            self.caption.set_footer(self.index, len(self.steps), paused=True, tour_title=self.title)

    def resume(self) -> None:
        """Go on from the paused step, shown afresh (someone may have wandered off it)."""
        if self.state == PAUSED:
            self._set_state(PLAYING)
            self._show(self.index)

    def toggle_pause(self) -> None:
        if self.state == PLAYING:
            self.pause()
        elif self.state == PAUSED:
            self.resume()

    def next(self) -> None:
        if self.state == STOPPED:
            self.start(0)
        elif self.state != CHECKING:
            self._set_state(PLAYING)
            self._show((self.index + 1) % len(self.steps), direction=1)

    def previous(self) -> None:
        if self.state == STOPPED:
            self.start(len(self.steps) - 1)
        elif self.state != CHECKING:
            self._set_state(PLAYING)
            self._show((self.index - 1) % len(self.steps), direction=-1)

    # -- steps ----------------------------------------------------------------------------------------
    @property
    def step_ms(self) -> int:
        """How long the step on screen lasts on this player's clock (its seconds × time_scale)."""
        return max(1, int(self.steps[self.index].seconds * 1000 * self.time_scale))

    def hold(self) -> None:
        """Keep the step on screen until `advance()` (the tour still plays; a test sets the pace)."""
        self._timer.stop()

    def advance(self) -> None:
        """End the step on screen now, as its timer does (a test's accelerated clock)."""
        if self.state == PLAYING:
            self._timer.stop()
            self._advance()

    def _advance(self) -> None:
        if self.index + 1 >= len(self.steps) and not self.loop:
            self.stop()
            self.finished.emit()
            return
        self._show((self.index + 1) % len(self.steps), direction=1)

    def _show(self, index: int, direction: int = 1) -> None:
        """Show step `index`, or the next usable one in `direction`; a tour with no usable step stops."""
        for _ in range(len(self.steps)):
            step = self.steps[index]
            region = self._region_of(step)
            if region not in self.missing:
                break
            msg = f"区划 {region} 不存在"
            log.warning("tour step %d skipped: region %s does not exist", index + 1, region)
            self.stepSkipped.emit(index, msg)
            index = (index + direction) % len(self.steps)
        else:
            log.error("tour stopped: none of its %d steps shows an existing region", len(self.steps))
            self.stop()
            return
        self.index = index
        self._apply(step, region)
        self.caption.show_step(step.title, step.caption, index, len(self.steps), paused=False, tour_title=self.title)
        self._timer.start(self.step_ms)
        self.stepStarted.emit(index)

    def _region_of(self, step: Any) -> str:
        return step.region or self.home_region

    def _apply(self, step: Any, region: str) -> None:
        w = self.wall
        st = w.state
        year = step.year if step.year is not None else st.map.year
        on_screen = st.village.code if st.village.is_open else st.map.region_code
        if region != on_screen:
            w.load(region, year)
        elif step.year is not None and step.year != st.map.year:
            w.set_year(step.year)
        if step.indicator and step.indicator != st.map.indicator_key:
            w.set_indicator(step.indicator)
        self._apply_layer(step.layer)
        self._apply_camera(step.camera)

    def _apply_layer(self, name: str | None) -> None:
        """A step's layer is shown alone for that step (the others step back); after it, those on by default come back."""
        names = list(self.wall.layer_names())
        if name is not None and name not in names:
            log.info("tour: the wall has no layer %r; step shown without it", name)
            return
        if name is None and not self._layer_set:
            return
        default = getattr(self.wall, "layer_on_by_default", lambda n: True)
        try:
            for n in names:
                self.wall.set_layer(n, n == name if name is not None else default(n))
            self._layer_set = name is not None
        except Exception:  # noqa: BLE001 - a layer that fails must not stop the tour
            log.exception("tour: layer %r failed", name)

    def _apply_camera(self, camera: int | str | None) -> None:
        """A step's camera is open for that step only: the next step without one closes it."""
        if camera is None:
            if self._camera_open:
                self._camera_open = False
                try:
                    self.wall.close_full_camera()
                except Exception:  # noqa: BLE001 - a camera that fails to close must not stop the tour
                    log.exception("tour: closing the camera failed")
            return
        try:
            self.wall.show_camera(int(camera) if str(camera).isdigit() else camera)
            self._camera_open = True
        except Exception:  # noqa: BLE001 - a camera that fails must not stop the tour
            log.exception("tour: show_camera(%r) failed", camera)

    # -- region look-up -------------------------------------------------------------------------------
    def _check_regions(self) -> None:
        codes = sorted({self._region_of(s) for s in self.steps})
        client = client_for_worker(self._client)

        def work() -> set[str]:
            missing: set[str] = set()
            for code in codes:
                try:
                    client.region(code)
                except ApiUnavailable as exc:  # offline: play what we can, the wall shows its own banner
                    log.warning("tour: could not check region %s: %s", code, exc)
                except ApiError as exc:
                    if exc.status == 404:
                        missing.add(code)
                    else:
                        log.warning("tour: region %s answered %s", code, exc.status)
                except Exception:  # noqa: BLE001 - a broken check must not stop the tour
                    log.exception("tour: region check failed for %s", code)
            if client is not self._client and hasattr(client, "close"):
                client.close()
            return missing

        self._worker.submit("check", work, "tour regions")

    def _on_checked(self, missing: set) -> None:
        self.missing = set(missing)
        for code in sorted(self.missing):
            log.warning("tour: region %s does not exist; its steps will be skipped", code)
        if self.state == CHECKING and self._pending_start is not None:
            index, self._pending_start = self._pending_start, None
            self._set_state(PLAYING)
            self._show(index)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
