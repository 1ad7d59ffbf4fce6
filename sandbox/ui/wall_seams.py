"""Applies a WallPlan to the wall window: column widths in whole panels, the modules beside the map
(a live camera grid, the fund chain) and seam fitting, so no text straddles a video wall's seam."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QSpacerItem,
    QVBoxLayout,
    QWidget,
)

from sandbox.ui.theme import Metrics, metrics_for_height
from sandbox.ui.wall_beside import BesideCameras
from sandbox.ui.wall_layout import DisplaySpec, WallPlan, plan_wall

__all__ = ["WallArranger", "text_boxes", "fit_box", "fit_strip", "nudge_label", "squeezed"]

log = logging.getLogger(__name__)
_FIT_PASSES = 120  # each move is one pass; a pull halves what overlaps each time
# Content too tall for its panel rows (a module taller than a row, or more modules than the rows hold once
# each keeps off the seams) is drawn smaller, a step at a time, rather than cut or laid across a seam.
_SHRINK_STEP, _SHRINK_FLOOR = 0.04, 0.8


def _window_rect(w: QWidget, window: QWidget, rect: QRect | None = None) -> QRect:
    r = rect if rect is not None else w.rect()
    return QRect(w.mapTo(window, r.topLeft()), r.size())


def _label_text_rect(label: QLabel) -> QRect:
    """Where a one-line label's text is drawn (alignment and margins considered); a wrapped label: all of it."""
    cr = label.contentsRect()
    text = label.text()
    if label.wordWrap() or "\n" in text or not text or label.textFormat() == Qt.TextFormat.RichText:
        return cr
    fm = label.fontMetrics()
    tw, th = min(cr.width(), fm.horizontalAdvance(text)), min(cr.height(), fm.height())
    a = label.alignment()
    if a & Qt.AlignmentFlag.AlignRight:
        x = cr.right() + 1 - tw
    elif a & Qt.AlignmentFlag.AlignHCenter:
        x = cr.left() + (cr.width() - tw) // 2
    else:
        x = cr.left()
    if a & Qt.AlignmentFlag.AlignBottom:
        y = cr.bottom() + 1 - th
    elif a & Qt.AlignmentFlag.AlignVCenter:
        y = cr.top() + (cr.height() - th) // 2
    else:
        y = cr.top()
    return QRect(x, y, tw, th)


def _visible_in(w: QWidget, window: QWidget) -> bool:
    return w.isVisibleTo(window) and w.width() > 0 and w.height() > 0


def text_boxes(window: QWidget, painted: tuple[type, ...] = ()) -> list[tuple[QWidget, QRect]]:
    """Every place the window shows text, in window coordinates: each label's drawn text, each text
    button, and the whole of each widget of the `painted` types (widgets that paint their own text).
    The map canvas is a picture and is left out, except the controls on it."""
    from sandbox.ui.map_canvas import MapCanvas

    out = []
    for w in window.findChildren(QWidget):
        if not _visible_in(w, window):
            continue
        if isinstance(w, QLabel):
            if w.text().strip() and not any(isinstance(p, painted) for p in _parents(w, window)):
                out.append((w, _window_rect(w, window, _label_text_rect(w))))
        elif isinstance(w, QAbstractButton):
            if w.text().strip():
                out.append((w, _window_rect(w, window)))
        elif painted and isinstance(w, painted) and not isinstance(w, MapCanvas):
            out.append((w, _window_rect(w, window)))
    return out


def _parents(w: QWidget, stop: QWidget):
    p = w.parentWidget()
    while p is not None and p is not stop:
        yield p
        p = p.parentWidget()


class _SeamSpacer(QSpacerItem):
    """A gap put in a box layout to move the next item off a seam (removed before each new fit)."""


def _clear_spacers(lay: QBoxLayout) -> None:
    for i in reversed(range(lay.count())):
        item = lay.itemAt(i)
        if isinstance(item, _SeamSpacer):
            lay.takeAt(i)


