"""Seam fitting primitives for a video wall: where a window shows text, and moving box-layout items,
a row of cards and one-line labels off the seam bands (the bezels between panels)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QBoxLayout, QLabel, QSizePolicy, QSpacerItem, QWidget

__all__ = ["text_boxes", "fit_box", "fit_strip", "nudge_label", "squeezed", "clear_spacers", "lay_out_now", "FIT_PASSES"]

FIT_PASSES = 120  # each move is one pass; a pull halves what overlaps each time


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


def clear_spacers(lay: QBoxLayout) -> None:
    for i in reversed(range(lay.count())):
        item = lay.itemAt(i)
        if isinstance(item, _SeamSpacer):
            lay.takeAt(i)


def lay_out_now(lay: QBoxLayout) -> None:
    """Lay `lay`'s items out now, not at the next event-loop turn. In the rectangle Qt would use: a
    widget's own layout fills the widget. (Not `lay.geometry()`: a layout that was just changed has
    an empty geometry until the event loop lays it out, and items laid out in it measure as nothing
    — the fit then saw no text at all and reported it fitted, issue 13's 3×3 wall.)"""
    host = lay.parentWidget()
    lay.activate()
    if host is not None and lay.parent() is host:
        lay.setGeometry(host.contentsRect())
    elif lay.geometry().isValid():
        lay.setGeometry(lay.geometry())


def fit_box(lay: QBoxLayout, window: QWidget, bands: tuple[tuple[float, float], ...], passes: int = FIT_PASSES) -> bool:
    """Move each item of `lay` that crosses a seam band (along the layout's direction) off it with a
    spacer: before it (pushed past the band), or after it when it stretches and lies mostly before the
    band (it ends before the band); the stretchable items give up the room. True if nothing straddles."""
    host = lay.parentWidget()
    clear_spacers(lay)
    if not bands or host is None:
        return True
    horizontal = lay.direction() in (QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.RightToLeft)
    pulls: dict[int, int] = {}
    for _ in range(passes):
        lay_out_now(lay)
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
    clear_spacers(lay)
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
