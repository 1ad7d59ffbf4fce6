"""A layer part the API could not give says 暂时无法获取 where it would have shown, never a false empty."""

from __future__ import annotations

from typing import Any

__all__ = ["UNAVAILABLE", "apply_layer_errors", "PART_ZH"]

UNAVAILABLE = "暂时无法获取"
PART_ZH = {"projects": "项目", "funds": "资金链", "checkins": "走访签到", "visits": "走访率", "cameras": "摄像头"}


def apply_layer_errors(wall: Any, data: Any) -> None:
    """After the layers of `data` (a LayersData) were drawn: mark the parts that failed."""
    errors = dict(getattr(data, "errors", {}) or {})
    wall.checkin_layer.error = errors.get("checkins")
    if "funds" in errors:
        wall.fund_panel.bars.setVisible(False)  # no 0.0 万元 bars for money we could not ask about
        wall.fund_panel.rates.setText(f"资金数据{UNAVAILABLE}（{errors['funds']}）")
    if errors:
        parts = "、".join(PART_ZH.get(k, k) for k in errors)
        wall.canvas.show_note(f"{parts}{UNAVAILABLE}，恢复连接后自动更新", 6000)
    wall.canvas.update()  # the legend's check-in line reads the layer's error
