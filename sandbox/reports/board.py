"""A project site's 扶贫信息榜 poster (A3, or A4): the project, its progress, who shares in it, its money, its QR code."""

from __future__ import annotations

from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from sandbox.domain.public import ProjectPublic, yuan_zh
from sandbox.reports.fonts import cjk_font
from sandbox.reports.qr import draw_qr
from sandbox.reports.text import draw_lines, fit, wrap

__all__ = ["render_board", "PAPERS"]

PAPERS = {"A3": A3, "A4": A4}
RED = (0.65, 0.11, 0.11)
GREEN = (0.11, 0.48, 0.2)
GREY = (0.35, 0.35, 0.35)
MAX_FUND_ROWS = 10
VILLAGES_SHOWN = 12


def render_board(path: str, p: ProjectPublic, url: str, *, county: str, as_of: str | None, demo: bool,
                 paper: str = "A3") -> None:
    font = cjk_font()
    page = PAPERS[paper]
    s = page[0] / A3[0]  # laid out in A3 millimetres, scaled to the paper
    c = Canvas(path, pagesize=page, pageCompression=1)
    c.setTitle(f"{p.name} 扶贫项目信息榜")
    c.setAuthor(f"{county}脱贫攻坚公示" if county else "脱贫攻坚公示")
    c.setSubject("扶贫项目信息榜")
    w, h = page
    margin = 16 * mm * s
    left, right = margin, w - margin
    width = right - left

    # header
    band = 44 * mm * s
    c.setFillColorRGB(*RED)
    c.rect(0, h - band, w, band, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(font, 15 * s)
    c.drawString(left, h - 13 * mm * s, f"{county} 脱贫攻坚" if county else "脱贫攻坚")
    c.setFont(font, 46 * s)
    c.drawString(left, h - 34 * mm * s, "扶贫项目信息榜")

    y = h - band - 18 * mm * s
    c.setFillColorRGB(0, 0, 0)
    size = fit(p.name, font, 34 * s, width, 20 * s)
    lines = wrap(p.name, font, size, width, 2)
    y = draw_lines(c, lines, left, y, font, size, size * 1.3)
    c.setFillColorRGB(*GREY)
    c.setFont(font, 18 * s)
    c.drawString(left, y - 1 * mm * s, p.place)
    y -= 14 * mm * s

    y = _facts(c, font, s, p, left, width, y)
    y = _progress(c, font, s, p, left, width, y)
    y = _beneficiaries(c, font, s, p, left, width, y)
    floor = margin + 84 * mm * s
    _funds(c, font, s, p, left, width, y, floor)

    # the code and the footer
    qr = 70 * mm * s
    qx, qy = right - qr + 3 * mm * s, margin - 3 * mm * s
    draw_qr(c, url, qx, qy, qr)
    c.setFillColorRGB(*RED)
    ty = qy + qr - 12 * mm * s
    tw = qx - left - 6 * mm * s
    c.setFont(font, 24 * s)
    c.drawString(left, ty, "扫码查看本项目公示")
    c.setFillColorRGB(0, 0, 0)
    ty = draw_lines(c, wrap("资金、进度、带动农户随时可查; 发现问题可扫码在线反映, 我们将核实处理。", font, 15 * s, tw),
                    left, ty - 11 * mm * s, font, 15 * s, 7 * mm * s)
    c.setFillColorRGB(*GREY)
    ty = draw_lines(c, wrap(url, font, 11 * s, tw, 2), left, ty - 2 * mm * s, font, 11 * s, 5 * mm * s)
    foot = "; ".join(x for x in (f"数据截至 {as_of}" if as_of else "", "演示数据, 金额与人数为虚构" if demo else "",
                                  "公示内容不含个人身份信息") if x)
    c.setFont(font, 10 * s)
    c.drawString(left, margin, foot)
    c.showPage()
    c.save()


def _heading(c: Canvas, font: str, s: float, text: str, x: float, y: float, width: float) -> float:
    c.setFillColorRGB(*RED)
    c.rect(x, y - 2 * mm * s, 2.2 * mm * s, 9 * mm * s, stroke=0, fill=1)
    c.setFont(font, 20 * s)
    c.drawString(x + 5 * mm * s, y, text)
    c.setStrokeColorRGB(*RED)
    c.setLineWidth(0.8 * s)
    c.line(x, y - 4 * mm * s, x + width, y - 4 * mm * s)
    c.setFillColorRGB(0, 0, 0)
    return y - 13 * mm * s


def _facts(c: Canvas, font: str, s: float, p: ProjectPublic, x: float, width: float, y: float) -> float:
    y = _heading(c, font, s, "项目概况", x, y, width)
    facts = [("产业", p.industry_zh), ("类别", p.batch_zh), ("总投资", yuan_zh(p.budget)),
             ("计划年度", f"{p.planned_year} 年"), ("开工年度", f"{p.started_year} 年" if p.started_year else "未开工"),
             ("当前阶段", f"{p.stage_zh} · 完成 {p.progress:.0f}%")]
    col = width / 2
    for i, (k, v) in enumerate(facts):
        cx = x + (i % 2) * col
        cy = y - (i // 2) * 10 * mm * s
        c.setFillColorRGB(*GREY)
        c.setFont(font, 15 * s)
        c.drawString(cx, cy, k)
        c.setFillColorRGB(0, 0, 0)
        c.setFont(font, 17 * s)
        c.drawString(cx + 28 * mm * s, cy, v)
    y -= ((len(facts) + 1) // 2) * 10 * mm * s
    if p.description:
        c.setFillColorRGB(*GREY)
        y = draw_lines(c, wrap(p.description, font, 13 * s, width, 2), x, y, font, 13 * s, 6 * mm * s)
        c.setFillColorRGB(0, 0, 0)
    return y - 6 * mm * s


def _progress(c: Canvas, font: str, s: float, p: ProjectPublic, x: float, width: float, y: float) -> float:
    y = _heading(c, font, s, "建设进度", x, y, width)
    bar_h = 7 * mm * s
    c.setFillColorRGB(0.9, 0.9, 0.9)
    c.roundRect(x, y - bar_h + 4 * mm * s, width, bar_h, bar_h / 2, stroke=0, fill=1)
    if p.progress > 0:
        c.setFillColorRGB(*GREEN)
        c.roundRect(x, y - bar_h + 4 * mm * s, max(bar_h, width * min(p.progress, 100) / 100), bar_h, bar_h / 2,
                    stroke=0, fill=1)
    y -= bar_h + 6 * mm * s
    step = width / max(1, len(p.stages))
    for i, (name, date) in enumerate(p.stages):
        cx = x + i * step + step / 2
        c.setFillColorRGB(*(GREEN if date else (0.7, 0.7, 0.7)))
        c.circle(cx, y, 2.6 * mm * s, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0) if date else c.setFillColorRGB(0.55, 0.55, 0.55)
        c.setFont(font, 15 * s)
        c.drawCentredString(cx, y - 9 * mm * s, name)
        c.setFont(font, 11 * s)
        c.drawCentredString(cx, y - 15 * mm * s, date or "未到")
    c.setFillColorRGB(0, 0, 0)
    return y - 26 * mm * s


def _beneficiaries(c: Canvas, font: str, s: float, p: ProjectPublic, x: float, width: float, y: float) -> float:
    y = _heading(c, font, s, "利益联结", x, y, width)
    c.setFont(font, 17 * s)
    parts = [("带动农户 ", ""), (f"{p.households}", "big"), (" 户 ", ""), (f"{p.people}", "big"), (" 人", ""),
             (f", 涉及 {len(p.villages)} 个村", "")]
    if p.exited_households:
        parts.append((f", 其中已脱贫 {p.exited_households} 户", ""))
    cx = x
    for text, style in parts:
        size = 30 * s if style else 17 * s
        c.setFillColorRGB(*(RED if style else (0, 0, 0)))
        c.setFont(font, size)
        c.drawString(cx, y - 2 * mm * s, text)
        cx += c.stringWidth(text, font, size)
    c.setFillColorRGB(0, 0, 0)
    y -= 12 * mm * s
    shown = p.villages[:VILLAGES_SHOWN]
    col = width / 3
    for i, v in enumerate(shown):  # where the households live: counts per village, never a name
        cx, cy = x + (i % 3) * col, y - (i // 3) * 7 * mm * s
        label = f"{v.village} {v.households} 户 {v.people} 人"
        c.setFont(font, fit(label, font, 13 * s, col - 4 * mm * s, 9 * s))
        c.drawString(cx, cy, label)
    y -= ((len(shown) + 2) // 3) * 7 * mm * s
    if len(p.villages) > len(shown):
        c.setFillColorRGB(*GREY)
        c.setFont(font, 12 * s)
        c.drawString(x, y, f"另有 {len(p.villages) - len(shown)} 个村, 扫码查看")
        c.setFillColorRGB(0, 0, 0)
        y -= 7 * mm * s
    return y - 6 * mm * s


def _funds(c: Canvas, font: str, s: float, p: ProjectPublic, x: float, width: float, y: float, floor: float) -> None:
    y = _heading(c, font, s, "资金使用 (下达 → 到位 → 报账 → 支付)", x, y, width)
    if not p.funds:
        c.setFont(font, 15 * s)
        c.drawString(x, y, "项目尚未下达资金。")
        return
    cols = [("年度", 0.08), ("资金来源", 0.27), ("文号", 0.21), ("下达", 0.11), ("到位", 0.11), ("报账", 0.11),
            ("支付", 0.11)]
    row_h = 9 * mm * s
    rows = [(str(f.year), f.source_zh, f.document_number or "-", yuan_zh(f.allocated), yuan_zh(f.arrived),
             yuan_zh(f.reimbursed), yuan_zh(f.paid)) for f in p.funds]
    room = max(1, int((y - floor) // row_h) - 2)  # the header and the total take a row each
    hidden = 0
    if len(rows) > min(room, MAX_FUND_ROWS):
        keep = min(room, MAX_FUND_ROWS) - 1
        hidden = len(rows) - keep
        rows = rows[:keep]
    t = p.fund_totals()
    total = ("合计", f"{len(p.funds)} 笔" + (f" (另有 {hidden} 笔见扫码页面)" if hidden else ""), "",
             yuan_zh(t["allocated"]), yuan_zh(t["arrived"]), yuan_zh(t["reimbursed"]), yuan_zh(t["paid"]))
    for r, row in enumerate([tuple(name for name, _ in cols), *rows, total]):
        header = r == 0
        last = r == len(rows) + 1
        if header or last:
            c.setFillColorRGB(0.96, 0.92, 0.9)
            c.rect(x, y - 2.6 * mm * s, width, row_h, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        cx = x + 1.5 * mm * s
        for (name, share), cell in zip(cols, row):
            cw = width * share - 3 * mm * s
            numeric = name in ("下达", "到位", "报账", "支付") and not header
            size = fit(cell, font, 13 * s, cw, 8 * s)
            c.setFont(font, size)
            if numeric:
                c.drawRightString(cx + cw, y, cell)
            else:
                c.drawString(cx, y, cell if c.stringWidth(cell, font, size) <= cw else wrap(cell, font, size, cw, 1)[0])
            cx += width * share
        y -= row_h
