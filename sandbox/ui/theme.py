"""Dark big-screen theme: colours, choropleth ramps, height-scaled fonts, QSS and the CJK font check."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from string import Template

from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette

from sandbox.ui.palette import NO_DATA_COLOR, SINGLE_CLASS_COLOR, Colors, no_value_colour, ramp

__all__ = [
    "Colors", "NO_DATA_COLOR", "SINGLE_CLASS_COLOR", "no_value_colour", "ramp", "ramp_qcolors", "Metrics", "metrics_for_height",
    "CjkFontMissing", "ensure_cjk_font", "ui_font", "stylesheet", "apply_theme", "CJK_FAMILIES",
]

log = logging.getLogger(__name__)

QSS_PATH = Path(__file__).resolve().parents[2] / "assets" / "theme.qss"
CJK_PACKAGE = "fonts-wqy-microhei"
# Preferred first; any family that declares Simplified Chinese support is accepted after these.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
    "PingFang SC", "WenQuanYi Zen Hei", "Noto Sans SC",
)


# The colour values live in sandbox.ui.palette (Qt-free: the HTML export uses them too); the theme
# re-exports them so widgets keep importing one module.


def ramp_qcolors(k: int, higher_is_better: bool) -> list[QColor]:
    return [QColor(c) for c in ramp(k, higher_is_better)]


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes derived from the window height: 1080 p is the reference, 2160 p doubles it."""

    scale: float

    def px(self, at_1080: float) -> int:
        return max(1, round(at_1080 * self.scale))

    @property
    def title_px(self) -> int:
        return self.px(40)

    @property
    def year_px(self) -> int:
        return self.px(30)

    @property
    def subtitle_px(self) -> int:
        return self.px(22)

    @property
    def body_px(self) -> int:
        return self.px(22)

    @property
    def small_px(self) -> int:
        return self.px(17)

    @property
    def map_label_px(self) -> int:
        return self.px(21)

    @property
    def map_value_px(self) -> int:
        return self.px(19)

    @property
    def banner_px(self) -> int:
        return self.px(24)

    @property
    def spacing(self) -> int:
        return self.px(16)

    @property
    def swatch(self) -> int:
        return self.px(26)


def metrics_for_height(height: int) -> Metrics:
    # Clamped: a tiny test window still gets legible text, and an 8K wall does not go absurd.
    return Metrics(round(min(max(height / 1080.0, 0.6), 3.0), 3))


class CjkFontMissing(RuntimeError):
    """No font that can draw Chinese: the wall would show boxes instead of text."""


def ensure_cjk_font() -> str:
    """Return a CJK-capable family known to Qt, or raise CjkFontMissing naming the Debian package."""
    if QGuiApplication.instance() is None:
        raise RuntimeError("ensure_cjk_font() needs a QGuiApplication/QApplication first")
    families = QFontDatabase.families()
    for fam in CJK_FAMILIES:
        if fam in families:
            return fam
    for fam in families:
        if QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(fam):
            return fam
    raise CjkFontMissing(
        "没有可显示中文的字体（No CJK font found）: install the Debian package "
        f"'{CJK_PACKAGE}' (apt-get install {CJK_PACKAGE}) or fonts-noto-cjk."
    )


_family: str | None = None


def ui_font(px: int, *, bold: bool = False) -> QFont:
    """The CJK UI font at a pixel size (pixel, not point, so DPI never changes the layout)."""
    f = QFont(_family) if _family else QFont()
    f.setPixelSize(max(1, px))
    f.setBold(bold)
    f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return f


def stylesheet(m: Metrics) -> str:
    """The QSS for these metrics, from assets/theme.qss ($-placeholders); empty if the file is gone."""
    try:
        template = Template(QSS_PATH.read_text(encoding="utf-8"))
    except OSError:
        log.warning("theme stylesheet missing at %s; using the palette only", QSS_PATH)
        return ""
    values = {k: v for k, v in vars(Colors).items() if not k.startswith("_")}
    values.update(
        title_px=m.title_px, year_px=m.year_px, subtitle_px=m.subtitle_px, body_px=m.body_px, small_px=m.small_px,
        banner_px=m.banner_px, pad=m.px(10), pad_small=m.px(5), pad_large=m.px(20), radius=m.px(6),
        border=m.px(2), touch_px=m.px(44), scroll_px=m.px(14),
        no_data=NO_DATA_COLOR, font_family=_family or "sans-serif",
    )
    return template.safe_substitute(values)


def apply_theme(app: QGuiApplication) -> str:
    """Dark palette and the CJK font on the application; returns the font family used."""
    global _family
    _family = ensure_cjk_font()
    app.setFont(ui_font(metrics_for_height(1080).body_px))
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, Colors.background), (QPalette.ColorRole.WindowText, Colors.text),
        (QPalette.ColorRole.Base, Colors.panel), (QPalette.ColorRole.Text, Colors.text),
        (QPalette.ColorRole.Button, Colors.panel), (QPalette.ColorRole.ButtonText, Colors.text),
        (QPalette.ColorRole.Highlight, Colors.accent_dim), (QPalette.ColorRole.ToolTipBase, Colors.panel),
        (QPalette.ColorRole.ToolTipText, Colors.text),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    return _family
