"""What the public may see of a household or a project (the QR pages and the printed cards), already masked."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.domain.enums import LabelledEnum

__all__ = ["LinkMode", "SlugKind", "Link", "Measure", "HouseholdPublic", "FundRow", "ProjectPublic",
           "VillageCount", "yuan_zh"]


class SlugKind(LabelledEnum):
    project = ("project", "项目")
    household = ("household", "农户")


class LinkMode(LabelledEnum):
    """How a household shares in a project (利益联结方式)."""

    dividend = ("dividend", "入股分红")
    land = ("land", "土地流转")
    wage = ("wage", "务工就业")
    relocation = ("relocation", "易地搬迁安置")
    other = ("other", "其他")


def yuan_zh(v: float | None) -> str:
    """An amount as a county's notice board writes it: 万元 from ten thousand up, else 元; "-" unknown."""
    if v is None:
        return "-"
    if abs(v) >= 1e4:
        return f"{v / 1e4:,.2f} 万元"
    return f"{v:,.0f} 元"


@dataclass(frozen=True)
class Link:
    """One project a household is linked to, and what it gets from it."""

    project_name: str
    industry_zh: str
    mode_zh: str | None  # None: the terms are not recorded
    yearly_income: float | None
    project_slug: str | None  # the project's own public page, when it has one


@dataclass(frozen=True)
class Measure:
    title: str
    detail: str


@dataclass
class HouseholdPublic:
    slug: str
    head_masked: str  # 王*明
    village: str  # 百泉镇 某某村
    region_code: str
    members: int | None
    status_zh: str | None
    year: int | None  # the year the figures and measures are of
    exit_path_zh: str | None  # 脱贫路径 (五个一批)
    cadre_name: str | None  # 帮扶责任人: a public servant, named in full as on the printed card
    cadre_unit: str | None
    cadre_phone: str | None  # the cadre's work phone
    links: list[Link] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    visits_this_year: int = 0
    last_visit: str | None = None  # "2017年11月"

    @property
    def title(self) -> str:
        return f"{self.head_masked} 户"

    @property
    def yearly_from_projects(self) -> float | None:
        known = [link.yearly_income for link in self.links if link.yearly_income is not None]
        return sum(known) if known else None


@dataclass(frozen=True)
class FundRow:
    """One source's money for the project, along the chain 下达 → 到位 → 报账 → 支付."""

    year: int
    source_zh: str  # 中央 财政专项扶贫资金
    document_number: str | None
    allocated: float
    arrived: float
    reimbursed: float
    paid: float


@dataclass(frozen=True)
class VillageCount:
    village: str
    households: int
    people: int


@dataclass
class ProjectPublic:
    slug: str
    name: str
    industry_zh: str
    batch_zh: str
    place: str  # town and village, never the site's coordinates
    region_code: str
    budget: float
    stage_zh: str
    progress: float
    progress_date: str | None  # ISO date of the last progress record
    planned_year: int
    started_year: int | None
    description: str | None
    households: int = 0
    people: int = 0
    exited_households: int = 0
    villages: list[VillageCount] = field(default_factory=list)
    funds: list[FundRow] = field(default_factory=list)
    stages: list[tuple[str, str | None]] = field(default_factory=list)  # (stage, date reached), in order

    @property
    def title(self) -> str:
        return self.name

    def fund_totals(self) -> dict[str, float]:
        keys = ("allocated", "arrived", "reimbursed", "paid")
        return {k: round(sum(getattr(f, k) for f in self.funds), 2) for k in keys}
