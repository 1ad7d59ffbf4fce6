"""The map's fit to the area its furniture (legend, tour caption, cards) leaves free: no region under any of it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from sandbox.ui.projection import ViewFit, fit_view

__all__ = ["fit_clear", "Box"]

Box = tuple[float, float, float, float]  # left, top, right, bottom in widget pixels
_SHRINK = (0.97, 0.94, 0.9, 0.86, 0.82, 0.78, 0.74, 0.7)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _boxes(area: Box, covers: Sequence[Box]) -> list[Box]:
    """The area with each cover cut away from one of its four sides (every combination)."""
    out = [area]
    for sides in itertools.product(range(4), repeat=len(covers)):
        l, t, r, b = area
        for side, c in zip(sides, covers):
            if not _overlaps((l, t, r, b), c):
                continue
            if side == 0:
                l = max(l, c[2])
            elif side == 1:
                t = max(t, c[3])
            elif side == 2:
                r = min(r, c[0])
            else:
                b = min(b, c[1])
        if r - l > 10 and b - t > 10:
            out.append((l, t, r, b))
    return out


def _fits(bounds: Sequence[float], box: Box) -> list[ViewFit]:
    """The centred fit of `bounds` in `box`, and the same scale pushed to each edge of the free axis."""
    l, t, r, b = box
    fit = fit_view(bounds, r - l, b - t)
    fit = ViewFit(fit.scale, fit.dx + l, fit.dy + t)
    minx, miny, maxx, maxy = bounds
    w, h = (maxx - minx) * fit.scale, (maxy - miny) * fit.scale
    out = [fit]
    if r - l - w > 1:
        out += [ViewFit(fit.scale, l - minx * fit.scale, fit.dy), ViewFit(fit.scale, r - w - minx * fit.scale, fit.dy)]
    if b - t - h > 1:
        out += [ViewFit(fit.scale, fit.dx, t - miny * fit.scale), ViewFit(fit.scale, fit.dx, b - h - miny * fit.scale)]
    return out


def _shrunk(fit: ViewFit, bounds: Sequence[float], k: float) -> ViewFit:
    """`fit` scaled by k about the centre of the shapes on screen."""
    minx, miny, maxx, maxy = bounds
    cx, cy = fit.to_screen((minx + maxx) / 2, (miny + maxy) / 2)
    s = fit.scale * k
    return ViewFit(s, cx - (minx + maxx) / 2 * s, cy - (miny + maxy) / 2 * s)


def fit_clear(bounds: Sequence[float], width: float, height: float, margins: Sequence[float],
              covers: Sequence[Box], clear: Callable[[ViewFit, Box], bool]) -> ViewFit:
    """The largest fit of `bounds` inside the widget less `margins` under which `clear(fit, cover)` holds
    for every cover (the caller says whether any region lies under a cover at that fit). Candidates:
    the plain fit, the plain fit shrunk about its centre, and fits into the area with each cover cut
    from one side (a fit wholly outside every cover is clear by construction)."""
    left, top, right, bottom = margins
    area = (left, top, width - right, height - bottom)
    plain = fit_view(bounds, width, height, margins)
    covers = [c for c in covers if _overlaps(area, c)]
    if not covers:
        return plain
    cands = [plain] + [_shrunk(plain, bounds, k) for k in _SHRINK]
    for box in _boxes(area, covers)[1:]:
        cands += _fits(bounds, box)
    cx, cy = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
    mx, my = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2

    def off_centre(f: ViewFit) -> float:
        x, y = f.to_screen(mx, my)
        return abs(x - cx) + abs(y - cy)

    cands.sort(key=lambda f: (-round(f.scale, 9), off_centre(f)))  # the largest; of equals, the most central
    for fit in cands:
        if all(clear(fit, c) for c in covers):
            return fit
    return min(cands, key=lambda f: f.scale)
