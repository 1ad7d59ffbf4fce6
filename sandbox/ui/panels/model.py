"""Plain-Python figures for the panels, read from GET /regions/{code} and /trend payloads (no Qt)."""

# Everything a panel shows is decided here, so what appears on the wall is testable without a
# display; the Qt side only lays out and paints these values.

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.domain import indicators as registry
from sandbox.domain import rules
from sandbox.domain.enums import ExitBatch, PovertyCause
from sandbox.ui.fmt import NO_DATA_TEXT, note_of

__all__ = [
    "KpiFigure", "BarRow", "CauseSlice", "CauseBreakdown", "GuaranteeRow", "TrendSeries", "TrendDataError",
    "KPI_KEYS", "EXIT_LINES", "as_of_text", "number_text", "kpi_figures", "exit_batch_rows", "cause_breakdown",
    "guarantee_rows", "parse_trend", "indicator_label", "is_number",
]

# Indicators with an exit threshold drawn on the trend (sandbox.domain.rules: the exit line). Policy
# may change per year or province, so callers can pass their own mapping.
EXIT_LINES: Mapping[str, float] = rules.EXIT_LINES


def is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def _num(value: Any) -> float | None:
    return float(value) if is_number(value) else None


def as_of_text(iso: str | None, imported_at: str | None = None) -> str:
    """'2020-12-31T00:00:00+08:00' → '数据截至 2020年12月31日' (the time only when it is not midnight).

    With `imported_at` (real registers): '数据截至 2020年12月31日 · 导入于 2021年03月05日'; a register
    that stated no date of its own has only its import time, which is said as such (导入于 …)."""
    if imported_at and iso == imported_at:
        return f"导入于 {_date_text(imported_at)}"
    if not iso:
        return "数据截至 未知"
    text = f"数据截至 {_date_text(iso)}"
    if imported_at:
        text += f" · 导入于 {_date_text(imported_at, time=False)}"
    return text


def _date_text(iso: str, time: bool = True) -> str:
    try:
        dt = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    date = f"{dt.year}年{dt.month:02d}月{dt.day:02d}日"
    if time and (dt.hour, dt.minute) != (0, 0):
        date += f" {dt.hour:02d}:{dt.minute:02d}"
    return date


def number_text(value: float | None, decimals: int) -> str:
    """Thousands-separated number without a unit; None → 无数据."""
    if value is None or not math.isfinite(value):
        return NO_DATA_TEXT
    return f"{value:,.{decimals}f}"


def _rate_decimals(value: float) -> int:
    # Same rule as the map (sandbox.ui.fmt.format_value): tiny rates keep two decimals.
    return 2 if 0 < abs(value) < 1 else 1


def indicator_label(key: str) -> tuple[str, str]:
    """(label_zh, unit) of an indicator from the built-in registry; unknown keys stay readable."""
    try:
        ind = registry.get(key)
    except KeyError:
        return "未知指标", ""
    return ind.label_zh, ind.unit


def _higher_is_better(key: str) -> bool | None:
    try:
        return registry.get(key).higher_is_better
    except KeyError:
        return None


# -- KPI strip ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KpiFigure:
    """One counter of the KPI strip."""

    key: str
    label: str
    unit: str  # drawn smaller after the number
    value: float | None  # None = 无数据
    decimals: int = 0
    total: float | None = None  # shown as "value / total" (贫困村出列)
    note: str = ""  # the small line under the number: change versus last year, or a remark
    tone: str = "neutral"  # good | bad | neutral: colour of the note
    empty: str = NO_DATA_TEXT  # shown instead of a number: 无数据, or why there is none (无贫困户)

    @property
    def number_text(self) -> str:
        if self.value is None:
            return self.empty
        text = number_text(self.value, self.decimals)
        if self.total is not None:
            text += f" / {number_text(self.total, 0)}"
        return text

    @property
    def unit_text(self) -> str:
        return "" if self.value is None else self.unit

    @property
    def display_text(self) -> str:
        """Number and unit as one string ('46,572人', '15.1%', '40 / 74个', '无数据')."""
        return self.number_text + self.unit_text


# (key, label on the wall); the unit comes from the registry. 贫困村 is handled apart.
KPI_KEYS: tuple[tuple[str, str], ...] = (
    ("poor_population", "贫困人口"),
    ("poverty_incidence", "贫困发生率"),
    ("exited_population", "累计脱贫人口"),
    ("exits_in_year", "当年脱贫人口"),
    ("poor_villages", "贫困村出列"),
    ("cadres", "帮扶干部"),
    ("fund_arrival_rate", "当年资金到位率"),  # the year's allocations; the fund-chain panel shows 累计
    ("satisfaction_rate", "群众认可度"),
)


