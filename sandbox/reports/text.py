"""Text on a reportlab canvas: CJK line wrapping (no spaces to break at) and fitting a line to a width."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

__all__ = ["wrap", "fit", "draw_lines"]

# punctuation a Chinese line never starts with: kept on the line before (禁则)
_NO_START = set("，。、；：？！）》」』】,.;:?!)%")


def wrap(text: str, font: str, size: float, width: float, max_lines: int | None = None) -> list[str]:
    """`text` broken into lines no wider than `width`, at any character (Latin words kept whole when
    they fit); the last line ends in … when `max_lines` cuts it."""
    lines: list[str] = []
    for para in (text or "").split("\n"):
        line = ""
        i = 0
        while i < len(para):
            ch = para[i]
            token = ch
            if ch.isascii() and ch.isalnum():  # a Latin word or a number: whole
                j = i
                while j < len(para) and para[j].isascii() and (para[j].isalnum() or para[j] in ",.-_/:"):
                    j += 1
                token = para[i:j]
            if stringWidth(line + token, font, size) <= width or not line or (token[0] in _NO_START and len(token) == 1):
                if stringWidth(token, font, size) > width and not line:  # longer than a line by itself: cut it
                    token = ch
                line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
            i += len(token)
        lines.append(line.rstrip())
    lines = lines or [""]
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines


def fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest font size from `size` down to `smallest` at which `text` fits on one line."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def draw_lines(canvas, lines: list[str], x: float, y: float, font: str, size: float, leading: float) -> float:
    """Draws `lines` downwards from baseline `y`; returns the baseline below the last one."""
    canvas.setFont(font, size)
    for line in lines:
        canvas.drawString(x, y, line)
        y -= leading
    return y
