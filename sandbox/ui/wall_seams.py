"""Applies a WallPlan to the wall window: column widths in whole panels, the modules beside the map
(a live camera grid, the fund chain) and seam fitting (wall_seams_fit), so no text straddles a seam."""

from __future__ import annotations

import logging
from collections import OrderedDict

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QLayout, QVBoxLayout

from sandbox.ui.theme import Metrics, metrics_for_height
from sandbox.ui.wall_beside import BesideCameras
from sandbox.ui.wall_layout import DisplaySpec, WallPlan, plan_wall
from sandbox.ui.wall_seams_fit import clear_spacers, fit_box, fit_strip, nudge_label, squeezed, text_boxes

__all__ = ["WallArranger"]

log = logging.getLogger(__name__)
# Content too tall for its panel rows (a module taller than a row, or more modules than the rows hold once
# each keeps off the seams) is drawn smaller, a step at a time, rather than cut or laid across a seam.
_SHRINK_STEP, _SHRINK_FLOOR = 0.04, 0.8
# The scales chosen for content seen lately. A key holds every label's text, so a label that keeps changing
# (a time, a live count) makes a new key at each fit: without a bound the wall would keep one per fit all
# day (≈ 100 strings each). A tour's loop shows a few dozen distinct contents at most.
CHOSEN_LIMIT = 48


