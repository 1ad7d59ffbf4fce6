"""Wrapped text cut to a number of lines, its last line ending in "…" when anything was left out."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QTextLayout, QTextOption

__all__ = ["wrap_lines", "elide_lines"]

ELLIPSIS = "…"


def wrap_lines(text: str, font: QFont, width: float) -> list[str]:
    """The lines `text` wraps into at `width` (as a word-wrapped QLabel breaks them: at word boundaries, any
    CJK character, and the text's own newlines)."""
    return [line for _para, line in _wrap(text, font, width)]


def _wrap(text: str, font: QFont, width: float) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    for n, para in enumerate(text.split("\n")):
        if not para:
            out.append((n, ""))
            continue
        layout = QTextLayout(para, font)
        layout.setTextOption(option)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            out.append((n, para[line.textStart():line.textStart() + line.textLength()]))
        layout.endLayout()
    return out


def elide_lines(text: str, font: QFont, width: float, lines: int) -> str:
    """`text` wrapped at `width`, at most `lines` lines joined by newlines; when more would follow, the last
    one kept ends in "…" (and still fits the width), so a reader sees the text goes on."""
    wrapped = _wrap(text, font, width)
    if len(wrapped) <= lines:
        return text
    if lines <= 0:
        return ""
    kept = [line.rstrip() for _para, line in wrapped[:lines - 1]]
    para = wrapped[lines - 1][0]
    # the rest of the last kept line's paragraph, cut at the width with the ellipsis; one that fits whole
    # still gets it: more lines follow
    rest = "".join(line for p, line in wrapped[lines - 1:] if p == para).rstrip()
    last = QFontMetricsF(font).elidedText(rest + ELLIPSIS, Qt.TextElideMode.ElideRight, width)
    return "\n".join([*kept, last])