def fit_box(lay: QBoxLayout, window: QWidget, bands: tuple[tuple[float, float], ...], passes: int = _FIT_PASSES) -> bool:
    """Move each item of `lay` that crosses a seam band (along the layout's direction) off it with a
    spacer: before it (pushed past the band), or after it when it stretches and lies mostly before the
    band (it ends before the band); the stretchable items give up the room. True if nothing straddles."""
    host = lay.parentWidget()
    _clear_spacers(lay)
    if not bands or host is None:
        return True
    horizontal = lay.direction() in (QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.RightToLeft)
    pulls: dict[int, int] = {}
    for _ in range(passes):
        lay.activate()
        lay.setGeometry(lay.geometry())  # lays the items out now, not at the next event-loop turn
        moved = False
        for i in range(lay.count()):
            item = lay.itemAt(i)
            if isinstance(item, (_SeamSpacer,)) or item.isEmpty():
                continue
            g = item.geometry()
            if g.isEmpty() or (item.widget() is not None and item.widget().isHidden()):
                continue
            if item.widget() is not None and item.widget().property("seamSafe"):
                continue  # it keeps its own content off the seams (BesideCameras)
            o = host.mapTo(window, QPoint(0, 0))
            a, b = (o.x() + g.left(), o.x() + g.right() + 1) if horizontal else (o.y() + g.top(), o.y() + g.bottom() + 1)
            band = next(((lo, hi) for lo, hi in bands if a < hi and b > lo), None)
            if band is None:
                continue
            lo, hi = band
            stretchy = lay.stretch(i) > 0 and (lo - a) > (b - hi) and pulls.get(i, 0) < 30
            if stretchy:  # mostly before the band and able to give: end it before the band instead
                pulls[i] = pulls.get(i, 0) + 1
                at, size = i + 1, int(b - lo + 1)
            else:
                at, size = i, int(hi - a + 1)
            prev = lay.itemAt(at - 1) if at > 0 and not stretchy else lay.itemAt(at) if stretchy else None
            if isinstance(prev, _SeamSpacer):
                size += prev.sizeHint().width() if horizontal else prev.sizeHint().height()
                prev.changeSize(*((size, 0) if horizontal else (0, size)), QSizePolicy.Policy.Fixed,
                                QSizePolicy.Policy.Fixed)
            else:
                sp = _SeamSpacer(*((size, 0) if horizontal else (0, size)), QSizePolicy.Policy.Fixed,
                                 QSizePolicy.Policy.Fixed)
                lay.insertItem(at, sp)
            lay.invalidate()
            moved = True
            break
        if not moved:
            return True
    return False


def squeezed(lay: QBoxLayout) -> bool:
    """Whether the layout gives a shown widget less height than it needs (its content would be cut; a
    widget not laid out yet has none)."""
    for i in range(lay.count()):
        w = lay.itemAt(i).widget()
        if w is not None and not w.isHidden() and 0 < w.height() < w.minimumSizeHint().height() - 1:
            return True
    return False


