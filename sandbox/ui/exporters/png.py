"""Export what the wall shows: a PNG of any widget, and the map view as a self-contained HTML file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from sandbox.ui.exporters.html import ExportError, export_html, feature_collection_of

__all__ = ["export_png", "export_view_html"]


def export_png(widget: QWidget, path: str | Path) -> Path:
    """Save `widget` (a WallWindow, the map canvas, any panel) as painted now, at its current size."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(out), "PNG"):
        raise OSError(f"无法写入 PNG 文件：{out}")
    return out


def export_view_html(window: Any, path: str | Path) -> Path:
    """The wall's current map view (region, indicator, selection) as an interactive HTML file."""
    state = window.state
    rm = state.map.region_map
    if state.region is None or rm is None:
        raise ExportError("大屏尚未加载数据，无法导出")
    registry = [dataclasses.asdict(i) for i in state.map.indicators.values()] or None
    return export_html(state.region, feature_collection_of(rm), dataclasses.asdict(state.map.indicator), path,
                       indicators=registry, selected=state.map.selected_code)
