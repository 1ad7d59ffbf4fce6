"""Cameras on the wall: the map layer (a camera glyph per camera, coloured by its health) and the 监控 view."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.layers.data import CameraPoint
from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["CamerasLayer", "MonitorView", "HEALTH_COLOURS", "health_text", "health_colour"]

# Map marker colours by health. Deliberately not the tiles' own palette: on the map red must mean
# "no picture at all" and amber "the picture froze", the way a duty officer reads a status board.
HEALTH_COLOURS = {
    "live": "#3ddc84",
    "stalled": "#ffb020",
    "down": "#ff4d4f",
    "blocked": "#8a96a8",
    "unknown": "#9fc3ec",  # nobody is watching it: the API's status only (online); drawn hollow
}
HEALTH_ZH = {"live": "直播", "stalled": "信号中断", "down": "无信号", "blocked": "地址不允许", "unknown": "在线（未观看）"}
LEGEND = (("live", "直播"), ("stalled", "信号中断"), ("down", "无信号"), ("blocked", "不允许"), ("unknown", "未观看"))


def health_colour(state: str) -> str:
    return HEALTH_COLOURS.get(state, HEALTH_COLOURS["unknown"])


def health_text(state: str, status: str = "") -> str:
    if state == "unknown" and status == "offline":
        return "离线"
    return HEALTH_ZH.get(state, HEALTH_ZH["unknown"])


class CamerasLayer(Overlay):
    """A glyph per camera. Cameras of one site (a project's gate and greenhouses, metres apart) sit in
    a row beside the site's project marker rather than on top of it, so both stay readable and clickable."""

    above_county = False  # a marker each: a province's map would be covered
    name = "cameras"
    title_zh = "摄像头"

    def __init__(self) -> None:
        super().__init__()
        self.cameras: list[CameraPoint] = []
        self.health: dict[int, str] = {}
        self.projects = None  # the ProjectsLayer, to step aside from its markers
        self._rects: dict[int, QRectF] = {}

    def set_data(self, region: str, cameras: list[CameraPoint]) -> None:
        self.region, self.cameras = region, list(cameras)
        self.changed()

    def set_health(self, camera_id: int, state: str) -> None:
        if self.health.get(camera_id) != state:
            self.health[camera_id] = state
            if any(c.id == camera_id for c in self.cameras):
                self.changed()

    def set_health_all(self, states: dict[int, str]) -> None:
        if states != self.health:
            self.health = dict(states)
            self.changed()

    def state(self, camera_id: int) -> str:
        return self.health.get(camera_id, "unknown")

    def position(self, camera_id: int) -> QPointF | None:
        """Widget position of a camera's glyph centre (tests, tours)."""
        r = self._rects.get(camera_id)
        return r.center() if r is not None else None

    def glyph_rect(self, camera_id: int) -> QRectF | None:
        r = self._rects.get(camera_id)
        return QRectF(r) if r is not None else None

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        m = view.metrics
        few = len(self.cameras) <= 12  # a town's handful: bigger glyphs than the county's dozens
        w, h, gap = float(m.px(20 if few else 15)), float(m.px(14 if few else 10)), float(m.px(2))
        groups: list[tuple[QPointF, list[CameraPoint]]] = []
        for cam in sorted(self.cameras, key=lambda c: c.id):
            at = view.project(cam.lon, cam.lat)
            near = next((g for g in groups if (g[0] - at).manhattanLength() < w and
                         (not cam.site or g[1][0].site == cam.site)), None)
            if near is None:
                groups.append((at, [cam]))
            else:
                near[1].append(cam)
        reach = self._project_reach(view)
        self._rects = {}
        for at, cams in groups:
            step = self._beside_project(at, reach)
            if step is not None:  # upper right of the project marker, clear of its ring
                x0, cy = at.x() + step * 0.72, at.y() - step * 0.72 - h / 2
            else:
                x0, cy = at.x() - (len(cams) * (w + gap) - gap) / 2, at.y()
            for i, cam in enumerate(cams):
                self._rects[cam.id] = QRectF(x0 + i * (w + gap), cy - h / 2, w, h)

    def _project_reach(self, view: MapView) -> float:
        pl = self.projects
        if pl is None or not pl.active(view):
            return 0.0
        pl.ensure_layout(view)
        return pl.reach()

    def _beside_project(self, at: QPointF, reach: float) -> float | None:
        pl = self.projects
        if not reach or pl is None:
            return None
        for proj in pl.projects:
            pos = pl.position(proj.id)
            if pos is not None and (pos - at).manhattanLength() < reach * 1.5:
                return reach + 2.0
        return None

    def obstacles(self) -> list[QRectF]:
        return [r.adjusted(-2, -2, 2, 2) for r in self._rects.values()]

    def paint_static(self, p: QPainter, view: MapView) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = max(1.0, view.metrics.px(1.5))
        for cam in self.cameras:
            r = self._rects.get(cam.id)
            if r is None:
                continue
            state = self.state(cam.id)
            paint_camera_glyph(p, r, QColor(health_colour(state)), outline, hollow=state == "unknown")
        p.restore()

    def hit(self, pos: QPointF):
        for cam in reversed(self.cameras):
            r = self._rects.get(cam.id)
            if r is not None and r.adjusted(-3, -3, 3, 3).contains(pos):
                return cam
        return None

    def tooltip(self, item) -> str:
        if not isinstance(item, CameraPoint):
            return ""
        return f"{item.name}\n{health_text(self.state(item.id), item.status)}\n点击全屏观看"

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for cam in self.cameras:
            s = self.state(cam.id)
            out[s] = out.get(s, 0) + 1
        return out


def paint_camera_glyph(p: QPainter, r: QRectF, fill: QColor, outline: float, hollow: bool = False) -> None:
    """A video camera: a rounded body and a lens cone on its right, on a dark backing so it reads on any
    class colour. `hollow`: outlined only, for a camera nobody watches (its health is not known)."""
    body = QRectF(r.left(), r.top(), r.width() * 0.66, r.height())
    cone = QPolygonF([QPointF(body.right() + r.width() * 0.02, r.center().y()),
                      QPointF(r.right(), r.top() + r.height() * 0.12),
                      QPointF(r.right(), r.bottom() - r.height() * 0.12)])
    path = QPainterPath()
    path.addRoundedRect(body, r.height() * 0.22, r.height() * 0.22)
    path.addPolygon(cone)
    path.closeSubpath()
    p.setPen(QPen(QColor(2, 6, 13, 235), outline * 2.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)  # the dark backing: a wide stroke under the fill
    if hollow:
        p.setPen(QPen(fill, outline, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        p.setBrush(QColor("#0b1526"))
    else:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
    p.drawPath(path)


class MonitorView(QFrame):
    """The 监控 view that takes the map's place: a title, a 返回地图 button and the region's CameraWall (set by the wall)."""

    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("monitorView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.metrics: Metrics = metrics_for_height(1080)
        self.title = QLabel("监控", objectName="monitorTitle")
        self.summary = QLabel(objectName="monitorSummary")
        self.back_button = QPushButton("◀ 返回地图", objectName="monitorBack")
        self.back_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_button.clicked.connect(self.backRequested)
        self.wall: QWidget | None = None
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.summary)
        head.addStretch(1)
        head.addWidget(self.back_button)
        self._lay = QVBoxLayout(self)
        # The map's room is all it gets: a window never grows for the grid's tiles (they shrink instead).
        self._lay.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self._lay.addLayout(head)
        self.set_metrics(self.metrics)

    def set_wall(self, wall: QWidget) -> None:
        self.wall = wall
        self._lay.addWidget(wall, 1)

    def set_title(self, region_name: str, count: int, counts: dict[str, int]) -> None:
        self.title.setText(f"监控 · {region_name}" if region_name else "监控")
        bits = [f"共 {count} 路"]
        for state, label in (("live", "直播"), ("stalled", "信号中断"), ("down", "无信号"), ("blocked", "地址不允许")):
            if counts.get(state):
                bits.append(f"{label} {counts[state]}")
        self.summary.setText("　".join(bits))

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self._lay.setContentsMargins(m.px(12), m.px(8), m.px(12), m.px(12))
        self._lay.setSpacing(m.px(8))
        self.setStyleSheet(
            f"#monitorView {{ background: {Colors.background}; border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(6)}px; }}"
            f"#monitorTitle {{ color: {Colors.text}; font-size: {m.px(24)}px; font-weight: bold; }}"
            f"#monitorSummary {{ color: {Colors.text_muted}; font-size: {m.px(17)}px; padding-left: {m.px(12)}px; }}"
            f"#monitorBack {{ color: #02101f; background: {Colors.accent}; border: none; border-radius: {m.px(4)}px;"
            f" font-size: {m.px(18)}px; font-weight: bold; padding: {m.px(6)}px {m.px(16)}px; }}"
            # the grid's own pager and 2×2/3×3 buttons; the tiles size their text themselves
            f"#cameraWall > QPushButton {{ font-size: {m.px(16)}px; min-height: {m.px(30)}px; }}"
            f"#cameraWall > QLabel {{ font-size: {m.px(16)}px; }}")
