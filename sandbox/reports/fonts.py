"""The CJK font embedded in every PDF: WenQuanYi Micro Hei from Debian's fonts-wqy-microhei (Apache-2.0 or
GPL-3.0 with the font embedding exception), installed by scripts/setup for the wall already.

reportlab embeds TrueType outlines only: Noto Sans CJK (fonts-noto-cjk) has PostScript (CFF) outlines and
cannot be used; a subset of the glyphs a document uses is embedded, so a card prints the same anywhere.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

__all__ = ["FONT", "FontMissing", "cjk_font"]

FONT = "CJK"
# (file, index in a .ttc collection): TrueType-outline CJK fonts Debian ships, the first one found is used
CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


class FontMissing(ValueError):
    """No usable CJK font on this machine; the message says which package to install."""


def cjk_font() -> str:
    """Registers the CJK font with reportlab once; returns its name for setFont."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path, index in CANDIDATES:
        if Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))
            except TTFError:
                continue
            return FONT
    raise FontMissing("找不到可嵌入 PDF 的中文字体: 请安装 fonts-wqy-microhei (sudo apt-get install fonts-wqy-microhei)")