def fit_strip(lay: QBoxLayout, window: QWidget, bands: tuple[tuple[float, float], ...], inner: int) -> bool:
    """A row of cards across seams (the KPI strip): the cards are shared out over the panels, the first
    panels taking one more when they do not divide evenly, each card a fixed share of its panel."""
    host = lay.parentWidget()
    _clear_spacers(lay)
    items = [lay.itemAt(i).widget() for i in range(lay.count())]
    items = [w for w in items if w is not None and not w.isHidden()]
    for w in items:
        w.setMinimumWidth(0)
        w.setMaximumWidth(16777215)
    if not bands or host is None or not items:
        return True
    ox = host.mapTo(window, QPoint(0, 0)).x()
    edges = [(ox, None)] + [(lo, hi) for lo, hi in sorted(bands) if ox < lo < ox + host.width()] + [(None, ox + host.width())]
    units = [(edges[i][1] if edges[i][1] is not None else edges[i][0], edges[i + 1][0] if edges[i + 1][0] is not None
              else edges[i + 1][1]) for i in range(len(edges) - 1)]
    n, u = len(items), len(units)
    counts = [n // u + (1 if k < n % u else 0) for k in range(u)]
    lay.setSpacing(0)
    k, pos, at = 0, ox, 0
    for (x0, x1), c in zip(units, counts):
        if c == 0:
            continue
        lead = int(round(x0 - pos))
        if lead > 0:
            lay.insertItem(at, _SeamSpacer(lead, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed))
            at += 1
        width = (x1 - x0 - (c - 1) * inner) / c
        for j in range(c):
            items[k].setFixedWidth(int(width))
            at = lay.indexOf(items[k]) + 1
            if j < c - 1:
                lay.insertItem(at, _SeamSpacer(inner, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed))
                at += 1
            k += 1
        pos = x0 + c * int(width) + (c - 1) * inner
    lay.activate()
    return True


def nudge_label(label: QLabel, window: QWidget, bands: tuple[tuple[float, float], ...]) -> None:
    """Move a one-line label's text off a seam band, by margins, to the side where most of it is."""
    label.setContentsMargins(0, 0, 0, 0)
    if not bands or not _visible_in(label, window):
        return
    r = _window_rect(label, window, _label_text_rect(label))
    a, b = r.left(), r.right() + 1
    band = next(((lo, hi) for lo, hi in bands if a < hi and b > lo), None)
    if band is None:
        return
    lo, hi = band
    # right of the band when most of the text is there (or there is no room on the left), else left
    go_right = (b - hi) >= (lo - a) or (lo - _window_rect(label, window).left()) < (b - a)
    shift = int(hi - a + 1) if go_right else -int(b - lo + 1)
    centred = bool(label.alignment() & Qt.AlignmentFlag.AlignHCenter)
    if shift > 0:
        label.setContentsMargins(2 * shift if centred else shift, 0, 0, 0)
    else:
        label.setContentsMargins(0, 0, -2 * shift if centred else -shift, 0)


class WallArranger(QObject):
    """Owns the wall's layout on a video wall: called by the window on every resize (column widths)
    and after data changes what the columns hold (seam fitting, on the next event-loop turn)."""

    def __init__(self, win, spec: DisplaySpec | None) -> None:
        super().__init__(win)
        self.win = win
        self.spec = spec or DisplaySpec()
        self.plan: WallPlan | None = None
        self.cameras: BesideCameras | None = None
        self._host: QFrame | None = None  # the column(s) beside the map
        self._stacks: list[QFrame] = []  # one per plan column of modules
        self._shape: tuple = ()
        self._shrink, self._shrunk_for = 1.0, None  # the content's scale on these panel rows, for a size
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self.fit)
        win.dataApplied.connect(self.schedule_fit)  # new figures, new text widths and heights
        win.layersApplied.connect(self.schedule_fit)

    # -- columns --------------------------------------------------------------------------------------
    def size_columns(self) -> bool:
        """Size the columns for the window's size; False: the plan leaves it to the standard fractions."""
        win = self.win
        pad = win.metrics.px(16) if win.metrics is not None else 16
        plan = self.plan = plan_wall(win.width(), win.height(), self.spec, pad)
        self._show_modules(plan)
        self.schedule_fit()
        if plan.columns is None:
            return False
        body = win._body_host.layout()
        first, last = plan.columns[0], plan.columns[-1]
        body.setContentsMargins(int(first.x0), pad, int(win.width() - last.x1), pad)
        body.setSpacing(int(plan.gap))
        win.panels.setFixedWidth(int(plan.column("panels").width))
        win.side.setFixedWidth(int(plan.column("side").width))
        if self._host is not None and self._host.isVisibleTo(win):
            self._host.setFixedWidth(int(self._beside_width(plan)))
        return True

    def _beside_width(self, plan: WallPlan) -> float:
        cols = [c for c in plan.columns or () if c.modules]
        return (cols[-1].x1 - cols[0].x0) if cols else 0.0

    def _show_modules(self, plan: WallPlan) -> None:
        """The modules beside the map: one host column, its modules side by side (each in its own panels)
        or stacked (sharing one panel column)."""
        win = self.win
        cols = [c for c in plan.columns or () if c.modules] if win.layers_enabled else []
        body = win._body_host.layout()
        if cols and self._host is None:
            self._host = QFrame(objectName="besideMap")
            QHBoxLayout(self._host).setContentsMargins(0, 0, 0, 0)
            body.insertWidget(body.indexOf(win.side), self._host, 0)
        if self._host is None:
            return
        key = tuple((c.name, round(c.width)) for c in cols)
        if key != self._shape:
            self._shape = key
            self._place_modules(plan, cols)
        self._host.setVisible(bool(cols))

    def _place_modules(self, plan: WallPlan, cols: list) -> None:
        win = self.win
        fp = win.fund_panel
        host_lay = self._host.layout()
        host_lay.setSpacing(int(plan.gap))
        for stack in self._stacks:  # take the modules out of the old stacks
            for w in (self.cameras, fp):
                if w is not None and w.parentWidget() is stack:
                    stack.layout().removeWidget(w)
                    w.setParent(None)
            host_lay.removeWidget(stack)
            stack.deleteLater()
        self._stacks = []
        funds_here = any("funds" in c.modules for c in cols)
        if not funds_here and fp.parentWidget() is not win.side:
            win.add_side_panel(fp, 1)
        for c in cols:
            stack = QFrame()
            lay = QVBoxLayout(stack)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(int(plan.gap))
            stack.setFixedWidth(int(c.width))
            for m in c.modules:
                if m == "cameras":
                    if self.cameras is None:
                        self.cameras = BesideCameras(win._beside_tile, win._open_full)
                        win.layersApplied.connect(self.refresh_cameras)
                    self.cameras.set_bands(plan.bands_x, plan.bands_y, 3 if len(c.modules) == 1 else 1)
                    lay.addWidget(self.cameras, 1)
                    self.cameras.show()
                elif m == "funds":
                    if fp.parentWidget() is win.side:
                        win.side_column.removeWidget(fp)
                    lay.addWidget(fp, 0 if "cameras" in c.modules else 1)
            host_lay.addWidget(stack, 0)
            self._stacks.append(stack)
        self.refresh_cameras()

    @property
    def funds_beside(self) -> bool:
        return self._host is not None and not self._host.isHidden() and \
            any(self.win.fund_panel.parentWidget() is s for s in self._stacks)

    def refresh_cameras(self) -> None:
        if self.cameras is not None:
            self.cameras.set_cameras(self.win._region_cameras())

    # -- seams ----------------------------------------------------------------------------------------
    def schedule_fit(self) -> None:
        if self.plan is not None and self.plan.seamed:
            self._fit_timer.start()

    def metrics_for(self, m: Metrics) -> Metrics:
        """The window's metrics on this wall: `m` (from its height), smaller while the content needs it
        to fit between the panel rows' seams (reset when the window's size changes)."""
        key = (self.win.width(), self.win.height())
        if key != self._shrunk_for:
            self._shrink, self._shrunk_for = 1.0, key
        return m if self._shrink == 1.0 else Metrics(round(m.scale * self._shrink, 3))

    def fit(self) -> bool:
        """Move every text block off the seams, the content drawn smaller (a step at a time, down to
        _SHRINK_FLOOR) while the panel rows cannot hold it whole; True if none straddles (False: logged)."""
        plan, win = self.plan, self.win
        if plan is None or not plan.seamed:
            return True
        ok = self._fit_once()
        # only with figures on screen (the placeholders before them say nothing of the content's height)
        settled = win.isVisible() and win.state.has_data and not win.panels.trend.busy
        while not ok and plan.bands_y and settled and self._shrink - _SHRINK_STEP >= _SHRINK_FLOOR - 1e-6:
            self.metrics_for(win.metrics)  # (the step starts again at 1 if the window's size changed)
            self._shrink = round(self._shrink - _SHRINK_STEP, 3)
            win._apply_metrics(self.metrics_for(metrics_for_height(win.height())))
            win._size_columns()  # the plan again: its margins and gaps follow the metrics
            plan = self.plan
            for lay in self._vertical_layouts():
                _clear_spacers(lay)
            # the new sizes laid out now, top-down (the pending layout requests), before the next fit
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            win.layout().activate()
            ok = self._fit_once()
        if not ok:
            log.info("wall layout: some text still crosses a seam at %dx%d", win.width(), win.height())
        return ok

    def _fit_once(self) -> bool:
        plan, win = self.plan, self.win
        ok = True
        for lab in win.header.findChildren(QLabel):
            lab.setContentsMargins(0, 0, 0, 0)
        ok &= fit_strip(win.kpis.layout(), win, plan.bands_x, win.metrics.px(10) if win.metrics else 10)
        for lay in self._vertical_layouts():
            ok &= fit_box(lay, win, plan.bands_y)
        summary = win.summary
        if plan.bands_y and summary.isVisibleTo(win) and summary.height() < summary.minimumSizeHint().height():
            # broken at a seam, the side column has no room left for the summary (it repeats the KPI
            # strip and is the first to give way): the legend keeps all its rows
            summary.hide()
            ok &= fit_box(win.side_column, win, plan.bands_y)
        if plan.bands_y:  # kept off the seams by squeezing a module of labels below its text: it would be cut
            ok &= not squeezed(win.side_column)  # (the panels paint their content into the height they get)
            # a label inside a module (a legend row) can still lie across a seam the module's own box
            # fitting did not see: judged as a viewer would, by where each label's text is drawn
            side = win.side_column.parentWidget()
            ok &= not any(plan.straddles(r.left(), r.top(), r.right() + 1, r.bottom() + 1)
                          for w, r in text_boxes(win) if side is not None and side.isAncestorOf(w))
        if self.cameras is not None and self.cameras.isVisibleTo(win):
            self.cameras.relayout()  # whole tiles in each panel
        for lab in win.header.findChildren(QLabel):
            nudge_label(lab, win, plan.bands_x)
        return ok

    def _vertical_layouts(self) -> list[QLayout]:
        win = self.win
        out = [win.panels.layout(), win.side_column]
        for w in (win.legend, win.summary, win.fund_panel, win.village_panel):
            if isinstance(w.layout(), QBoxLayout) and w.isVisibleTo(win):
                out.append(w.layout())
        out += [st.layout() for st in self._stacks if not st.isHidden()]
        return out
