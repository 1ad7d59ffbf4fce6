"""The bottom timeline: a year slider over the API's years and a play button that tours them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from sandbox.ui.paint_cache import WidgetCache
from sandbox.ui.state import WallState
from sandbox.ui.theme import Colors, Metrics, metrics_for_height, ui_font

__all__ = ["YearSlider", "TimelineBar", "TimelinePlayer", "STEP_MS"]

STEP_MS = 1200  # one year on screen while playing: long enough to read the map, short enough to feel alive


class YearSlider(QWidget):
    """A track with one stop per year; tap or drag to a year, ←/→ step. Painted, so it reads at 3 m."""

    yearPicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("yearSlider")
        self.metrics: Metrics = metrics_for_height(1080)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._years: list[int] = []
        self._year: int | None = None
        self._pending: int | None = None  # asked for, not yet on screen: drawn as a hollow stop
        self.pixels = WidgetCache()

    @property
    def years(self) -> list[int]:
        return list(self._years)

    def snapshot_key(self) -> tuple:
        return tuple(self._years), self._year, self._pending, self.metrics

    @property
    def year(self) -> int | None:
        return self._year

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.setFixedHeight(m.px(64))
        self.update()

    def set_years(self, years: list[int], year: int | None) -> None:
        self._years = list(years)
        self._year = year
        if self._pending == year:
            self._pending = None
        self.update()

    def stop_pos(self, year: int) -> QPointF:
        """Widget position of a year's stop (tests click there)."""
        i = self._years.index(year)
        x0, x1, y = self._track()
        x = x0 if len(self._years) == 1 else x0 + (x1 - x0) * i / (len(self._years) - 1)
        return QPointF(x, y)

    def pick(self, year: int) -> None:
        if year in self._years and year != (self._pending or self._year):
            self._pending = year
            self.update()
            self.yearPicked.emit(year)

    def _track(self) -> tuple[float, float, float]:
        m = self.metrics
        pad = m.px(36)
        return pad, self.width() - pad, m.px(20)

    def _nearest(self, x: float) -> int | None:
        if not self._years:
            return None
        return min(self._years, key=lambda y: abs(self.stop_pos(y).x() - x))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        y = self._nearest(event.position().x())
        if y is not None and event.button() == Qt.MouseButton.LeftButton:
            self.pick(y)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            y = self._nearest(event.position().x())
            if y is not None:
                self.pick(y)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(event.key())
        current = self._pending or self._year
        if step and current in self._years:
            i = min(max(self._years.index(current) + step, 0), len(self._years) - 1)
            self.pick(self._years[i])
            return
        super().keyPressEvent(event)

    def paintEvent(self, event) -> None:
        if not self._years:
            return
        p = QPainter(self)
        try:  # painted once per state, then blitted
            self.pixels.paint(self, p, self._paint, (tuple(self._years), self._year, self._pending, self.metrics))
        finally:
            p.end()  # an exception must never leave the backing store with an active painter

    def _labels(self, fm: QFontMetricsF) -> dict[int, str]:
        """Year labels that fit between the stops: '2016', else "'16", else just the ends."""
        if len(self._years) < 2:
            return {y: str(y) for y in self._years}
        gap = self.stop_pos(self._years[1]).x() - self.stop_pos(self._years[0]).x()
        room = gap - self.metrics.px(10)
        if fm.horizontalAdvance("2020") <= room:
            return {y: str(y) for y in self._years}
        if fm.horizontalAdvance("’20") <= room:
            return {y: f"’{y % 100:02d}" for y in self._years}
        return {self._years[0]: str(self._years[0]), self._years[-1]: str(self._years[-1])}

    def _paint(self, p: QPainter) -> None:
        m = self.metrics
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        x0, x1, ty = self._track()
        p.setPen(_round_pen(Colors.panel_border, m.px(4)))
        p.drawLine(QPointF(x0, ty), QPointF(x1, ty))
        if self._year in self._years:  # the part already toured glows
            p.setPen(_round_pen(Colors.accent_dim, m.px(4)))
            p.drawLine(QPointF(x0, ty), self.stop_pos(self._year))
        font, bold = ui_font(m.body_px), ui_font(m.body_px, bold=True)
        labels = self._labels(QFontMetricsF(bold))
        for year in self._years:
            c = self.stop_pos(year)
            current, pending = year == self._year, year == self._pending
            r = m.px(11) if current else m.px(7)
            if current:
                halo = QColor(Colors.accent)
                halo.setAlpha(70)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(halo)
                p.drawEllipse(c, r * 1.9, r * 1.9)
            p.setPen(QPen(QColor(Colors.accent), m.px(2)))
            p.setBrush(QColor(Colors.accent) if current else QColor(Colors.background) if pending
                       else QColor(Colors.accent_dim))
            p.drawEllipse(c, r, r)
            p.setFont(bold if current else font)
            p.setPen(QColor("#ffffff" if current else Colors.text_muted))
            fm = QFontMetricsF(bold if current else font)
            label = f"{year}" if current else labels.get(year, "")
            if not label:
                continue
            w = fm.horizontalAdvance(label)
            p.drawText(QRectF(c.x() - w / 2 - 4, ty + m.px(16), w + 8, fm.height()), Qt.AlignmentFlag.AlignCenter,
                       label)


