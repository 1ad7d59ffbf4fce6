"""Tour files: a TOML list of steps (region, year, indicator, layer, camera, caption, seconds)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator

from sandbox.domain.indicators import indicator_keys
from sandbox.kiosk.errors import StrictModel, read_toml_model

__all__ = ["Tour", "TourStep", "load_tour", "written_for", "county_tour"]

_REGION = re.compile(r"^\d{6}(\d{6})?$")


class TourStep(StrictModel):
    """One scene. Fields left out keep what the previous step showed (the region defaults to the county)."""

    region: str | None = None  # 6- or 12-digit code; a village opens its panel on its town's map
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
        if v is not None and not _REGION.match(v):
            raise ValueError(f"区划代码应为 6 位或 12 位数字, 实际为 \"{v}\"")
        if v is not None and len(v) == 6:
            v += "000000"
        return v

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, v: str | None) -> str | None:
        if v is not None and v not in indicator_keys():
            raise ValueError(f"未知指标 \"{v}\"; 可用: {', '.join(indicator_keys())}")
        return v


class Tour(StrictModel):
    title: str = ""
    steps: list[TourStep] = Field(min_length=1)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def load_tour(path: str | Path) -> Tour:
    """Read and check a tour file; raises ConfigError naming the step, key and line of every problem."""
    tour, _ = read_toml_model(Path(path), Tour)
    return tour


def written_for(tour: Tour, home_region: str) -> bool:
    """Whether the tour's regions lie in the wall's own county (a tour of another county would show its
    captions over this one's map)."""
    prefix = str(home_region)[:6]
    return all(s.region is None or s.region.startswith(prefix) for s in tour.steps)


def county_tour() -> Tour:
    """A tour that fits any county: the county's story told by its own map, with captions that name no
    place and no figure (the map, its legend and the KPI row show this county's own)."""
    steps = [
        TourStep(year=2014, indicator="poverty_incidence", title="建档立卡之初",
                 caption="2014 年建档立卡时全县各地的贫困发生率。颜色越红, 贫困发生率越高。", seconds=14),
        TourStep(year=2016, title="攻坚之年", caption="2016 年底的贫困发生率: 看哪些乡镇仍是硬骨头。", seconds=12),
        TourStep(year=2017, indicator="housing_safe_rate", title="两不愁三保障",
                 caption="住房安全保障率: 危房改造与易地扶贫搬迁的成效。", seconds=12),
        TourStep(year=2017, indicator="visit_rate", layer="checkins", title="干部走访",
                 caption="帮扶干部每月入户走访; 每个光点是一次签到。", seconds=12),
        TourStep(year=2017, indicator="poverty_incidence", layer="projects", title="产业扶贫",
                 caption="产业项目的分布与进度: 点击项目可查看资金与受益户。", seconds=12),
        TourStep(year=2017, layer="funds", title="资金链",
                 caption="财政扶贫资金从下达、到位到支付的流向, 异常之处以 ⚠ 标出。", seconds=12),
        TourStep(year=2019, indicator="poverty_incidence", title="贫困发生率降至 3% 以下",
                 caption="2019 年底全县贫困发生率已低于 3% 的退出标准。", seconds=12),
        TourStep(year=2020, title="全面脱贫", caption="2020 年: 现行标准下农村贫困人口全部脱贫。", seconds=14),
    ]
    return Tour(title="脱贫攻坚历程", steps=steps)
