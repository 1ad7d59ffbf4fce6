"""What a 村情/镇情 briefing holds: plain data the server gathers (already masked by the caller's role)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BriefData", "BriefChild", "BriefItem", "BriefHousehold"]


@dataclass(frozen=True)
class BriefChild:
    """A child region on the brief's map and in its table."""

    code: str
    name: str
    geometry: dict | None  # GeoJSON geometry (WGS-84), None when the region has no outline
    label_point: tuple[float, float] | None
    poverty_incidence: float | None
    poor_households: int | None
    open: int  # 督办: open items
    overdue: int


@dataclass(frozen=True)
class BriefItem:
    """An open finding, rectification or complaint (instructions too), as the caller's role reads it."""

    kind_zh: str
    region_name: str
    title: str
    opened: str  # YYYY-MM-DD, Beijing
    deadline: str | None
    overdue_days: int | None


@dataclass(frozen=True)
class BriefHousehold:
    village: str
    number: str
    head_name: str | None  # masked per role
    id_number: str | None  # masked per role; never the full number below admin
    members: int | None
    attribute_zh: str
    cause_zh: str
    status_zh: str


@dataclass
class BriefData:
    county: str
    code: str
    name: str  # "基长镇" or "基长镇 某某村"
    level_zh: str  # 县 / 乡镇 / 村
    year: int | None
    as_of: str | None  # the data's as-of (数据截至)
    generated_at: str  # when the brief was made, Beijing time
    role_zh: str  # whose view it is printed for
    demo: bool
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, value with unit)
    children: list[BriefChild] = field(default_factory=list)
    child_level_zh: str = ""
    trend: list[tuple[int, float | None]] = field(default_factory=list)  # poverty incidence per year
    gaps: list[tuple[str, str, str]] = field(default_factory=list)  # (两不愁三保障 item, rate, households short)
    duty_counts: dict = field(default_factory=dict)  # sandbox.store.command.duty COUNT_KEYS → n
    items: list[BriefItem] | None = None  # None: the role sees counts only
    items_total: int = 0
    households: list[BriefHousehold] | None = None  # None: the role sees no household (delegation)
    households_total: int = 0
