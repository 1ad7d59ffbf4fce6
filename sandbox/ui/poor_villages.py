"""Poor villages (贫困村) on a town's map: a dashed inner outline, amber until the year they exit, then green."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen

from sandbox.ui.theme import Metrics

__all__ = ["POOR_COLOUR", "EXITED_COLOUR", "EXIT_TAG", "poor_state", "paint_poor_outlines", "legend_text"]

POOR_COLOUR = "#ffb020"  # a poor village not yet out of the list
EXITED_COLOUR = "#3ddc84"  # out of the list (出列) in or before the year on screen
EXIT_TAG = "出列"  # under the village's name in the year it exits


def poor_state(feature, year: int | None) -> str | None:
    """None (not a poor village), "poor" (still listed at the end of `year`), "exiting" (exits in `year`)
    or "exited" (exited in an earlier year)."""
    if not feature.is_poor_village:
        return None
    exit_year = feature.properties.get("poor_village_exit_year")
    if exit_year is None or year is None or int(exit_year) > int(year):
        return "poor"
    return "exiting" if int(exit_year) == int(year) else "exited"


def paint_poor_outlines(p: QPainter, layer, m: Metrics, *, scaled: bool = False) -> None:
    """Inside each poor village's edge, a dashed band (the outer half of the stroke is clipped away, so
    neighbours' fills and borders stay as they are); `scaled`: its width scales with the painter's
    transform (see map_layer.paint_base)."""
    rm = layer.source
    if rm is None or not layer.paths:
        return
    year = rm.year
    width = max(2.0, m.px(5))
    for f in rm.features:
        state = poor_state(f, year)
        path = layer.paths.get(f.code)
        if state is None or path is None:
            continue
        pen = QPen(QColor(POOR_COLOUR if state == "poor" else EXITED_COLOUR), width, Qt.PenStyle.DashLine,
                   Qt.PenCapStyle.FlatCap, Qt.PenJoinStyle.RoundJoin)
        pen.setDashPattern([2.2, 1.4])
        pen.setCosmetic(not scaled)
        p.save()
        p.setClipPath(path, Qt.ClipOperation.IntersectClip)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(pen)
        p.drawPath(path)
        p.restore()


LEGEND_ELSEWHERE = "乡镇地图上: 橙虚线框为贫困村, 绿虚线框为已出列"


def legend_text(features, year: int | None) -> str:
    """The legend's line for the outlines and the 出列 tag; on a map without villages, where to find them."""
    states = [poor_state(f, year) for f in features]
    listed, out = states.count("poor"), states.count("exiting") + states.count("exited")
    if not listed and not out:
        return LEGEND_ELSEWHERE
    text = f"橙虚线框 贫困村 {listed} 个 · 绿虚线框 已出列 {out} 个"
    if states.count("exiting"):
        text += f" · 标“{EXIT_TAG}”: {year} 年出列"
    return text
