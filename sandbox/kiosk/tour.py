"""Tour files: a TOML list of steps (region, year, indicator, layer, camera, caption, seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from sandbox.domain.indicators import indicator_keys
from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.domain.rules import EXIT_INCIDENCE_PCT
from sandbox.kiosk.errors import StrictModel, read_toml_model

__all__ = ["Tour", "TourStep", "load_tour", "written_for", "county_tour", "region_code"]



def region_code(v: str) -> str:
    """A division code at any level (2, 4, 6, 9 or 12 ASCII digits, as the API takes them) padded to 12
    digits; ValueError with a Chinese message otherwise."""
    try:
        return RegionCode.parse(v).value
    except InvalidRegionCode:
        raise ValueError(f"区划代码应为 2、4、6、9 或 12 位数字 (省 52、市州 5227、县 522726、乡镇 522726103、"
                         f"村 12 位), 实际为 \"{v}\"") from None


class TourStep(StrictModel):
    """One scene. Fields left out keep what the previous step showed (the region defaults to the county)."""

    region: str | None = None  # any level's code (2-12 digits); a village opens its panel on its town's map
    year: int | None = Field(default=None, ge=2000, le=2100)
    indicator: str | None = None
    layer: str | None = None  # a map layer, e.g. "projects", "checkins", "funds" (when the wall has them)
    camera: int | str | None = None  # a camera id to open (when the wall can show cameras)
    title: str = ""  # a short heading above the caption
    caption: str = ""
    seconds: float = Field(default=12.0, gt=0, le=600)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        return None if v is None else region_code(v)

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, v: str | None) -> str | None:
        if v is not None and v not in indicator_keys():
            raise ValueError(f"未知指标 \"{v}\"; 可用: {', '.join(indicator_keys())}")
        return v


class Tour(StrictModel):
    title: str = ""
    # Captions that quote the demo's figures: shown only over the demo's data, never over real records.
    demo_only: bool = False
    # Where the caption goes: over the timeline and the map's foot, the map's head, or its lower left.
    caption_position: Literal["bottom", "top", "left"] = "bottom"
    steps: list[TourStep] = Field(min_length=1)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def load_tour(path: str | Path) -> Tour:
    """Read and check a tour file; raises ConfigError naming the step, key and line of every problem."""
    tour, _ = read_toml_model(Path(path), Tour)
    return tour


def written_for(tour: Tour, home_region: str, *, demo: bool) -> bool:
    """Whether the tour tells this wall's story: its regions lie in the wall's own area (a county, or a
    province or prefecture above it), and a tour quoting the demo's figures plays only over the demo's data."""
    try:
        home = RegionCode.parse(str(home_region))
    except InvalidRegionCode:
        return False
    inside = all(s.region is None or home.contains(RegionCode(s.region)) for s in tour.steps)
    return inside and (demo or not tour.demo_only)


# How a caption names the whole of the wall's own area, by the level of its root.
_WHOLE_ZH = {"province": "全省", "prefecture": "全市(州)", "county": "全县", "town": "全乡镇", "village": "全村"}


def county_tour(years: list[int], level: str = "county") -> Tour | None:
    """A tour that fits any area (a county, or a province or prefecture: `level` of the wall's root) and
    any span of years: the area's own map tells the story, and the captions name no place, no figure and
    no outcome (the map, legend and KPI row show this area's own). None without any year of data."""
    years = sorted({int(y) for y in years})
    if not years:
        return None
    whole = _WHOLE_ZH.get(level, "全县")
    first, middle = years[0], years[len(years) // 2]
    steps = [
        TourStep(year=first, indicator="poverty_incidence", title=f"{first} 年",
                 caption=f"{first} 年底{whole}各地的贫困发生率。颜色越红, 贫困发生率越高; {EXIT_INCIDENCE_PCT:g}% 为贫困县退出标准。",
                 seconds=14),
        TourStep(year=middle, indicator="housing_safe_rate", title="两不愁三保障",
                 caption=f"{middle} 年的住房安全保障率: 危房改造与易地扶贫搬迁的成效。", seconds=12),
        TourStep(year=middle, indicator="visit_rate", layer="checkins", title="干部走访",
                 caption="帮扶干部入户走访的签到; 每个光点是一次签到。", seconds=12),
        TourStep(year=middle, indicator="poverty_incidence", layer="projects", title="产业扶贫",
                 caption="产业项目的分布与进度: 环表示项目进度。", seconds=12),
        TourStep(year=middle, layer="funds", title="资金链",
                 caption="财政扶贫资金从下达、到位到支付的流向, 对不上账之处以 ⚠ 标出。", seconds=12),
    ]
    steps += [TourStep(year=y, indicator="poverty_incidence", title=f"{y} 年",
                       caption=f"{y} 年底的贫困发生率。", seconds=10) for y in years[1:] if y != middle]
    steps.sort(key=lambda s: s.year or 0)  # the years in order: the map turns from red to green, or not
    return Tour(title="脱贫攻坚历程", steps=steps)
