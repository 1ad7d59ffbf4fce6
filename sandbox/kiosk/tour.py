"""Tour files: a TOML list of steps (region, year, indicator, layer, camera, caption, seconds)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator

from sandbox.domain.indicators import indicator_keys
from sandbox.kiosk.errors import StrictModel, read_toml_model

__all__ = ["Tour", "TourStep", "load_tour"]

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
