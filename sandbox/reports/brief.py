"""The 村情/镇情 briefing an inspection group takes along (A4 PDF): figures, map, trend, gaps, 督办, households."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sandbox.reports.brief_charts import ChildrenMap, PlainRows, TrendChart
from sandbox.reports.brief_data import BriefData
from sandbox.reports.fonts import cjk_font

__all__ = ["render_brief", "MAX_HOUSEHOLD_ROWS"]

MAX_HOUSEHOLD_ROWS = 4000  # every demo town complete (3,431 at most: 麻万镇 in 2014); beyond, counted, not printed
RED = colors.Color(0.65, 0.11, 0.11)
MARGIN = 15 * mm


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontSize=20, leading=26, textColor=RED),
        "sub": ParagraphStyle("sub", base, fontSize=9, textColor=colors.grey),
        "h": ParagraphStyle("h", base, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4, textColor=RED),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11),
        "note": ParagraphStyle("note", base, fontSize=8.5, textColor=colors.grey),
    }


def _table(rows: list[list], widths: list[float], font: str, long: bool = False, size: float = 8.5) -> Table:
    cls = LongTable if long else Table
    t = cls(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, size),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.89, 0.87)),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.Color(0.75, 0.75, 0.75)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return t


def _n(v) -> str:
    return "—" if v is None else str(v)


def render_brief(path_or_file, data: BriefData) -> int:
    """Writes the brief; returns its number of pages."""
    font = cjk_font()
    st = _styles(font)
    width = A4[0] - 2 * MARGIN
    pages = [0]

    def footer(c, doc) -> None:
        pages[0] = doc.page
        c.saveState()
        c.setFont(font, 7.5)
        c.setFillColor(colors.grey)
        note = f"{data.name} {data.level_zh}情简报 · 按「{data.role_zh}」权限脱敏 · 生成于 {data.generated_at}"
        if data.demo:
            note += " · 演示数据, 人名与数字为虚构"
        c.drawString(MARGIN, 9 * mm, note)
        c.drawRightString(A4[0] - MARGIN, 9 * mm, f"第 {doc.page} 页")
        c.restoreState()

    doc = SimpleDocTemplate(path_or_file, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=16 * mm, title=f"{data.name} {data.level_zh}情简报",
                            author=f"{data.county}脱贫攻坚指挥部" if data.county else "脱贫攻坚指挥部",
                            subject="督查简报")
    story: list = [
        Paragraph(f"{data.name} {data.level_zh}情简报", st["title"]),
        Paragraph(f"{data.county} · 区划代码 {data.code} · {data.year or '—'} 年末数据 · "
                  f"数据截至 {data.as_of or '未知'}", st["sub"]),
        Spacer(1, 4 * mm),
        Paragraph("一、主要指标", st["h"]),
    ]
    half = (len(data.figures) + 1) // 2
    left, right = data.figures[:half], data.figures[half:]
    rows = [["指标", "数值", "指标", "数值"]]
    for i in range(half):
        a = left[i]
        b = right[i] if i < len(right) else ("", "")
        rows.append([a[0], a[1], b[0], b[1]])
    story.append(_table(rows, [width * 0.3, width * 0.2, width * 0.3, width * 0.2], font, size=9))
    story.append(Paragraph(f"数据截至 {data.as_of or '未知'}; 指标口径见大屏指标说明。", st["note"]))

    if data.children:
        story += [Paragraph(f"二、下辖{data.child_level_zh}分布 (贫困发生率)", st["h"]),
                  ChildrenMap(data.children, font, width, 105 * mm), Spacer(1, 2 * mm)]
        rows = [[data.child_level_zh, "贫困发生率", "贫困户", "待办督办", "超期"]]
        for ch in data.children:
            rows.append([ch.name, "—" if ch.poverty_incidence is None else f"{ch.poverty_incidence:.2f}%",
                         _n(ch.poor_households), str(ch.open), str(ch.overdue)])
        story.append(_table(rows, [width * 0.32, width * 0.17, width * 0.17, width * 0.17, width * 0.17], font,
                            long=True))

    story += [Paragraph("三、贫困发生率趋势", st["h"]), TrendChart(data.trend, font, width, 55 * mm)]

    story.append(Paragraph("四、两不愁三保障短板", st["h"]))
    rows = [["保障项目", "保障率", "未达标户数"]] + [list(g) for g in data.gaps]
    story.append(_table(rows, [width * 0.4, width * 0.3, width * 0.3], font, size=9))

    story.append(Paragraph("五、督办事项 (督查问题、整改、投诉、指令)", st["h"]))
    d = data.duty_counts
    story.append(Paragraph(
        f"待办共 {d.get('open', 0)} 件, 其中超期 {d.get('overdue', 0)} 件; 指令待办 {d.get('open_instructions', 0)} 件"
        f" (超期 {d.get('overdue_instructions', 0)}); 督查问题待整改 {d.get('open_findings', 0)} 件; "
        f"整改中 {d.get('open_rectifications', 0)} 件 (超期 {d.get('overdue_rectifications', 0)}); "
        f"本月投诉 {d.get('complaints_month', 0)} 件, 未答复 {d.get('open_complaints', 0)} 件。", st["base"]))
    if data.items is None:
        story.append(Paragraph("按当前权限只列数量, 不列事项内容。", st["note"]))
    elif not data.items:
        story.append(Paragraph("无待办事项。", st["note"]))
    else:
        rows = [["类别", "地区", "事项", "提出", "期限", "超期天数"]]
        for it in data.items:
            rows.append([it.kind_zh, Paragraph(it.region_name, st["cell"]), Paragraph(it.title, st["cell"]),
                         it.opened, it.deadline or "—", "" if not it.overdue_days else str(it.overdue_days)])
        story.append(_table(rows, [width * w for w in (0.1, 0.18, 0.4, 0.12, 0.12, 0.08)], font, long=True))
        if data.items_total > len(data.items):
            story.append(Paragraph(f"另有 {data.items_total - len(data.items)} 件未列出。", st["note"]))

    story.append(Paragraph("六、未脱贫户名单", st["h"]))
    if data.year is None:
        story.append(Paragraph("尚无建档立卡数据。", st["note"]))
    elif data.households is None:
        story.append(Paragraph("按当前权限不含户级信息。", st["note"]))
    elif not data.households:
        story.append(Paragraph("无未脱贫户。", st["note"]))
    else:
        rows = [[h.village, h.number, h.head_name or "—", h.id_number or "—", _n(h.members), h.attribute_zh,
                 h.cause_zh, h.status_zh] for h in data.households]
        story.append(PlainRows(["村", "户编号", "户主", "身份证号", "人数", "属性", "主要致贫原因", "状态"], rows,
                               [width * w for w in (0.11, 0.175, 0.085, 0.2, 0.05, 0.12, 0.16, 0.08)], font))
        if data.households_total > len(data.households):
            story.append(Paragraph(f"共 {data.households_total} 户, 此处列出前 {len(data.households)} 户; "
                                   "完整名单请在系统中按村查询。", st["note"]))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return pages[0]
