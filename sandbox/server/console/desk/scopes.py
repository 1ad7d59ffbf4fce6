"""What the desk's forms offer and accept as a place: the county, towns and villages within the account's region."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.server.console.session import StaffUser
from sandbox.store.models import Region

__all__ = ["Place", "places", "place_of", "LEVEL_ZH"]

LEVEL_ZH = {"county": "县", "town": "乡镇", "village": "村"}


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    town: str  # the town's name for a village ("" otherwise): villages are offered grouped by town


def places(session: Session, user: StaffUser, levels: tuple[str, ...] = ("county", "town", "village")) -> list[Place]:
    """The regions of these levels the account may act on, in code order (a town before its villages)."""
    prefix = user.region.prefix if user.region is not None else ""
    rows = session.execute(select(Region.code, Region.name, Region.level, Region.parent_code)
                           .where(Region.level.in_(("county", "town", "village")), Region.code.startswith(prefix))
                           .order_by(Region.code)).all()
    towns = {c: n for c, n, lv, _ in rows if lv == "town"}
    return [Place(c, n, lv, towns.get(p or "", "") if lv == "village" else "") for c, n, lv, p in rows
            if lv in levels and user.may_see(c)]


def place_of(session: Session, user: StaffUser, text: str | None, levels: tuple[str, ...], what: str
             ) -> Region | str:
    """The region a form names, or why not (Chinese): malformed, unknown, the wrong level, or outside the account's region."""
    try:
        rc = RegionCode.parse((text or "").strip())
    except InvalidRegionCode as exc:
        return f"{what}: 区划代码无效 ({exc})"
    region = session.get(Region, rc.value)
    if region is None or region.level not in levels:
        return f"{what}: 没有这个{'或'.join(LEVEL_ZH[lv] for lv in levels)} ({rc.value})"
    if not user.may_see(region.code):
        return f"{what}: {region.name} ({region.code}) 不在您的辖区 ({user.region_zh}) 内"
    return region
