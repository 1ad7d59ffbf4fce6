"""Fund-flow layer: animated flows county → town → project, width by amount, colour by stage, anomalies marked."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF

from sandbox.ui.layers.base import MapView, Overlay, dot_sprite, paint_warning
from sandbox.ui.layers.data import FUND_STAGES
from sandbox.ui.theme import ui_font

__all__ = ["FundFlowLayer", "Flow", "STAGE_COLOURS", "flow_stage", "FPS", "PHASES"]

# Cool hues and white, never green-yellow-red: a flow must stand out on every class of the choropleth.
STAGE_COLOURS = {"allocated": "#5b7cff", "arrived": "#33d6ff", "filed": "#b38cff",
                 "reimbursed": "#ff8fd8", "paid": "#f4f8ff"}
FPS = 30
PHASES = 30  # precomputed dot positions per cycle: a frame only blits
CYCLE_S = 1.2  # a dot moves one spacing in this time


def flow_stage(amounts: dict) -> str:
    """Where most of the money is: the furthest stage holding at least half of what was allocated."""
    allocated = float(amounts.get("allocated") or 0)
    stage = "allocated"
    if allocated <= 0:
        return stage
    for key, _ in FUND_STAGES:
        if float(amounts.get(key) or 0) >= 0.5 * allocated:
            stage = key
    return stage


@dataclass
class Flow:
    target: str  # region code, or "project:<id>"
    name: str
    amount: float  # allocated (下达)
    stage: str
    anomalies: int
    path: QPainterPath = field(default_factory=QPainterPath)
    width: float = 1.0
    end: QPointF = field(default_factory=QPointF)
    head: QPolygonF = field(default_factory=QPolygonF)


class FundFlowLayer(Overlay):
    name = "funds"
    title_zh = "资金流"

    def __init__(self) -> None:
        super().__init__()
        self.chain: dict = {}
        self.projects = None  # the ProjectsLayer: a town's flows end at its markers
        self.flows: list[Flow] = []
        self.origin = QPointF()
        self._node_r = 17.0
        self.origin_label = "县"
        self._frames: list[list[tuple[QPointF, QImage]] | None] = []
        self._dot_runs: list[tuple] = []  # per flow: arc sampler, length, dot spacing, sprite, half size
        self._rect = QRectF()
        self._glyphs: list[tuple[QRectF, dict]] = []  # warning glyphs and what they mark
        self.paused = False  # tests and screenshots: a still frame

    def set_data(self, region: str, chain: dict) -> None:
        self.region, self.chain = region, dict(chain or {})
        self.changed()

    def layout_key(self, view: MapView) -> tuple:
        return (*super().layout_key(view), self.projects.version if self.projects is not None else None)

    def project_pos(self, pid: int) -> QPointF | None:
        return self.projects.position(pid) if self.projects is not None else None

    @property
    def project_reach(self) -> float:
        return self.projects.reach() if self.projects is not None else 12.0

    def anomalies(self) -> list[dict]:
        return [a for a in self.chain.get("anomalies") or [] if isinstance(a, dict)]

    # -- layout --------------------------------------------------------------------------------
    def _targets(self, view: MapView) -> list[Flow]:
        out: list[Flow] = []
        regions = [r for r in self.chain.get("regions") or [] if isinstance(r, dict)]
        if view.child_level == "village":
            # A town: the money goes to its projects (their markers), not to the villages' labels.
            for pr in self.chain.get("projects") or []:
                amounts = pr.get("amounts") or {}
                out.append(Flow(f"project:{pr.get('project_id')}", str(pr.get("name") or ""),
                                float(amounts.get("allocated") or 0), flow_stage(amounts),
                                len(pr.get("anomalies") or [])))
        else:
            for r in regions:
                amounts = r.get("amounts") or {}
                out.append(Flow(str(r.get("code")), str(r.get("name") or ""), float(amounts.get("allocated") or 0),
                                flow_stage(amounts), int(r.get("anomalies") or 0)))
        return [f for f in out if f.amount > 0]

    def _target_point(self, view: MapView, f: Flow) -> tuple[QPointF | None, float, QRectF | None]:
        """(point, stop short by, label rectangle to stop at)."""
        if f.target.startswith("project:"):
            pos = self.project_pos(int(f.target.split(":")[1]))
            return pos, self.project_reach + 2, None
        anchor = view.anchors.get(f.target)
        return anchor, 0.0, view.label_rects.get(f.target)

    def _place_origin(self, view: MapView) -> QPointF:
        """The sending node: the centre of the level, moved off any label it would cover."""
        pts = list(view.anchors.values())
        if not pts:
            return QPointF(view.width / 2, view.height / 2)
        cx = sum(p.x() for p in pts) / len(pts)
        cy = sum(p.y() for p in pts) / len(pts)
        r = view.metrics.px(18)
        rects = [q.adjusted(-r, -r, r, r) for q in view.label_rects.values()]
        step = view.metrics.px(14)
        for k in range(0, 40):
            ang = k * 2.4  # a golden-angle spiral: tries every direction as it widens
            rad = step * math.sqrt(k)
            c = QPointF(cx + rad * math.cos(ang), cy + rad * math.sin(ang))
            if not any(q.contains(c) for q in rects):
                return c
        return QPointF(cx, cy)

    def layout(self, view: MapView) -> None:
        m = view.metrics
        if self.projects is not None:
            self.projects.ensure_layout(view)
        self.origin_label = {"village": "镇", "town": "县", "county": "市", "prefecture": "省"}.get(view.child_level, "县")
        self.origin = self._place_origin(view)
        self._node_r = float(m.px(17))  # the sending node's radius (painted in paint_static)
        flows = self._targets(view)
        big = max((f.amount for f in flows), default=1.0) or 1.0
        wmin, wmax = m.px(2.5), m.px(11)
        self.flows, self._glyphs = [], []
        rect = QRectF(self.origin, self.origin).adjusted(-m.px(24), -m.px(24), m.px(24), m.px(24))
        for i, f in enumerate(sorted(flows, key=lambda f: -f.amount)):
            end, short, label = self._target_point(view, f)
            if end is None:
                continue
            f.width = wmin + (wmax - wmin) * math.sqrt(f.amount / big)
            f.path, f.end, f.head = _curve(self.origin, end, short, label, f.width, m.px(6), i)
            if f.path.isEmpty():
                continue
            self.flows.append(f)
            rect = rect.united(f.path.boundingRect())
        reach = wmax + m.px(6)
        self._rect = rect.adjusted(-reach, -reach, reach, reach)
        self._build_frames(view)
        self._place_glyphs(view)

    def obstacles(self) -> list[QRectF]:
        """The warning glyphs and the sending node (the flow lines themselves the chips may cross)."""
        r = self._node_r + 2.0
        node = [QRectF(self.origin.x() - r, self.origin.y() - r, 2 * r, 2 * r)] if self.flows else []
        return [QRectF(box) for box, _ in self._glyphs] + node

    def _build_frames(self, view: MapView) -> None:
        """Where each flow's dots go, per phase of the cycle: a phase's positions are worked out the
        first time it is shown (a layout then costs one flattening per flow, not every dot of 30 frames)."""
        m, dpr = view.metrics, view.dpr
        spacing = float(m.px(34))
        self._frames = [None] * PHASES
        self._dot_runs = []
        for f in self.flows:
            length = f.path.length()
            if length < spacing:
                continue
            colour = QColor(STAGE_COLOURS.get(f.stage, "#ffffff")).lighter(150)
            sprite = dot_sprite(colour, max(m.px(2), f.width * 0.42), dpr)
            self._dot_runs.append((_arc_sampler(f.path), length, spacing, sprite, sprite.width() / dpr / 2.0))

    def dots_per_frame(self) -> int:
        """The most flow dots one animation frame draws."""
        return max((len(self._frame(k)) for k in range(len(self._frames))), default=0)

    def _frame(self, k: int) -> list[tuple[QPointF, QImage]]:
        frame = self._frames[k]
        if frame is None:
            frame = self._frames[k] = []
            for at, length, spacing, sprite, half in self._dot_runs:
                off = spacing * k / PHASES
                for j in range(int(length // spacing)):
                    s = off + j * spacing
                    if s > length:
                        break
                    x, y = at(s)
                    frame.append((QPointF(x - half, y - half), sprite))
        return frame

    def _place_glyphs(self, view: MapView) -> None:
        size = float(view.metrics.px(22))
        by_project = {}
        for a in self.anomalies():
            by_project.setdefault(a.get("project_id"), []).append(a)
        for f in self.flows:
            if not f.anomalies:
                continue
            if f.target.startswith("project:"):
                pid = int(f.target.split(":")[1])
                items = by_project.get(pid, [])
                c = QPointF(f.end.x(), f.end.y())
                pos = self.project_pos(pid)
                if pos is not None:
                    c = QPointF(pos.x() + self.project_reach + size * 0.3, pos.y() - self.project_reach - size * 0.2)
            else:
                items = [a for a in self.anomalies() if str(a.get("region_code", "")).startswith(f.target[:9])]
                lr = view.label_rects.get(f.target)
                anchor = view.anchors.get(f.target) or f.end
                c = QPointF(lr.right() + size * 0.6, lr.top() + size * 0.5) if lr is not None else \
                    QPointF(anchor.x() + size, anchor.y() - size)
            box = QRectF(c.x() - size * 0.6, c.y() - size / 2, size * 1.2, size)
            self._glyphs.append((box, {"target": f.target, "name": f.name, "count": f.anomalies, "items": items}))

    # -- painting ------------------------------------------------------------------------------
    def paint_static(self, p: QPainter, view: MapView) -> None:
        m = view.metrics
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for f in reversed(self.flows):  # thin ones over thick ones
            colour = QColor(STAGE_COLOURS.get(f.stage, "#ffffff"))
            under = QColor("#02060d")
            under.setAlpha(210)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(under, f.width + m.px(2.5), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawPath(f.path)
            colour.setAlpha(175)
            p.setPen(QPen(colour, f.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawPath(f.path)
            colour.setAlpha(235)
            p.setPen(QPen(QColor("#02060d"), m.px(1)))
            p.setBrush(colour)
            p.drawPolygon(f.head)
        # the sending node
        r = self._node_r
        p.setPen(QPen(QColor("#ffe08a"), m.px(2.5)))
        p.setBrush(QColor(2, 6, 13, 230))
        p.drawEllipse(self.origin, r, r)
        p.setPen(QColor("#ffe08a"))
        p.setFont(ui_font(m.px(17), bold=True))
        p.drawText(QRectF(self.origin.x() - r, self.origin.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter,
                   self.origin_label)
        for box, info in self._glyphs:
            paint_warning(p, box.center(), box.height(), info["count"])
        p.restore()

    def phase(self, now: float) -> int:
        return int((now % CYCLE_S) / CYCLE_S * PHASES) % PHASES

    def paint_frame(self, p: QPainter, view: MapView, now: float) -> None:
        if not self._frames:
            return
        for pos, sprite in self._frame(self.phase(now)):
            p.drawImage(pos, sprite)

    def animating(self, now: float) -> bool:
        return not self.paused and bool(self.flows)

    def frame_rect(self) -> QRectF:
        return QRectF(self._rect) if self.flows else QRectF()

    def hit(self, pos: QPointF):
        for box, info in self._glyphs:
            if box.adjusted(-4, -4, 4, 4).contains(pos):
                return info
        return None

    def glyphs(self) -> list[tuple[QRectF, dict]]:
        return [(QRectF(b), dict(i)) for b, i in self._glyphs]

    def tooltip(self, item) -> str:
        if not isinstance(item, dict):
            return ""
        return f"{item.get('name')}: 资金链异常 {item.get('count')} 处 (点击查看说明)"


def _arc_sampler(path: QPainterPath):
    """`at(s)`: the point `s` pixels along `path` (its first subpath, as Qt flattens it for drawing).
    `percentAtLength` walks the whole curve on every call: ≈ 50 µs a dot, hundreds of dots a layout."""
    polys = path.toSubpathPolygons()
    pts = [(q.x(), q.y()) for q in polys[0]] if polys else [(0.0, 0.0)]
    cum = [0.0]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        cum.append(cum[-1] + math.hypot(x1 - x0, y1 - y0))

    def at(s: float) -> tuple[float, float]:
        i = min(max(bisect.bisect_right(cum, s), 1), len(pts) - 1) if len(pts) > 1 else 0
        if i == 0:
            return pts[0]
        seg = cum[i] - cum[i - 1]
        t = 0.0 if seg <= 0 else min(1.0, max(0.0, (s - cum[i - 1]) / seg))
        (x0, y0), (x1, y1) = pts[i - 1], pts[i]
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    return at


def _curve(a: QPointF, b: QPointF, short: float, label: QRectF | None, width: float, head: float,
           i: int) -> tuple[QPainterPath, QPointF, QPolygonF]:
    """A gentle arc from a to b, ending at the edge of b's label (or `short` px before b), with an
    arrow head; alternate flows bend to alternate sides so parallel ones do not merge."""
    dx, dy = b.x() - a.x(), b.y() - a.y()
    dist = math.hypot(dx, dy)
    if dist < 4:
        return QPainterPath(), b, QPolygonF()
    nx, ny = -dy / dist, dx / dist
    bend = 0.16 * dist * (1 if i % 2 == 0 else -1)
    ctrl = QPointF((a.x() + b.x()) / 2 + nx * bend, (a.y() + b.y()) / 2 + ny * bend)
    full = QPainterPath(a)
    full.quadTo(ctrl, b)
    # where to stop: leaving the label's box (padded), or `short` pixels before b
    t_end = 1.0
    length = full.length()
    if label is not None:
        box = label.adjusted(-4, -4, 4, 4)
        t = 1.0
        while t > 0.3 and box.contains(full.pointAtPercent(t)):
            t -= 0.01
        t_end = t
    if short > 0 and length > 0:
        t_end = min(t_end, full.percentAtLength(max(0.0, length - short)))
    end = full.pointAtPercent(t_end)
    # the trimmed quadratic, rebuilt exactly (de Casteljau) so dots stop where the line stops
    q0 = QPointF(a.x() + (ctrl.x() - a.x()) * t_end, a.y() + (ctrl.y() - a.y()) * t_end)
    ang = math.atan2(end.y() - q0.y(), end.x() - q0.x())
    hl = head + width * 1.1
    hw = head * 0.7 + width * 0.9
    tip = end
    base = QPointF(tip.x() - hl * math.cos(ang), tip.y() - hl * math.sin(ang))
    left = QPointF(base.x() + hw * math.sin(ang), base.y() - hw * math.cos(ang))
    right = QPointF(base.x() - hw * math.sin(ang), base.y() + hw * math.cos(ang))
    # the line stops at the head's base so its round cap never pokes through the tip
    line = QPainterPath(a)
    line.quadTo(q0, base)
    return line, end, QPolygonF([tip, left, right])
