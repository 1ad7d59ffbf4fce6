"""Greedy map-label placement: higher priority first, shrink then drop on collision (no Qt)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Rect", "LabelVariant", "LabelCandidate", "PlacedLabel", "place_labels"]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def intersects(self, o: Rect) -> bool:
        return self.x < o.right and o.x < self.right and self.y < o.bottom and o.y < self.bottom

    def inflated(self, d: float) -> Rect:
        return Rect(self.x - d, self.y - d, self.w + 2 * d, self.h + 2 * d)

    def inside(self, o: Rect) -> bool:
        return self.x >= o.x and self.y >= o.y and self.right <= o.right and self.bottom <= o.bottom


@dataclass(frozen=True)
class LabelVariant:
    """One way to draw a label (e.g. name and value at full size); sizes in pixels."""

    name: str
    w: float
    h: float


@dataclass(frozen=True)
class LabelCandidate:
    key: str
    priority: float
    anchor: tuple[float, float]
    variants: tuple[LabelVariant, ...]  # most preferred first


@dataclass(frozen=True)
class PlacedLabel:
    key: str
    variant: str
    rect: Rect


CENTRED = ((0.0, 0.0),)


def place_labels(candidates: Iterable[LabelCandidate], bounds: Rect | None = None,
                 obstacles: Sequence[Rect] = (), padding: float = 2.0,
                 shifts: Sequence[tuple[float, float]] = CENTRED) -> list[PlacedLabel]:
    """Place labels by descending priority; each takes its first variant and shift that collides with nothing.

    A shift (fx, fy) moves the label by fx·width and fy·height off its anchor; every shift of a
    variant is tried before falling back to the next (smaller) variant, and a label that fits
    nowhere is dropped.
    """
    placed: list[PlacedLabel] = []
    taken = [o.inflated(padding) for o in obstacles]
    for cand in sorted(candidates, key=lambda c: -c.priority):
        spot = _first_free(cand, bounds, taken, padding, shifts)
        if spot is not None:
            placed.append(PlacedLabel(cand.key, spot[0], spot[1]))
            taken.append(spot[1].inflated(padding))
    return placed


def _first_free(cand: LabelCandidate, bounds: Rect | None, taken: list[Rect], padding: float,
                shifts: Sequence[tuple[float, float]]) -> tuple[str, Rect] | None:
    ax, ay = cand.anchor
    for var in cand.variants:
        for fx, fy in shifts:
            rect = Rect(ax - var.w / 2.0 + fx * var.w, ay - var.h / 2.0 + fy * var.h, var.w, var.h)
            if bounds is not None and not rect.inside(bounds):
                continue
            padded = rect.inflated(padding)
            if not any(padded.intersects(t) for t in taken):
                return var.name, rect
    return None
