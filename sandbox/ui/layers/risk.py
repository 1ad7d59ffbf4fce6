"""风险 layer: each child region filled by its number of open risk hits, with the number on a chip above its name."""

from __future__ import annotations

from sandbox.ui.layers.counts import CountLayer
from sandbox.ui.risk import COUNT_BREAKS, RiskBoard, count_class

__all__ = ["RiskLayer", "RISK_COLOURS", "RISK_KEY"]

# count class → fill (0 no open hit, 1 a few, 2 several, 3 many)
RISK_COLOURS = ("#2a3b4f", "#d8c34a", "#ee8a2a", "#d9413a")
# the key the panel shows (the indicator legend is hidden while this layer colours the map)
RISK_KEY = ((1, f"1–{COUNT_BREAKS[0] - 1} 条"), (2, f"{COUNT_BREAKS[0]}–{COUNT_BREAKS[1] - 1} 条"),
            (3, f"≥{COUNT_BREAKS[1]} 条"), (0, "无"))


class RiskLayer(CountLayer):
    name = "risk"
    title_zh = "风险"
    chip_priority = 3  # open risk leads first: over 督办's and 走访's chips
    board: RiskBoard | None

    def chip_rank(self, code: str) -> float:
        return float(self.count_of(code))

    def count_of(self, code: str) -> int:
        counts = self.board.children.get(code) if self.board is not None else None
        return counts.total if counts is not None else 0

    def colour_of(self, code: str) -> str:
        return RISK_COLOURS[count_class(self.count_of(code))]

    def chip_of(self, code: str) -> tuple[str, str] | None:
        n = self.count_of(code)
        return (f"线索 {n}", "#ffb199" if count_class(n) == 3 else "#ffe08a") if n else None
