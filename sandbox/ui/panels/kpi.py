"""KPI strip across the top of the wall: its counters (kpi_card) for the region on screen, last year's figures for the change, the as-of block."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from sandbox.ui.fmt import year_as_of
from sandbox.ui.paint_cache import font_metrics
from sandbox.ui.panels.kpi_card import KpiCard
from sandbox.ui.panels.model import KpiFigure, as_of_text, kpi_figures
from sandbox.ui.panels.paint import (
    Composition,
    PaintedWidget,
    PanelColors,
    TextItem,
    text_width,
)
from sandbox.ui.panels.worker import BackgroundCall
from sandbox.ui.theme import Metrics, metrics_for_height

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient

__all__ = ["KpiStrip", "AsOfBlock"]

_CACHE_LIMIT = 256


class AsOfBlock(PaintedWidget):
    """The strip's last column: which region and year, and 数据截至 …."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.region_line = ""
        self.as_of_line = ""
        # The widest lines shown at these metrics: the block never narrows, so the strip keeps its layout
        # from level to level (黔南布依族苗族自治州 then 独山县) and what was painted ahead at those widths holds.
        self._widest = 0
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def content_key(self) -> object:
        return self.region_line, self.as_of_line

    def set_lines(self, region_line: str, as_of_line: str) -> None:
        self.region_line, self.as_of_line = region_line, as_of_line
        self.setFixedWidth(self._width())
        self.invalidate()

    def _fonts(self):
        return self.scaled_font(20, bold=True), self.scaled_font(15)

    def _natural_width(self) -> int:
        a, b = self._fonts()
        return math.ceil(max(text_width(self.region_line, a), text_width(self.as_of_line, b),
                             text_width("数据截至 2020年12月31日", b))) + 2 * self.metrics.px(12) + 2

    def _width(self) -> int:
        self._widest = max(self._widest, self._natural_width())
        return self._widest

    def set_metrics(self, metrics: Metrics) -> None:
        if metrics != self.metrics:
            self._widest = 0  # other fonts: measured afresh
        super().set_metrics(metrics)
        self.setFixedWidth(self._width())

    def sizeHint(self) -> QSize:
        return QSize(self._width(), self.metrics.px(100))

    def compose(self, w: float, h: float) -> Composition:
        comp = Composition()
        a, b = self._fonts()
        pad = self.metrics.px(12)
        ha, hb = math.ceil(font_metrics(a).height()), math.ceil(font_metrics(b).height())
        gap = self.metrics.px(6)
        y = (h - ha - hb - gap) / 2
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if self.region_line:
            comp.texts.append(TextItem.fitted(self.region_line, a, QRectF(pad, y, w - 2 * pad, ha), "#ffffff",
                                              right, "region"))
        if self.as_of_line:
            comp.texts.append(TextItem.fitted(self.as_of_line, b, QRectF(pad, y + ha + gap, w - 2 * pad, hb),
                                              PanelColors.muted, right, "as_of"))
        return comp


