"""Response schemas of the regions feature (what OpenAPI shows clients)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class RegionOut(BaseModel):
    code: str
    name: str
    level: str
    level_zh: str
    parent_code: str | None
    year: int | None = Field(description="年份; 尚无任何年度数据 (仅导入了边界) 时为 null")
    years: list[int]
    children: list[RegionRef]
    indicators: dict[str, float | int | None]
    indicator_notes: dict[str, str] = Field(
        default_factory=dict,
        description="没有数值的比率指标中, 因分母为零而无从计算者及其说明 (如 income_ok_rate: 无贫困户); 未列出的空值为无数据")
    breakdowns: dict[str, dict[str, dict[str, int]]] | None = Field(
        description="五个一批、致贫原因等构成; 尚无任何年度数据 (仅导入了边界) 时为 null")
    is_poor_village: bool | None = None
    poor_village_exit_year: int | None = None
    synthetic_boundary: bool
    demo: bool
    data_label: str | None
    as_of: str | None


class TrendPoint(BaseModel):
    year: int
    value: float | int | None


class TrendOut(BaseModel):
    code: str
    indicator: str
    points: list[TrendPoint]
    as_of: str | None
