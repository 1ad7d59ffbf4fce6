"""12-digit statistical division codes (统计用区划代码): parsing, levels, parents, prefixes."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["RegionLevel", "RegionCode", "InvalidRegionCode"]


class InvalidRegionCode(ValueError):
    """A string that is not a 2-, 4-, 6-, 9- or 12-digit division code."""


class RegionLevel(str, enum.Enum):
    province = "province"
    prefecture = "prefecture"
    county = "county"
    town = "town"
    village = "village"

    @property
    def label_zh(self) -> str:
        return {"province": "省", "prefecture": "市州", "county": "县", "town": "乡镇", "village": "行政村"}[self.value]

    @property
    def child(self) -> RegionLevel | None:
        order = list(RegionLevel)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


# A province's 2 significant digits, a prefecture's 4, a county's 6, a town's 9 or all 12.
_CODE = re.compile(r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$")  # ASCII only: \d also takes full-width digits


@dataclass(frozen=True, order=True)
class RegionCode:
    """A normalised 12-digit code; shorter codes (52 贵州, 5227 黔南州, 522726 独山县, a town's 9 digits)
    are padded with zeros."""

    value: str

    @classmethod
    def parse(cls, text: str) -> RegionCode:
        text = str(text).strip()
        if not _CODE.match(text):
            shown = text if len(text) <= 40 else text[:40] + "…"  # the message goes back to the client
            raise InvalidRegionCode(f"区划代码应为 2、4、6、9 或 12 位数字: {shown!r}")
        return cls(text.ljust(12, "0"))

    def __str__(self) -> str:
        return self.value

    @property
    def level(self) -> RegionLevel:
        v = self.value
        if v[2:] == "0" * 10:
            return RegionLevel.province
        if v[4:] == "0" * 8:
            return RegionLevel.prefecture
        if v[6:] == "0" * 6:
            return RegionLevel.county
        if v[9:] == "000":
            return RegionLevel.town
        return RegionLevel.village

    @property
    def prefix(self) -> str:
        """The significant digits: every descendant's code starts with them."""
        return self.value[: {"province": 2, "prefecture": 4, "county": 6, "town": 9, "village": 12}[self.level.value]]

    @property
    def parent(self) -> RegionCode | None:
        lvl = self.level
        if lvl is RegionLevel.province:
            return None
        keep = {"prefecture": 2, "county": 4, "town": 6, "village": 9}[lvl.value]
        return RegionCode(self.value[:keep].ljust(12, "0"))

    def contains(self, other: RegionCode) -> bool:
        return other.value.startswith(self.prefix)

    @property
    def county(self) -> str:
        return self.value[:6]