# Stocks whose change is plainly good or bad; flows such as 当年脱贫 shrink as the work finishes,
# and more or fewer cadres is not a verdict, so their change is shown in a neutral colour.
TONED_KEYS = frozenset({"poor_population", "poverty_incidence", "exited_population", "fund_arrival_rate",
                        "satisfaction_rate"})


def _delta_note(key: str, now: float | None, before: float | None, unit: str, decimals: int) -> tuple[str, str]:
    if now is None or before is None:
        return "", "neutral"
    diff = round(now - before, decimals)
    if diff == 0:
        return "与上年持平", "neutral"
    if unit == "%":
        verb, amount = ("上升" if diff > 0 else "下降"), f"{abs(diff):,.{decimals}f}个百分点"
    else:
        verb, amount = ("增加" if diff > 0 else "减少"), f"{abs(diff):,.{decimals}f}{unit}"
    hib = _higher_is_better(key) if key in TONED_KEYS else None
    tone = "neutral" if hib is None else ("good" if (diff > 0) == hib else "bad")
    return f"较上年{verb} {amount}", tone


def kpi_figures(region: Mapping[str, Any] | None,
                previous: Mapping[str, Any] | None = None) -> list[KpiFigure]:
    """The strip's counters for a region payload; `previous` is last year's `indicators` dict (with
    last year's `indicator_notes` under that key, when known)."""
    ind = (region or {}).get("indicators") or {}
    notes = (region or {}).get("indicator_notes")
    prev = previous or {}
    out: list[KpiFigure] = []
    for key, label in KPI_KEYS:
        if key == "poor_villages":
            out.append(_villages_figure(label, ind))
            continue
        _, unit = indicator_label(key)
        value = _num(ind.get(key))
        decimals = _rate_decimals(value) if unit == "%" and value is not None else (1 if unit == "%" else 0)
        note, tone = _delta_note(key, value, _num(prev.get(key)), unit, decimals)
        if previous is not None and value is not None and _num(prev.get(key)) is None:
            before = note_of(prev.get("indicator_notes"), key)  # 无下达资金: not unknown
            note = f"上年{before}" if before else "上年无数据"
        empty = note_of(notes, key) if value is None else None
        if empty:  # a rate over nothing (无下达资金): said in the number's place, nothing to compare
            note = ""
        out.append(KpiFigure(key, label, unit, value, decimals, note=note, tone=tone, empty=empty or NO_DATA_TEXT))
    return out


def _villages_figure(label: str, ind: Mapping[str, Any]) -> KpiFigure:
    total, exited = _num(ind.get("poor_villages")), _num(ind.get("exited_poor_villages"))
    if total is None or exited is None:
        return KpiFigure("poor_villages", label, "个", None)
    left = int(total - exited)
    if total == 0:
        note, tone = "辖区无贫困村", "neutral"
    elif left <= 0:
        note, tone = "已全部出列", "good"
    else:
        note, tone = f"待出列 {left:,} 个", "bad"
    return KpiFigure("poor_villages", label, "个", exited, 0, total=total, note=note, tone=tone)


# -- breakdowns -----------------------------------------------------------------------------------