def _round_pen(colour: str, width: float) -> QPen:
    return QPen(QColor(colour), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)


class TimelineBar(QFrame):
    """Play button, caption and the year slider, following the wall state's year and years."""

    def __init__(self, state: WallState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setObjectName("timeline")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.play_button = QPushButton("▶ 播放", objectName="playButton")
        self.play_button.setCheckable(True)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.play_button.setToolTip("按年度自动播放，展示脱贫进程")
        self.caption = QLabel("年度", objectName="timelineCaption")
        self.slider = YearSlider()
        lay = QHBoxLayout(self)
        lay.addWidget(self.play_button, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.caption, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.slider, 1)
        state.events.region.connect(self._refresh)
        self._refresh()

    def set_metrics(self, m: Metrics) -> None:
        self.slider.set_metrics(m)
        self.layout().setContentsMargins(m.px(16), m.px(6), m.px(16), m.px(6))
        self.layout().setSpacing(m.px(16))
        self.play_button.setMinimumSize(m.px(150), m.px(54))

    def set_playing(self, on: bool) -> None:
        self.play_button.setChecked(on)
        self.play_button.setText("❚❚ 暂停" if on else "▶ 播放")

    def _refresh(self, *_) -> None:
        self.slider.set_years(self.state.years, self.state.map.year)
        self.play_button.setEnabled(len(self.state.years) > 1)


class TimelinePlayer(QObject):
    """Tours the years: asks for the next one once the current has been on screen for `step_ms`
    and its data has arrived; stops at the last year, on an error, or when told."""

    playingChanged = Signal(bool)

    def __init__(self, state: WallState, request_year: Callable[[int], None], step_ms: int = STEP_MS,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.state = state
        self.request_year = request_year
        self._timer = QTimer(self, singleShot=True, interval=step_ms)
        self._timer.timeout.connect(self._on_dwelt)
        self._playing = False
        self._asked: int | None = None
        self._dwelt = False
        state.events.region.connect(self._on_region)
        state.events.error.connect(self._on_error)

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def step_ms(self) -> int:
        return self._timer.interval()

    @step_ms.setter
    def step_ms(self, ms: int) -> None:
        self._timer.setInterval(max(1, int(ms)))

    def play(self) -> None:
        years = self.state.years
        if self._playing or len(years) < 2:
            return
        self._set_playing(True)
        if self.state.map.year == years[-1]:
            self._ask(years[0])  # from the start: the whole story
        else:
            self._advance()

    def stop(self) -> None:
        self._timer.stop()
        self._asked = None
        self._set_playing(False)

    def toggle(self) -> None:
        self.stop() if self._playing else self.play()

    def _advance(self) -> None:
        years, year = self.state.years, self.state.map.year
        later = [y for y in years if year is None or y > year]
        if not later:
            self.stop()
            return
        self._ask(later[0])

    def _ask(self, year: int) -> None:
        self._asked, self._dwelt = year, False
        self._timer.start()
        self.request_year(year)

    def _on_dwelt(self) -> None:
        self._dwelt = True
        self._maybe_step()

    def _on_region(self, *_) -> None:
        self._maybe_step()

    def _maybe_step(self) -> None:
        if not self._playing or not self._dwelt or self.state.map.year != self._asked:
            return
        if self.state.map.year == self.state.years[-1]:
            self.stop()
        else:
            self._advance()

    def _on_error(self, message: str | None) -> None:
        if message and self._playing:
            self.stop()

    def _set_playing(self, on: bool) -> None:
        if on != self._playing:
            self._playing = on
            self.playingChanged.emit(on)
