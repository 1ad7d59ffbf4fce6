"""The village's 利益联结明白卡: one A6 card per linked household, four to an A4 page, with its QR code."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from sandbox.domain.public import HouseholdPublic
from sandbox.reports.fonts import cjk_font
from sandbox.reports.qr import draw_qr
from sandbox.reports.text import draw_lines, fit, wrap

__all__ = ["render_cards", "CARD_W", "CARD_H"]

CARD_W, CARD_H = A4[0] / 2, A4[1] / 2  # A6: 105 × 148.5 mm
PAD = 6 * mm
QR = 36 * mm
RED = (0.65, 0.11, 0.11)
GREY = (0.35, 0.35, 0.35)


def render_cards(path: str, cards: list[HouseholdPublic], url_of: Callable[[str], str], *, county: str,
                 village: str, as_of: str | None, demo: bool) -> int:
    """Writes the cards to `path`; returns the number of pages."""
    font = cjk_font()
    c = Canvas(path, pagesize=A4, pageCompression=1)
    c.setTitle(f"{village} 利益联结明白卡")
    c.setAuthor(f"{county}脱贫攻坚公示" if county else "脱贫攻坚公示")
    c.setSubject("利益联结明白卡")
    pages = 0
    for start in range(0, len(cards), 4):
        pages += 1
        for k, card in enumerate(cards[start:start + 4]):
            x = (k % 2) * CARD_W
            y = A4[1] - (k // 2 + 1) * CARD_H
            _card(c, font, card, url_of(card.slug), x, y, county, as_of, demo)
        _cut_marks(c)
        c.showPage()
    c.save()
    return pages


def _cut_marks(c: Canvas) -> None:
    c.saveState()
    c.setStrokeColorRGB(0.6, 0.6, 0.6)
    c.setLineWidth(0.4)
    c.setDash(3, 3)
    c.line(CARD_W, 0, CARD_W, A4[1])
    c.line(0, CARD_H, A4[0], CARD_H)
    c.restoreState()


def _card(c: Canvas, font: str, h: HouseholdPublic, url: str, x: float, y: float, county: str, as_of: str | None,
          demo: bool) -> None:
    left, right, top = x + PAD, x + CARD_W - PAD, y + CARD_H - PAD
    width = right - left
    # the title band
    band = 16 * mm
    c.setFillColorRGB(*RED)
    c.rect(left, top - band, width, band, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(font, 15)
    c.drawString(left + 3 * mm, top - 10.5 * mm, "利益联结明白卡")
    c.setFont(font, 8.5)
    c.drawRightString(right - 3 * mm, top - 10.5 * mm, f"{county} {h.year or ''}年".strip() if h.year else county)

    # the household
    c.setFillColorRGB(0, 0, 0)
    yy = top - band - 8 * mm
    c.setFont(font, 15)
    c.drawString(left, yy, f"户主 {h.head_masked}")
    size = fit(h.village, font, 10, width * 0.55, 7)
    c.setFont(font, size)
    c.drawRightString(right, yy, h.village)
    yy -= 5.5 * mm
    facts = " · ".join(x for x in (f"家庭人口 {h.members} 人" if h.members else "", h.status_zh or "", h.exit_path_zh or "")
                       if x)
    if facts:
        c.setFont(font, 8.5)
        c.setFillColorRGB(*GREY)
        c.drawString(left, yy, wrap(facts, font, 8.5, width, 1)[0])
        c.setFillColorRGB(0, 0, 0)
    yy -= 7 * mm

    # the cadre
    c.setFont(font, 9)
    c.setFillColorRGB(*GREY)
    c.drawString(left, yy, "帮扶责任人")
    c.setFillColorRGB(0, 0, 0)
    if h.cadre_name:
        c.setFont(font, 12)
        c.drawString(left + 17 * mm, yy, h.cadre_name)
        if h.cadre_phone:
            c.drawRightString(right, yy, h.cadre_phone)
        if h.cadre_unit:
            yy -= 4.5 * mm
            c.setFont(font, 8)
            c.setFillColorRGB(*GREY)
            c.drawString(left + 17 * mm, yy, wrap(h.cadre_unit, font, 8, width - 17 * mm, 1)[0])
            c.setFillColorRGB(0, 0, 0)
    else:
        c.setFont(font, 10)
        c.drawString(left + 17 * mm, yy, "暂未登记")
    yy -= 4 * mm
    c.setStrokeColorRGB(*RED)
    c.setLineWidth(0.8)
    c.line(left, yy, right, yy)
    yy -= 6 * mm

    # the projects it is linked to, as many as fit above the code
    floor = y + PAD + QR + 3 * mm
    c.setFont(font, 9)
    c.setFillColorRGB(*GREY)
    c.drawString(left, yy, "联结项目 · 联结方式 · 年收益")
    c.setFillColorRGB(0, 0, 0)
    yy -= 5.5 * mm
    shown = 0
    for link in h.links:
        name_lines = wrap(link.project_name, font, 11, width, 2)
        needed = len(name_lines) * 4.8 * mm + 5 * mm
        if yy - needed < floor + (5 * mm if shown < len(h.links) - 1 else 0):
            break
        yy = draw_lines(c, name_lines, left, yy, font, 11, 4.8 * mm)
        earned = f"年收益约 {link.yearly_income:,.0f} 元" if link.yearly_income is not None else "年收益 —"
        c.setFont(font, 9.5)
        c.drawString(left + 3 * mm, yy + 0.5 * mm, f"{link.mode_zh or '方式未登记'} · {earned}")
        yy -= 6 * mm
        shown += 1
    if shown < len(h.links):
        c.setFont(font, 9)
        c.drawString(left + 3 * mm, yy + 1 * mm, f"另有 {len(h.links) - shown} 个项目, 扫码查看")
        yy -= 5 * mm
    _measures(c, font, h, left, width, yy - 1 * mm, floor)

    # the code and what it is for
    qx, qy = left - 2 * mm, y + PAD - 2 * mm  # the quiet zone may lie in the margin
    draw_qr(c, url, qx, qy, QR)
    tx = qx + QR + 1 * mm
    tw = right - tx
    ty = qy + QR - 7 * mm
    c.setFont(font, 11)
    c.setFillColorRGB(*RED)
    ty = draw_lines(c, wrap("扫码查看公示", font, 11, tw), tx, ty, font, 11, 5 * mm)
    c.setFillColorRGB(0, 0, 0)
    ty = draw_lines(c, wrap("对帮扶、收益有疑问可在线反映", font, 8.5, tw), tx, ty, font, 8.5, 4 * mm)
    ty -= 1 * mm
    c.setFillColorRGB(*GREY)
    ty = draw_lines(c, wrap(url, font, 6.5, tw, 3), tx, ty, font, 6.5, 3 * mm)
    foot = (f"数据截至 {as_of}" if as_of else "") + (" · 演示数据" if demo else "")
    if foot:
        c.setFont(font, 6.5)
        c.drawString(tx, qy + 3 * mm, foot.strip(" ·"))
    c.setFillColorRGB(0, 0, 0)


# the card already says these two: its project lines and its cadre
_ON_CARD = ("产业帮扶", "结对帮扶")


def _measures(c: Canvas, font: str, h: HouseholdPublic, left: float, width: float, yy: float, floor: float) -> None:
    """This year's measures, as many as fit between the projects and the code."""
    measures = [m for m in h.measures if m.title not in _ON_CARD]
    if not measures or yy - 10 * mm < floor:
        return
    c.setFont(font, 9)
    c.setFillColorRGB(*GREY)
    c.drawString(left, yy, f"{h.year} 年帮扶措施" if h.year else "帮扶措施")
    c.setFillColorRGB(0, 0, 0)
    yy -= 4.8 * mm
    for m in measures:
        if yy < floor:
            break
        c.setFont(font, 9)
        c.drawString(left + 3 * mm, yy, wrap(f"{m.title}: {m.detail}", font, 9, width - 3 * mm, 1)[0])
        yy -= 4.4 * mm
