"""Read queries the API needs: regions, summed facts per region and per child, breakdowns, meta.

Aggregation happened in SQL when the records were rolled up (sandbox.store.rollup): a request
reads one totals row per region, never loops over households in Python.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from sandbox.domain.indicators import FACTS
from sandbox.domain.regions import RegionCode
from sandbox.store.models import Meta, PovertyLine, Region, RegionYearBreakdown, RegionYearTotals

__all__ = [
    "within", "get_region", "child_regions", "summed_facts", "facts_by_child", "facts_by_year",
    "breakdowns", "years", "meta",
]

_T = RegionYearTotals


def within(column, code: RegionCode):
    """`column` is a code under `code`: a range, so B-tree indexes serve it (LIKE does not in SQLite)."""
    prefix = code.prefix
    upper = str(int(prefix) + 1).zfill(len(prefix))
    return and_(column >= prefix, column < upper)


def get_region(session: Session, code: RegionCode) -> Region | None:
    return session.get(Region, code.value)


def child_regions(session: Session, code: RegionCode) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_code == code.value).order_by(Region.code)))


_VILLAGE_COUNTS = ("villages", "poor_villages", "exited_poor_villages", "first_secretary_villages")


def _row(r) -> dict:
    return {k: r[k] for k in FACTS + _VILLAGE_COUNTS}


def summed_facts(session: Session, code: RegionCode, year: int) -> dict:
    """The region's facts for a year (all additive facts plus village counts); {} if none."""
    r = session.execute(select(_T).where(_T.region_code == code.value, _T.year == year)).scalars().first()
    return _row(r.__dict__) if r else {}


def facts_by_child(session: Session, code: RegionCode, year: int) -> dict[str, dict]:
    children = select(Region.code).where(Region.parent_code == code.value)
    rows = session.execute(select(_T).where(_T.region_code.in_(children), _T.year == year)).scalars()
    return {r.region_code: _row(r.__dict__) for r in rows}


def facts_by_year(session: Session, code: RegionCode, first: int, last: int) -> dict[int, dict]:
    rows = session.execute(select(_T).where(_T.region_code == code.value, _T.year.between(first, last))).scalars()
    return {r.year: _row(r.__dict__) for r in rows}


def breakdowns(session: Session, code: RegionCode, year: int) -> dict[str, dict[str, dict[str, int]]]:
    B = RegionYearBreakdown
    rows = session.execute(
        select(B.dimension, B.category, func.sum(B.households), func.sum(B.population))
        .where(B.year == year, B.region_code == code.value).group_by(B.dimension, B.category)
    ).all()
    out: dict[str, dict[str, dict[str, int]]] = {}
    for dim, cat, hh, pop in rows:
        out.setdefault(dim, {})[cat] = {"households": int(hh or 0), "population": int(pop or 0)}
    return out


def years(session: Session) -> list[int]:
    return list(session.scalars(select(PovertyLine.year).order_by(PovertyLine.year)))


def meta(session: Session) -> dict[str, str]:
    return {k: v for k, v in session.execute(select(Meta.key, Meta.value))}
