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
