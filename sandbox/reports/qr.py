"""A QR code (segno) drawn on a reportlab canvas as vector squares: sharp at any print size."""

from __future__ import annotations

import segno

__all__ = ["draw_qr"]


def draw_qr(canvas, url: str, x: float, y: float, size: float) -> None:
    """The code for `url` with its 4-module quiet zone, white background, filling a `size` square whose
    lower left corner is (x, y). Error correction M: a card in a greenhouse gets dirty."""
    code = segno.make(url, error="m", boost_error=False)
    matrix = code.matrix
    n = len(matrix)
    quiet = 4
    module = size / (n + 2 * quiet)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        top = y + size - (quiet + r + 1) * module
        c = 0
        while c < n:  # one rectangle per run of dark modules: a smaller file, no hairline gaps
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                canvas.rect(x + (quiet + start) * module, top, (c - start) * module, module * 1.001, stroke=0, fill=1)
            else:
                c += 1
    canvas.restoreState()
