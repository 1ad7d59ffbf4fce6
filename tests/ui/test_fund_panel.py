"""The fund chain panel on its own: a region without any allocation is no data, not a balanced chain."""

from __future__ import annotations

import pytest

from sandbox.ui.fund_panel import FundChainPanel

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

STAGES = ("allocated", "arrived", "filed", "reimbursed", "paid")


def _chain(amount: float, allocations: int) -> dict:
    """A chain as GET /funds/chain gives it, every stage holding `amount`."""
    steps = [{"stage": s, "label_zh": s, "amount": amount, "rate_of_previous": None, "rate_of_allocated": None}
             for s in STAGES]
    return {"total": {"amounts": {s: amount for s in STAGES}, "steps": steps,
                      "arrival_rate": 100.0 if amount else None, "spend_rate": 100.0 if amount else None,
                      "allocations": allocations, "payments": allocations},
            "anomalies": [], "regions": [], "projects": []}


def test_a_region_without_allocations_says_no_data(qtbot):
    panel = FundChainPanel()
    qtbot.addWidget(panel)
    panel.set_chain(_chain(0.0, 0), "某县")  # an imported register without any fund records
    assert panel.rates.text() == "暂无资金数据"
    assert "平衡" not in panel.anomaly_title.text()
    assert panel.bars.amounts() == {} and panel.bars.isHidden()  # no bars of zeros


def test_a_chain_with_money_and_no_anomaly_is_balanced(qtbot):
    panel = FundChainPanel()
    qtbot.addWidget(panel)
    panel.set_chain(_chain(1_000_000.0, 3), "某县")
    assert panel.rates.text().startswith("累计到位率 100.0%")
    assert panel.anomaly_title.text() == "资金链平衡，未发现异常"
    assert not panel.bars.isHidden()


EXPLANATION = ("“百泉镇易地扶贫搬迁安置点”的资金(黔财农〔2017〕38号)到位 574.12 万元,却已支付 576.22 万元,超出 2.10 万元: "
               "资金链不平, 需核实多付款项的收款方与凭证。")


def _anomalous_chain() -> dict:
    chain = _chain(1_000_000.0, 3)
    kinds = ["overpaid"] + ["idle"] * 8 + ["paid_no_progress"]
    chain["anomalies"] = [{"kind": k, "kind_zh": k, "explanation_zh": EXPLANATION if k == "overpaid" else "闲置"}
                          for k in kinds]
    return chain


def _text_fits(label) -> bool:
    """The label's text, wrapped as the label wraps it, inside the label's rectangle."""
    from PySide6.QtCore import QRect, Qt

    r = label.contentsRect()
    box = label.fontMetrics().boundingRect(QRect(0, 0, r.width(), 100000), int(Qt.TextFlag.TextWordWrap), label.text())
    return box.width() <= r.width() and box.height() <= r.height()


@pytest.mark.parametrize("height", [1080, 2160])
def test_an_explanation_without_room_ends_its_last_whole_line_in_an_ellipsis(qtbot, height):
    """The wall's side column at 1080p and 4K gives the panel less height than the explanation wants: it is
    cut to whole lines inside the panel, the last ending in "…" — not "…需核实多付款项的收款" as if that were all."""
    from sandbox.ui.theme import metrics_for_height

    panel = FundChainPanel()
    qtbot.addWidget(panel)
    panel.show()
    m = metrics_for_height(height)
    panel.set_metrics(m)  # as the wall does once shown: the fonts at the wall's size
    panel.set_chain(_anomalous_chain(), "独山县", 2020)
    expl = panel.explanation
    assert panel.explanation_full == "· " + EXPLANATION
    assert expl.font().pixelSize() == m.px(15)
    width = m.px(384)
    panel.resize(width, m.px(2000))  # room for anything: the whole text, uncut
    panel.resize(width, panel.heightForWidth(width))  # just the room it wants
    qtbot.wait(10)
    assert expl.text() == "· " + EXPLANATION and _text_fits(expl)
    panel.resize(width, panel.heightForWidth(width) - 2 * expl.fontMetrics().lineSpacing() + 3)  # less room
    qtbot.waitUntil(lambda: expl.text() != panel.explanation_full, timeout=2000)
    qtbot.wait(10)
    assert expl.text().endswith("…") and len(expl.text().split("\n")) >= 1
    assert _text_fits(expl)  # every kept line inside the label, none cut through its glyphs
    inner = panel.contentsRect().marginsRemoved(panel.layout().contentsMargins())
    assert inner.contains(expl.geometry()) and expl.geometry().bottom() <= panel.note.geometry().top()
    kept = expl.text().replace("\n", "").rstrip("…").replace(" ", "")
    assert ("· " + EXPLANATION).replace(" ", "").startswith(kept)  # the start of the sentence, nothing else
    panel.select(panel.anomalies()[1:2])  # a click on another ⚠: a short text, shown whole
    assert expl.text() == "· 闲置"


def test_an_explanation_with_no_room_at_all_does_not_count_itself_as_listed(qtbot):
    """The 4K wall's column can leave the explanation no line at all: the note then must not say "另有 9 处未列出"
    (one listed) over an empty list; with room again it says so again."""
    from sandbox.ui.fund_panel import NO_ROOM_NOTE
    from sandbox.ui.theme import metrics_for_height

    panel = FundChainPanel()
    qtbot.addWidget(panel)
    panel.show()
    m = metrics_for_height(2160)
    panel.set_metrics(m)
    panel.set_chain(_anomalous_chain(), "独山县", 2020)
    width = m.px(384)
    panel.resize(width, m.px(2000))
    qtbot.wait(10)
    assert panel.note.text().startswith("另有 9 处未列出")
    full = panel.heightForWidth(width)
    panel.resize(width, full - panel.explanation.height() - 4)  # the explanation's room taken away
    qtbot.waitUntil(lambda: panel.explanation.text() == "", timeout=2000)
    assert panel.note.text() == NO_ROOM_NOTE
    panel.resize(width, m.px(2000))
    qtbot.waitUntil(lambda: panel.explanation.text() == panel.explanation_full, timeout=2000)
    assert panel.note.text().startswith("另有 9 处未列出")


def test_lines_are_cut_with_an_ellipsis_that_fits_the_width(qtbot):
    from PySide6.QtGui import QFontMetricsF

    from sandbox.ui.text_fit import elide_lines, wrap_lines
    from sandbox.ui.theme import ui_font

    font = ui_font(15)
    lines = wrap_lines(EXPLANATION, font, 358)
    assert len(lines) == 4 and "".join(lines) == EXPLANATION
    assert elide_lines(EXPLANATION, font, 358, 4) == EXPLANATION
    cut = elide_lines(EXPLANATION, font, 358, 3).split("\n")
    assert len(cut) == 3 and cut[-1].endswith("…") and cut[:2] == [s.rstrip() for s in lines[:2]]
    assert all(QFontMetricsF(font).horizontalAdvance(s) <= 358 for s in cut)
    assert elide_lines("第一段\n第二段", font, 358, 1) == "第一段…"