def _breakdowns(region: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # The API lists only non-empty categories: with a breakdowns object present a missing category
    # is a true zero; without the object there is nothing to show (无数据).
    b = (region or {}).get("breakdowns")
    return b if isinstance(b, Mapping) else None


def _pair(cell: Any) -> tuple[int, int]:
    if not isinstance(cell, Mapping):
        return 0, 0
    hh, pop = _num(cell.get("households")), _num(cell.get("population"))
    return int(hh or 0), int(pop or 0)


@dataclass(frozen=True)
class BarRow:
    key: str
    label: str
    households: int
    population: int


def exit_batch_rows(region: Mapping[str, Any] | None) -> list[BarRow] | None:
    """五个一批 of the poor households, in the policy's order; None when the API gave no breakdowns."""
    b = _breakdowns(region)
    if b is None:
        return None
    if "exit_batch" in b and b["exit_batch"] is None:
        return None  # the registers carry no 脱贫路径: 无数据, not five bars of 0
    dim = b.get("exit_batch") or {}
    return [BarRow(m.value, m.label_zh, *_pair(dim.get(m.value))) for m in ExitBatch]


@dataclass(frozen=True)
class CauseSlice:
    code: str  # a PovertyCause code, or "rest" for the merged tail
    label: str
    households: int
    population: int
    share: float  # of households, 0..1

    @property
    def percent_text(self) -> str:
        return f"{self.share * 100:.1f}%"


@dataclass(frozen=True)
class CauseBreakdown:
    slices: tuple[CauseSlice, ...]  # largest first, the merged tail last
    households: int
    population: int


def cause_breakdown(region: Mapping[str, Any] | None, top: int = 5) -> CauseBreakdown | None:
    """Main causes of poverty by share of poor households: the `top` largest, the rest merged."""
    b = _breakdowns(region)
    if b is None:
        return None
    dim = b.get("cause") or {}
    labels = PovertyCause.labels()
    cells = [(code, labels.get(code, f"代码{code}"), *_pair(cell)) for code, cell in dim.items()]
    cells = [c for c in cells if c[2] > 0]
    cells.sort(key=lambda c: (-c[2], c[0]))
    total_hh = sum(c[2] for c in cells)
    total_pop = sum(c[3] for c in cells)
    if total_hh == 0:
        return CauseBreakdown((), 0, total_pop)
    head, tail = cells[:top], cells[top:]
    if len(tail) == 1:
        head, tail = cells, []
    slices = [CauseSlice(code, label, hh, pop, hh / total_hh) for code, label, hh, pop in head]
    if tail:
        hh, pop = sum(c[2] for c in tail), sum(c[3] for c in tail)
        slices.append(CauseSlice("rest", f"其余{len(tail)}类", hh, pop, hh / total_hh))
    return CauseBreakdown(tuple(slices), total_hh, total_pop)


@dataclass(frozen=True)
class GuaranteeRow:
    key: str  # the breakdowns.gap category
    label: str
    rate: float | None  # guarantee rate in %, None = 无数据
    gap_households: int | None  # None = 无数据
    gap_population: int | None

    @property
    def status(self) -> str:
        """ok (no gap: green) | gap (some households left) | nodata."""
        if self.gap_households is None:
            return "nodata"
        return "ok" if self.gap_households == 0 else "gap"

    @property
    def rate_text(self) -> str:
        if self.rate is None:
            return NO_DATA_TEXT
        return f"{self.rate:.{_rate_decimals(self.rate)}f}%"

    @property
    def gap_text(self) -> str:
        if self.gap_households is None:
            return NO_DATA_TEXT
        if self.gap_households == 0:
            return "已全部保障"
        return f"缺口 {self.gap_households:,}户"


# (gap category, label, indicator giving the rate). 不愁吃穿 has no indicator of its own: its rate is
# derived the way housing_safe_rate is (households without the gap ÷ registered households).
GUARANTEES: tuple[tuple[str, str, str | None], ...] = (
    ("food_clothing", "不愁吃、不愁穿", None),
    ("education", "义务教育", "education_ok_rate"),
    ("medical", "基本医疗", "medical_ok_rate"),
    ("housing", "住房安全", "housing_safe_rate"),
    ("water", "饮水安全", "water_safe_rate"),
)


def guarantee_rows(region: Mapping[str, Any] | None) -> list[GuaranteeRow]:
    """两不愁三保障: rate and remaining gap per guarantee (gap from breakdowns.gap)."""
    ind = (region or {}).get("indicators") or {}
    b = _breakdowns(region)
    registered = _num(ind.get("registered_households"))
    has_records = registered is not None and registered > 0
    gaps = (b or {}).get("gap") or {}
    rows = []
    for key, label, rate_key in GUARANTEES:
        if b is None or not has_records or (key in gaps and gaps[key] is None):  # null: not in the registers
            gap_hh = gap_pop = None
        else:
            gap_hh, gap_pop = _pair(gaps.get(key))
        if rate_key is not None:
            rate = _num(ind.get(rate_key))
        elif gap_hh is not None and registered:
            rate = round(100.0 * (registered - gap_hh) / registered, 2)
        else:
            rate = None
        rows.append(GuaranteeRow(key, label, rate, gap_hh, gap_pop))
    return rows


# -- trend ----------------------------------------------------------------------------------------

class TrendDataError(ValueError):
    """A trend payload that cannot be drawn."""


@dataclass(frozen=True)
class TrendSeries:
    code: str | None
    indicator: str
    years: tuple[int, ...]
    values: tuple[float | None, ...]  # None = 无数据 that year
    as_of: str | None = None

    def value_at(self, year: int | None) -> float | None:
        try:
            return self.values[self.years.index(year)]
        except ValueError:
            return None

    @property
    def has_values(self) -> bool:
        return any(v is not None for v in self.values)


def parse_trend(payload: Any, indicator: str | None = None) -> TrendSeries:
    """Validate GET /regions/{code}/trend; points are sorted by year."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("points"), list):
        raise TrendDataError("trend payload has no 'points' list")
    key = str(payload.get("indicator") or indicator or "")
    if indicator and key != indicator:
        raise TrendDataError(f"asked for {indicator}, got {key}")
    pts = []
    for p in payload["points"]:
        if not isinstance(p, Mapping) or not is_number(p.get("year")):
            raise TrendDataError(f"bad trend point {p!r}")
        v = p.get("value")
        if v is not None and not is_number(v):
            raise TrendDataError(f"bad trend value {v!r}")
        pts.append((int(p["year"]), None if v is None else float(v)))
    pts.sort()
    return TrendSeries(payload.get("code"), key, tuple(y for y, _ in pts), tuple(v for _, v in pts),
                       payload.get("as_of"))
