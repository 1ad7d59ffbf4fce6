"""Panels of the wall: the KPI strip on top and the region's column (五个一批, 致贫原因, 两不愁三保障, trend)."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["KpiStrip", "KpiCard", "PanelsColumn", "ExitBatchPanel", "CausePanel", "GuaranteePanel", "TrendPanel"]

# Imported on first use, so `sandbox.ui.panels.model` stays usable (and testable) without Qt.
_WHERE = {
    "KpiStrip": "kpi", "KpiCard": "kpi_card", "PanelsColumn": "column", "ExitBatchPanel": "breakdowns",
    "CausePanel": "breakdowns", "GuaranteePanel": "breakdowns", "TrendPanel": "trend",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
