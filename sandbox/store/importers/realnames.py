"""A register's 乡镇 and 村 names checked against the statistics bureau's real ones (maps/divisions.tsv.gz)."""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.geo.divisions import Town, county_divisions, short_name
from sandbox.store.models import Region

__all__ = ["RealNames"]

# What people add or leave off a name: 新寨, 新寨村, 新寨村委会 are one village; 百泉, 百泉镇 one town.
_VILLAGE_ENDINGS = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "嘎查", "村")
_TOWN_ENDINGS = ("街道办事处", "街道", "镇", "乡")


def _key(name: str, endings: tuple[str, ...]) -> str:
    text = "".join(str(name).split())
    for ending in endings:
        if text.endswith(ending) and len(text) > len(ending):
            return text[: -len(ending)]
    return text


def _nearest(name: str, candidates: list[str], n: int = 3) -> str:
    near = difflib.get_close_matches(name, candidates, n=n, cutoff=0.4) or candidates[:n]
    return "、".join(near)


class RealNames:
    """Warns once per name, for rows placed by 乡镇+村 names in a real (not synthetic) village, when the
    name is not the bureau's (统计用区划代码): the nearest real names are suggested."""

    def __init__(self, conn: Connection) -> None:
        self._synthetic = set(conn.execute(select(Region.code).where(Region.synthetic.is_(True))).scalars())
        self._towns: dict[str, dict[str, Town]] = {}  # county (6) → town key → town
        self._seen: set[tuple[str, str, str]] = set()

    def _county(self, code6: str) -> dict[str, Town]:
        if code6 not in self._towns:
            self._towns[code6] = {_key(t.name, _TOWN_ENDINGS): t for t in county_divisions(code6)}
        return self._towns[code6]

    def check(self, village_code: str, town: str | None, village: str | None) -> str | None:
        """A warning for this row, or None (a real name, a code given, or nothing to check against);
        each (village, town, name) is named once per import."""
        if not (town and village) or village_code in self._synthetic:
            return None
        towns = self._county(village_code[:6])
        if not towns:
            return None
        seen = (village_code, str(town), str(village))
        if seen in self._seen:
            return None
        self._seen.add(seen)
        real_town = towns.get(_key(town, _TOWN_ENDINGS))
        if real_town is None:
            names = [t.name for t in towns.values()]
            return (f"乡镇 {town!r} 不在国家统计局区划名单 (统计用区划代码) 中; 最接近的: "
                    f"{_nearest(str(town), names)}")
        names = {_key(v.name, _VILLAGE_ENDINGS): short_name(v.name) for v in real_town.villages}
        if _key(village, _VILLAGE_ENDINGS) in names:
            return None
        return (f"村 {village!r} 不在国家统计局区划名单中 {real_town.name} 的村里; 最接近的: "
                f"{_nearest(str(village), list(names.values()))}")
