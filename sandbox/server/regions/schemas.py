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
    counties: int | None = Field(None, description="下辖县级区划 (县、市、区) 个数: 省、市州有值, 县及以下为 null")
    indicators: dict[str, float | int | None]
    indicator_notes: dict[str, str] = Field(
        default_factory=dict,
        description="没有数值的比率指标中, 因分母为零而无从计算者及其说明 (如 income_ok_rate: 无贫困户); 未列出的空值为无数据")
    breakdowns: dict[str, dict[str, dict[str, int] | None] | None] | None = Field(
        description="分组 (exit_batch 五个一批, cause, attribute, status, gap); 某项为 null 为登记表没有该项 (无数据), 原因见 breakdown_notes; "
                    "尚无任何年度数据 (仅导入了边界) 时整体为 null")
    breakdown_notes: dict[str, str] = Field(
        default_factory=dict, description="为 null 的分组及其说明 (如 exit_batch: 登记表中没有脱贫路径 (五个一批), 无数据)")
    is_poor_village: bool | None = None
    poor_village_exit_year: int | None = None
    synthetic_boundary: bool
    demo: bool
    data_label: str | None
    as_of: str | None = Field(description="数据截至: 登记表本身的日期 (数据截至/填报日期列或表尾, 或导入时的 --as-of); "
                                          "没有时为导入时间")
    imported_at: str | None = Field(None, description="导入于: 最近一次导入登记表的时间")
    series: dict[str, dict[str, float | int | dict[str, str] | None]] = Field(
        default_factory=dict,
        description="本地区各年全部指标 (键为年份): 与 indicators 同义, 有说明时含 indicator_notes; "
                    "较上年与趋势图无需另行请求. 尚无任何年度数据时为空")


class TrendPoint(BaseModel):
    year: int
    value: float | int | None


class TrendOut(BaseModel):
    code: str
    indicator: str
    points: list[TrendPoint]
    as_of: str | None


class ChildrenSeriesOut(BaseModel):
    code: str
    years: list[int]
    as_of: str | None
    children: dict[str, dict[str, dict[str, float | int | dict[str, str] | None]]] = Field(
        description="下级地区代码 → 年份 → 指标 (有说明时含 indicator_notes)")


class LevelOut(BaseModel):
    """One map level in one answer: what GET /regions/{code}, /children.geojson and /children/series give."""

    region: RegionOut = Field(description="与 GET /regions/{code}?year= 相同: 本地区指标、分组及各年指标 (series)")
    children: dict = Field(description="与 GET /regions/{code}/children.geojson?year= 相同: 下级地区边界及该年指标 "
                                       "(GeoJSON FeatureCollection); 行政村没有下级, 为空集合")
    children_series: ChildrenSeriesOut = Field(description="与 GET /regions/{code}/children/series 相同: 下级地区各年全部指标")