class KpiStrip(QWidget):
    """The counters of the region on screen. Drive it with `update_region(GET /regions/{code} dict)`.

    With a client, last year's figures are fetched on a worker thread (once per region and year) for
    the 较上年 line; without one, the change shows only for years this strip has already seen.
    """

    figuresChanged = Signal()

    def __init__(self, client: ApiClient | None = None, parent: QWidget | None = None, *,
                 animate: bool = True):
        super().__init__(parent)
        self.setObjectName("kpiStrip")
        self.client = client
        self.animate = animate
        self.metrics: Metrics = metrics_for_height(1080)
        self.region: dict | None = None
        self._cache: dict[tuple[str, int], Mapping[str, Any]] = {}
        self._cache_as_of: tuple | None = None  # (as_of, imported_at) the cache holds figures of
        self._asked: set[tuple[str, int]] = set()
        self.cards: dict[str, KpiCard] = {}
        lay = QHBoxLayout(self)
        for fig in kpi_figures(None):
            card = KpiCard(fig)
            self.cards[fig.key] = card
            lay.addWidget(card, 1)
        self.as_of_block = AsOfBlock()
        lay.addWidget(self.as_of_block, 0)
        self._call: BackgroundCall | None = None
        if client is not None:
            self._call = BackgroundCall(self)
            self._call.done.connect(self._on_previous)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_metrics(self.metrics, force=True)

    # -- public API ---------------------------------------------------------------------------------
    def card(self, key: str) -> KpiCard:
        return self.cards[key]

    def figures(self) -> list[KpiFigure]:
        return [c.figure for c in self.cards.values()]

    def set_animated(self, on: bool) -> None:
        self.animate = bool(on)
        if not on:
            self.finish_animations()

    def set_defer(self, defer) -> None:
        """Start last year's fetch through `defer` (see BackgroundCall.defer)."""
        if self._call is not None:
            self._call.defer = defer

    def finish_animations(self) -> None:
        """Jump every counter to its final value (before a screenshot)."""
        for c in self.cards.values():
            c.finish_animation()

    def stop_counting(self, loading: bool = True) -> None:
        """A new level's data is on its way (`loading`): counters still counting up to the level about to
        go jump to their final values (kept pictures, a blit each), so their frames do not take the GUI
        thread from the answer and the new level's first frame (issue 19); the new level counts from there."""
        if loading:
            for c in self.cards.values():
                if c.animating:
                    c.finish_animation()

    @property
    def animating(self) -> bool:
        return any(c.animating for c in self.cards.values())

    def set_metrics(self, metrics: Metrics, *, force: bool = False) -> None:
        if metrics == self.metrics and not force:
            return
        self.metrics = metrics
        for c in self.cards.values():
            c.set_metrics(metrics)
        self.as_of_block.set_metrics(metrics)
        lay = self.layout()
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(metrics.px(12))
        h = max(c.card_height() for c in self.cards.values())
        self.setFixedHeight(h)

    def update_region(self, region: Mapping[str, Any] | None) -> None:
        if not region:
            return
        region = dict(region)
        self.region = region
        code, year = str(region.get("code") or ""), region.get("year")
        as_of = (region.get("as_of"), region.get("imported_at"))  # a corrected register may keep its date
        if as_of != self._cache_as_of:  # new data on the server: last year's figures may have moved too
            self._cache.clear()
            self._asked.clear()
            self._cache_as_of = as_of
        if code and isinstance(year, int):
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[(code, year)] = _remembered(region)
            # The region carries its own figures in every year: last year's need no request.
            previous = _series_previous(region)
            if previous is not None:
                self._cache[(code, year - 1)] = previous
        self._apply(animate=self.animate)
        self._ask_previous(code, year, region.get("years") or [])
        self.as_of_block.set_lines(*_as_of_lines(region))

    def paint_ahead(self, region: Mapping[str, Any] | None) -> None:
        """Paint ahead what the cards will show first once `update_region(region)` is called (with the
        figures of last year known now); nothing on screen changes."""
        if not region:
            return
        code, year = str(region.get("code") or ""), region.get("year")
        # last year's figures as update_region will have them: from the region's own series first (a level
        # never shown is not in the cache yet, and painted without its 较上年 lines the click renders anew)
        previous = _series_previous(region)
        if previous is None and isinstance(year, int) and self._cache_as_of == (region.get("as_of"),
                                                                               region.get("imported_at")):
            previous = self._cache.get((code, year - 1))
        for fig in kpi_figures(region, previous):
            self.cards[fig.key].paint_ahead_figure(fig, animate=self.animate)
        region_line, as_of_line = _as_of_lines(region)  # (kept only if its width stays: it usually does)
        self.as_of_block.paint_ahead(region_line=region_line, as_of_line=as_of_line)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        if self._call is not None:
            self._call.shutdown(timeout_ms)

    # -- internals ----------------------------------------------------------------------------------
    def _previous(self) -> Mapping[str, Any] | None:
        r = self.region or {}
        year = r.get("year")
        if not isinstance(year, int):
            return None
        return self._cache.get((str(r.get("code") or ""), year - 1))

    def _apply(self, *, animate: bool) -> None:
        for fig in kpi_figures(self.region, self._previous()):
            self.cards[fig.key].set_figure(fig, animate=animate)
        self.figuresChanged.emit()

    def _ask_previous(self, code: str, year: Any, years: list) -> None:
        if self._call is None or not code or not isinstance(year, int):
            return
        key = (code, year - 1)
        if key in self._cache or key in self._asked or (years and (year - 1) not in years):
            return
        self._asked.add(key)
        self._call.submit(_fetch_previous, self.client, code, year - 1)

    def _on_previous(self, result: tuple[str, int, dict]) -> None:
        code, year, region = result
        self._cache[(code, year)] = _remembered(region)
        cur = self.region or {}
        if str(cur.get("code")) == code and cur.get("year") == year + 1:
            self._apply(animate=False)  # only the change lines are new; the counters stay put


def _as_of_lines(region: Mapping[str, Any]) -> tuple[str, str]:
    """The strip's last column for a region: '百泉镇 · 2020年度' and its 数据截至 line."""
    code, year = str(region.get("code") or ""), region.get("year")
    name = region.get("name") or code
    return (f"{name} · {year}年度" if year else str(name)), as_of_text(year_as_of(region.get("as_of"), year),
                                                                      region.get("imported_at"))


def _remembered(region: Mapping[str, Any]) -> dict:
    """What a year's cards need of it as "last year": its indicators, and why a rate had none."""
    out = dict(region.get("indicators") or {})
    out["indicator_notes"] = region.get("indicator_notes") or {}
    return out


def _series_previous(region: Mapping[str, Any]) -> dict | None:
    """Last year's figures from the region's own `series` (every year rides along), if it has them."""
    series, year = region.get("series"), region.get("year")
    previous = series.get(str(year - 1)) if isinstance(series, Mapping) and isinstance(year, int) else None
    return _remembered_of_series(previous) if isinstance(previous, Mapping) else None


def _remembered_of_series(values: Mapping[str, Any]) -> dict:
    """A year of the region's `series` in the form of `_remembered` (its notes ride along)."""
    out = dict(values)
    out["indicator_notes"] = values.get("indicator_notes") or {}
    return out


def _fetch_previous(client: ApiClient, code: str, year: int) -> tuple[str, int, dict]:
    region = client.region(code, year)
    if not isinstance(region, dict):
        raise TypeError("region payload is not an object")
    return code, year, region