def _in_seam_safe(w, window) -> bool:
    """Whether `w` lies in a module that keeps its own content off the seams (BesideCameras)."""
    p = w.parentWidget()
    while p is not None and p is not window:
        if p.property("seamSafe"):
            return True
        p = p.parentWidget()
    return False


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
        self._hid_summary = False  # a fit hid the summary (no room between the seams): the next fit starts with it
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self.fit)
        win.dataApplied.connect(self.schedule_fit)  # new figures, new text widths and heights
        win.layersApplied.connect(self.schedule_fit)
        # the trend arriving last: the fit before it could not shrink yet (content not settled), so it looks
        # again shortly (polled: the trend panel is made lazily, its signals do not exist yet)
        self._trend_timer = QTimer(self, singleShot=True, interval=250)
        self._trend_timer.timeout.connect(self.schedule_fit)
        self._chosen: OrderedDict[tuple, float] = OrderedDict()  # what the wall showed → its scale; newest last

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
        _SHRINK_FLOOR) while the panel rows cannot hold it whole; True if none straddles (False: logged).

        Every fit starts over from the full size with no seam spacers and the summary back: the layout
        is a function of what the wall shows now, never of the fits before it (figures and layers arrive
        in either order, each followed by a fit). Judged as laid out once Qt's pending layouts ran."""
        win = self.win
        if self.plan is None or not self.plan.seamed:
            return True
        # only with figures on screen (the placeholders before them say nothing of the content's height)
        settled = win.isVisible() and win.state.has_data and not win.panels.trend.busy
        if win.isVisible() and win.state.has_data and win.panels.trend.busy:
            self._trend_timer.start()
        # The same content seen before (a tour's next loop): straight to the scale the search from the
        # full size chose for it (each step restyles the whole wall: ≈ 0.5 s at 5760×3240), checked.
        key = self._content_key() if settled else None
        if key in self._chosen:
            self._chosen.move_to_end(key)
            self._set_shrink(self._chosen[key])
            self._reset()
            self._settle()
            self._fit_once()
            self._settle()
            if self._fitted():
                return True
        self._set_shrink(1.0)
        while True:
            ok = False
            for _ in range(2):  # a module's own fit can move the column's: once more over the new heights
                self._reset()
                self._settle()
                self._fit_once()
                self._settle()
                ok = self._fitted()
                if ok:
                    break
            if ok or not self.plan.bands_y or not settled or self._shrink - _SHRINK_STEP < _SHRINK_FLOOR - 1e-6:
                break
            self._set_shrink(round(self._shrink - _SHRINK_STEP, 3))
        if key is not None and (ok or self._shrink - _SHRINK_STEP < _SHRINK_FLOOR - 1e-6):
            self._chosen[key] = self._shrink
            self._chosen.move_to_end(key)
            while len(self._chosen) > CHOSEN_LIMIT:
                self._chosen.popitem(last=False)  # the least recently shown
        if self.cameras is not None and self.cameras.isVisibleTo(win):
            self.cameras.relayout()  # whole tiles in each panel
        if not ok:
            log.info("wall layout: some text still crosses a seam at %dx%d", win.width(), win.height())
        return ok

    def _content_key(self) -> tuple:
        """What decides the columns' heights: the window's size, which modules show, every label's text."""
        win = self.win
        hosts = [w for w in (win.side_column.parentWidget(), win.panels, self._host) if w is not None]
        shown = tuple(w.isVisibleTo(win) for w in (win.legend, win.fund_panel, win.village_panel, win.panels))
        texts = tuple(lab.text() for h in hosts for lab in h.findChildren(QLabel)
                      if lab.isVisibleTo(win) and not _in_seam_safe(lab, win))  # (a live tile's 1.2 秒前: no)
        return (win.width(), win.height(), shown, texts)

    def _set_shrink(self, shrink: float) -> None:
        win = self.win
        self.metrics_for(win.metrics)  # (forgets the old step if the window's size changed)
        if shrink == self._shrink:
            return
        self._shrink = shrink
        win._apply_metrics(self.metrics_for(metrics_for_height(win.height())))
        win._size_columns()  # the plan again: its margins and gaps follow the metrics

    def _reset(self) -> None:
        """The layout as it is without seam fitting: no spacers, the summary back if a fit hid it."""
        win = self.win
        if self._hid_summary:
            self._hid_summary = False
            if win.summary.isHidden() and (win.fund_panel.isHidden() or self.funds_beside):
                win.summary.show()  # (the window's own rule: the fund chain beside the legend takes its room)
        for lay in self._vertical_layouts(every=True):
            clear_spacers(lay)

    def _settle(self) -> None:
        """Run the pending layouts now, top-down, so what is measured is what will be shown."""
        for _ in range(3):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            self.win.layout().activate()

    def _fit_once(self) -> None:
        plan, win = self.plan, self.win
        for lab in win.header.findChildren(QLabel):
            lab.setContentsMargins(0, 0, 0, 0)
        fit_strip(win.kpis.layout(), win, plan.bands_x, win.metrics.px(10) if win.metrics else 10)
        for lay in self._vertical_layouts():
            fit_box(lay, win, plan.bands_y)
        summary = win.summary
        if plan.bands_y and summary.isVisibleTo(win) and summary.height() < summary.minimumSizeHint().height():
            # broken at a seam, the side column has no room left for the summary (it repeats the KPI
            # strip and is the first to give way): the legend keeps all its rows
            summary.hide()
            self._hid_summary = True
            fit_box(win.side_column, win, plan.bands_y)
        for lab in win.header.findChildren(QLabel):
            nudge_label(lab, win, plan.bands_x)

    def _fitted(self) -> bool:
        """No label of the columns across a seam, as a viewer sees it (each label's drawn text: a legend
        row inside a module its box fitting did not see too), and no module of labels kept off the seams
        by being squeezed below its text (it would be cut; the panels paint into the height they get)."""
        plan, win = self.plan, self.win
        if plan.bands_y and squeezed(win.side_column):
            return False
        hosts = [w for w in (win.side_column.parentWidget(), win.panels, self._host) if w is not None]
        return not any(plan.straddles(r.left(), r.top(), r.right() + 1, r.bottom() + 1)
                       for w, r in text_boxes(win) if any(h.isAncestorOf(w) for h in hosts))

    def _vertical_layouts(self, every: bool = False) -> list[QLayout]:
        """The box layouts fitted along the panel rows (`every`: shown or not)."""
        win = self.win
        out = [win.panels.layout(), win.side_column]
        for w in (win.legend, win.summary, win.fund_panel, win.village_panel):
            if isinstance(w.layout(), QBoxLayout) and (every or w.isVisibleTo(win)):
                out.append(w.layout())
        out += [st.layout() for st in self._stacks if every or not st.isHidden()]
        return out
