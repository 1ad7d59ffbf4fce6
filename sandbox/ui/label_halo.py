"""One map label line rasterised over its halo: with numpy once it is loaded, with QPainter before (the same pixels)."""

# The halo is the glyphs' coverage grown by an antialiased disk (what stroking the outline with the
# halo pen covers, at a fraction of the cost of stroking glyphs). numpy grows it fastest, but importing
# numpy costs ≈ 0.12 s, and the wall's first frame has labels and nothing else that needs numpy: until
# something else has loaded it (the trend chart, mapclassify, after the first frame), the same dilation
# is composed with QPainter (per-pixel max of shifted, scaled copies: CompositionMode_Lighten), which
# matches numpy's result within one level per channel and costs ≈ 0.7 ms more per line.

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPainterPath

from sandbox.ui.theme import Colors, ui_font

if TYPE_CHECKING:
    import numpy as np

__all__ = ["render_line", "disk"]

HALO_BIAS = 0.7  # device pixels, see render_line

_DISKS: dict[float, list[tuple[int, int, int]]] = {}


def disk(radius: float) -> list[tuple[int, int, int]]:
    """Offsets of an antialiased disk: (dx, dy, coverage 1..256) for every pixel the disk touches."""
    hit = _DISKS.get(radius)
    if hit is None:
        reach = math.ceil(radius + 0.5)
        hit = []
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                w = min(1.0, radius + 0.5 - math.hypot(dx, dy))
                if w > 0.02:
                    hit.append((dx, dy, round(w * 256)))
        _DISKS[radius] = hit
    return hit


def numpy_loaded() -> bool:
    """Whether something has imported numpy (label sprites use it then, and never import it themselves)."""
    return "numpy" in sys.modules


def render_line(text: str, px: int, bold: bool, colour: str, halo: float, dpr: float) -> tuple[QImage, QPointF]:
    """The line's pixels (device pixel ratio `dpr`) and where their top-left goes relative to the
    baseline-left origin: glyphs filled with `colour` over a halo `halo` px wide (Colors.label_halo)."""
    font = ui_font(px, bold=bold)
    fm = QFontMetricsF(font)
    # Growing an antialiased mask falls short of the stroke's geometric coverage by about 0.7 px
    # (the glyph's own soft edge is grown, not its outline): measured against strokePath, this
    # matches the halo's weight at 1080p and 4K.
    r_dev = halo / 2.0 * dpr + HALO_BIAS
    pad = math.ceil(r_dev) + 2
    baseline = pad + math.ceil(fm.ascent() * dpr)  # a whole device row: the sprite lands on the pixel grid
    w = math.ceil(fm.horizontalAdvance(text) * dpr) + 2 * pad + 2
    h = baseline + math.ceil(fm.descent() * dpr) + pad + 1
    path = QPainterPath()
    path.addText(QPointF(0, 0), font, text)
    if numpy_loaded():
        img = _compose_numpy(path, w, h, pad, baseline, dpr, r_dev, QColor(colour))
    else:
        img = _compose_qt(path, w, h, pad, baseline, dpr, r_dev, QColor(colour))
    img.setDevicePixelRatio(dpr)
    return img, QPointF(-pad / dpr, -baseline / dpr)


def _fill_glyphs(img: QImage, path: QPainterPath, pad: int, baseline: int, dpr: float, colour: QColor) -> None:
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(pad, baseline)
    p.scale(dpr, dpr)
    p.fillPath(path, colour)
    p.end()


def _compose_qt(path: QPainterPath, w: int, h: int, pad: int, baseline: int, dpr: float, r_dev: float,
                colour: QColor) -> QImage:
    # Coverage as grey on opaque black: Lighten of two opaque pixels is their per-channel max.
    mask = QImage(w, h, QImage.Format.Format_RGB32)
    mask.fill(0)
    _fill_glyphs(mask, path, pad, baseline, dpr, QColor(255, 255, 255))
    grown = QImage(w, h, QImage.Format.Format_RGB32)
    grown.fill(0)
    scaled: dict[int, QImage] = {256: mask}
    g = QPainter(grown)
    g.setCompositionMode(QPainter.CompositionMode.CompositionMode_Lighten)
    for dx, dy, cov in disk(r_dev):
        src = scaled.get(cov)
        if src is None:  # the mask × cov/256, drawn once per coverage level
            src = scaled[cov] = QImage(w, h, QImage.Format.Format_RGB32)
            src.fill(0)
            q = QPainter(src)
            q.setOpacity(cov / 256.0)
            q.drawImage(0, 0, mask)
            q.end()
        g.drawImage(dx, dy, src)
    g.end()
    # halo colour under the grown coverage, then the glyphs over it (source-over): the numpy formula
    out = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(QColor(Colors.label_halo))
    out.setAlphaChannel(grown)
    _fill_glyphs(out, path, pad, baseline, dpr, colour)
    return out


def _dilate(a: np.ndarray, radius: float) -> np.ndarray:
    """Grey-scale dilation of coverage `a` (uint8) by an antialiased disk: the area a stroke of the
    outline `2·radius` wide, plus the fill, would cover."""
    import numpy as np

    h, w = a.shape
    out = np.zeros_like(a)
    scaled: dict[int, np.ndarray] = {256: a}
    for dx, dy, cov in disk(radius):
        src = scaled.get(cov)
        if src is None:
            src = scaled[cov] = ((a.astype(np.uint16) * cov) >> 8).astype(np.uint8)
        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
        np.maximum(out[yd, xd], src[ys, xs], out=out[yd, xd])
    return out


def _compose_numpy(path: QPainterPath, w: int, h: int, pad: int, baseline: int, dpr: float, r_dev: float,
                   colour: QColor) -> QImage:
    import numpy as np

    mask = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)  # Qt's fastest rasteriser target
    mask.fill(0)
    _fill_glyphs(mask, path, pad, baseline, dpr, QColor(0, 0, 0, 255))
    a8 = np.frombuffer(mask.constBits(), np.uint8, mask.bytesPerLine() * h).reshape(h, -1, 4)[:, :w, 3]
    grown = _dilate(a8, r_dev).astype(np.float32) * (1.0 / 255.0)
    a = a8.astype(np.float32) * (1.0 / 255.0)
    under = grown * (1.0 - a)  # halo coverage left visible under the text
    halo_c = QColor(Colors.label_halo)
    px_out = np.empty((h, w, 4), np.float32)
    px_out[..., 0] = colour.blue() * a + halo_c.blue() * under  # premultiplied BGRA (little-endian ARGB32)
    px_out[..., 1] = colour.green() * a + halo_c.green() * under
    px_out[..., 2] = colour.red() * a + halo_c.red() * under
    px_out[..., 3] = (a + under) * 255.0
    px_out += 0.5
    buf = np.ascontiguousarray(px_out.astype(np.uint8))
    return QImage(buf.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied).copy()  # owns its pixels
