"""The wall's start: the application made and its font's first loading begun on a helper thread."""

# Issue 19 (the start). The first text the wall lays out or draws loads the CJK font (≈ 30–50 ms of one
# core at the start: the font file's faces and tables, shared by every thread); QPainter releases the GIL
# while it draws, so drawing a line of sample text on a helper thread does that loading on the other core
# while the wall's modules import on this one, and the window's first text finds the font loaded.

from __future__ import annotations

import os
import sys
import threading

from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from sandbox.ui.collector import collect_on_gui_thread
from sandbox.ui.theme import apply_theme, metrics_for_height, ui_font

__all__ = ["application", "start_application", "warm_fonts", "SAMPLE"]

SAMPLE = "独山县 乡镇 村 贫困发生率 脱贫 0123456789.%"
font_thread: threading.Thread | None = None  # the last warm-up started (tests: it was, before the wall imported)


def application(offscreen: bool = False) -> QApplication:
    """The wall's QApplication (made now when there is none), themed, its garbage collected on the GUI thread."""
    app = QApplication.instance()
    if app is None:
        if offscreen:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([sys.argv[0] if sys.argv else "sandbox"])
    apply_theme(app)
    collect_on_gui_thread(app)
    return app


def start_application(offscreen: bool = False) -> QApplication:
    """`application()` with its font's loading begun on a helper thread: call it before importing the
    wall's modules, which then import while the font loads."""
    app = application(offscreen)
    warm_fonts()
    return app


def warm_fonts() -> threading.Thread:
    """Draw the sample text in the UI font on a helper thread (into an image of its own: QPainter on a
    QImage is safe off the GUI thread); the thread ends when it is drawn."""
    global font_thread
    font_thread = threading.Thread(target=_draw_sample, args=(ui_font(metrics_for_height(1080).body_px),),
                                   name="wall-font-warm-up")
    font_thread.start()
    return font_thread


def _draw_sample(font) -> None:
    img = QImage(32, 32, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = QPainter(img)
    try:
        p.setFont(font)
        p.drawText(0, 24, SAMPLE)
    finally:
        p.end()
