"""The wall's layout on a video wall, as plain geometry (no Qt): which columns go where, in whole panels,
and the seam bands no text may straddle."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DisplaySpec", "Column", "WallPlan", "plan_wall", "WIDE_ASPECT", "BESIDE_MODULES"]

WIDE_ASPECT = 2.2  # wider than this (7680×2160 is 3.6:1): the wide layout, modules beside the map
BESIDE_MODULES = ("cameras", "funds")
SEAM_MARGIN = 8  # px kept clear on each side of a seam's bezel, so no glyph touches the bezel
# the standard layout's column shares of a 16:9 screen (wall_sizing.py's PANELS_FRACTION, SIDE_FRACTION)
_PANELS_SHARE, _SIDE_SHARE = 0.22, 0.2


@dataclass(frozen=True)
class DisplaySpec:
    """The kiosk's [display] section: layout ("auto", "standard", "wide"), the panel grid (columns, rows)
    or None, the pixels behind each seam's bezels, and the modules that go beside the map."""

    layout: str = "auto"
    panels: tuple[int, int] | None = None
    bezel_px: int = 0
    beside: tuple[str, ...] = BESIDE_MODULES


@dataclass(frozen=True)
class Column:
    name: str  # "panels", "map", "side" or modules of BESIDE_MODULES ("cameras+funds": stacked in one column)

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(m for m in self.name.split("+") if m in BESIDE_MODULES)
    x0: float
    x1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass(frozen=True)
class WallPlan:
    """`columns` left to right (None: the standard fractions apply); `bands_x` / `bands_y` are the seam
    bands (a seam's bezel and a margin) that text must keep out of; `gap` is the spacing that puts
    neighbouring columns on either side of a seam."""

    mode: str  # "standard" or "wide"
    width: int
    height: int
    columns: tuple[Column, ...] | None
    bands_x: tuple[tuple[float, float], ...] = ()
    bands_y: tuple[tuple[float, float], ...] = ()
    gap: float = 0.0

    @property
    def seamed(self) -> bool:
        return bool(self.bands_x or self.bands_y)

    def column(self, name: str) -> Column | None:
        """The column called `name`, or the one holding module `name`."""
        return next((c for c in self.columns or () if c.name == name or name in c.modules), None)

    def straddles(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the box (x0, y0)–(x1, y1) crosses into a seam band (touching its edge is fine)."""
        across_x = any(x0 < hi and x1 > lo for lo, hi in self.bands_x) and y1 > y0
        across_y = any(y0 < hi and y1 > lo for lo, hi in self.bands_y) and x1 > x0
        return across_x or across_y


def _bands(size: int, count: int, half: float) -> tuple[tuple[float, float], ...]:
    step = size / count
    return tuple((i * step - half, i * step + half) for i in range(1, count))


def plan_wall(width: int, height: int, spec: DisplaySpec | None = None, pad: float = 16.0) -> WallPlan:
    """The layout for a window of `width`×`height`. Wide (by aspect or by `spec.layout`): the panels
    column, the map, the modules beside it and the side column, each a whole number of panels when
    the panel grid is known (map and columns one panel each, the modules share the rest), else sized
    as on a 16:9 screen of the same height with the modules taking the rest. Standard with a panel grid
    of three or more columns: panels, map and side column one panel each, modules in any spare ones.
    Otherwise (standard, no grid): None, the wall's own fractions."""
    spec = spec or DisplaySpec()
    aspect = width / max(1, height)
    wide = spec.layout == "wide" or (spec.layout == "auto" and aspect > WIDE_ASPECT)
    mode = "wide" if wide else "standard"
    beside = tuple(m for m in spec.beside if m in BESIDE_MODULES)
    if spec.panels is not None:
        cols, rows = spec.panels
        half = spec.bezel_px / 2 + SEAM_MARGIN
        bands_x, bands_y = _bands(width, cols, half), _bands(height, rows, half)
        if cols < 3:  # too few panels to give every column its own: the standard fractions, seams known
            return WallPlan(mode, width, height, None, bands_x, bands_y, 2 * half)
        pw = width / cols
        names = ["panels", "map"]
        spare = cols - 3
        if spare == 1 and len(beside) > 1:  # one spare panel column: the modules share it, top to bottom
            names.append("+".join(beside))
        elif spare and beside:
            # the first module gets what the others leave: one panel each for the rest
            rest = beside[1:spare]
            names += [beside[0]] * (spare - len(rest)) + list(rest)
        elif spare:
            names += ["map"] * spare
        names.append("side")
        columns: list[Column] = []
        for i, name in enumerate(names):  # neighbours with the same name merge into one column
            if columns and columns[-1].name == name:
                columns[-1] = Column(name, columns[-1].x0, (i + 1) * pw - half)
            else:
                columns.append(Column(name, (i * pw + half) if i else pad, (i + 1) * pw - half))
        last = columns[-1]
        columns[-1] = Column(last.name, last.x0, width - pad)
        return WallPlan(mode, width, height, tuple(columns), bands_x, bands_y, 2 * half)
    if not wide:
        return WallPlan(mode, width, height, None)
    core = height * 16 / 9  # the standard wall of this height: its columns keep their 16:9 widths
    panels_w, side_w = max(300.0, core * _PANELS_SHARE), max(260.0, core * _SIDE_SHARE)
    map_w = core - panels_w - side_w - 4 * pad
    spare = width - core
    x = pad
    columns = [Column("panels", x, x + panels_w)]
    x += panels_w + pad
    columns.append(Column("map", x, x + map_w))
    x += map_w + pad
    if beside and spare > 0:
        share = (spare - pad * len(beside)) / len(beside)
        for name in beside:
            columns.append(Column(name, x, x + share))
            x += share + pad
    columns.append(Column("side", x, width - pad))
    return WallPlan(mode, width, height, tuple(columns), gap=pad)
