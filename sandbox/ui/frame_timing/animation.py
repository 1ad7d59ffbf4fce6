"""Camera of the drill-down zoom: a similarity that carries one screen rectangle onto another (no Qt)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Box", "Similarity", "ZoomPath", "ease_in_out"]


@dataclass(frozen=True)
class Box:
    """A screen rectangle (x, y, width, height)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2.0, self.y + self.h / 2.0


@dataclass(frozen=True)
class Similarity:
    """p ↦ s·p + (tx, ty): uniform zoom and shift, so shapes never distort mid-animation."""

    s: float = 1.0
    tx: float = 0.0
    ty: float = 0.0

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.s * x + self.tx, self.s * y + self.ty

    def inverse(self) -> Similarity:
        return Similarity(1.0 / self.s, -self.tx / self.s, -self.ty / self.s)

    def then(self, other: Similarity) -> Similarity:
        """First self, then other."""
        return Similarity(other.s * self.s, other.s * self.tx + other.tx, other.s * self.ty + other.ty)


def ease_in_out(t: float) -> float:
    """Cubic ease-in-out on [0, 1]."""
    t = min(max(t, 0.0), 1.0)
    return 4 * t * t * t if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2


class ZoomPath:
    """The camera from the old view to the new one.

    `old_focus` (in the old view's pixels) and `new_focus` (in the new view's pixels) show the same
    ground: the clicked town in the county view and the whole of its villages in the town view.
    The camera zooms about the one fixed point of the final similarity, with the scale interpolated
    geometrically, which reads as a steady push-in (or pull-out) rather than a slide.
    """

    def __init__(self, old_focus: Box, new_focus: Box):
        if min(old_focus.w, old_focus.h, new_focus.w, new_focus.h) <= 0:
            raise ValueError("focus boxes need a positive size")
        self.z = math.sqrt((new_focus.w / old_focus.w) * (new_focus.h / old_focus.h))
        (ox, oy), (nx, ny) = old_focus.centre, new_focus.centre
        self.old_centre = (ox, oy)
        self.final = Similarity(self.z, nx - self.z * ox, ny - self.z * oy)  # old focus → new focus
        if abs(1.0 - self.z) > 1e-6:
            self.fixed: tuple[float, float] | None = (self.final.tx / (1 - self.z), self.final.ty / (1 - self.z))
        else:
            self.fixed = None  # a pure shift

    def old_view(self, e: float) -> Similarity:
        """Where the old picture is drawn at progress e (0: as it was; 1: its focus on the new focus)."""
        if self.fixed is None:
            return Similarity(1.0, self.final.tx * e, self.final.ty * e)
        s = self.z ** e
        fx, fy = self.fixed
        return Similarity(s, fx * (1 - s), fy * (1 - s))

    def new_view(self, e: float) -> Similarity:
        """Where the new picture is drawn at progress e (0: its focus on the old focus; 1: as it is)."""
        return self.final.inverse().then(self.old_view(e))
