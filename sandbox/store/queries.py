"""Read queries the API needs: regions, summed facts per region and per child, breakdowns, meta.

All aggregation is SQL over the rolled-up facts (a few hundred rows per county), never a
loop over households in Python.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sandbox.domain.indicators import FACTS
from sandbox.domain.regions import RegionCode, RegionLevel
from sandbox.store.models import Meta, PovertyLine, Region, RegionYearBreakdown, RegionYearFacts

__all__ = [
    "get_region", "child_regions", "summed_facts", "facts_by_child", "facts_by_year", "village_counts",
    "breakdowns", "years", "meta", "child_prefix_len",
]

_F = RegionYearFacts


def get_region(session: Session, code: RegionCode) -> Region | None:
    return session.get(Region, code.value)


def child_regions(session: Session, code: RegionCode) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_code == code.value).order_by(Region.code)))


def child_prefix_len(code: RegionCode) -> int:
    return {RegionLevel.county: 9, RegionLevel.town: 12}.get(code.level, 12)


def _sums():
    cols = [func.sum(getattr(_F, f)).label(f) for f in FACTS]
    village_row = func.substr(_F.region_code, 10, 3) != "000"
    cols.append(func.sum(case((village_row & (_F.first_secretaries > 0), 1), else_=0)).label("first_secretary_villages"))
    return cols


def summed_facts(session: Session, code: RegionCode, year: int) -> dict:
    row = session.execute(
        select(*_sums()).where(_F.year == year, _F.region_code.like(code.prefix + "%"))
    ).mappings().one()
    return dict(row)


def facts_by_child(session: Session, code: RegionCode, year: int) -> dict[str, dict]:
    n = child_prefix_len(code)
    key = func.substr(_F.region_code, 1, n).label("child")
    rows = session.execute(
        select(key, *_sums()).where(_F.year == year, _F.region_code.like(code.prefix + "%")).group_by(key)
    ).mappings().all()
    return {r["child"].ljust(12, "0"): dict(r) for r in rows}


def facts_by_year(session: Session, code: RegionCode, first: int, last: int) -> dict[int, dict]:
    rows = session.execute(
        select(_F.year, *_sums()).where(_F.region_code.like(code.prefix + "%"), _F.year.between(first, last))
        .group_by(_F.year).order_by(_F.year)
    ).mappings().all()
    return {r["year"]: dict(r) for r in rows}


def village_counts(session: Session, code: RegionCode, year: int, by_child: bool = False) -> dict:
    """Villages, poor villages (贫困村, as registered) and poor villages that have exited by `year`."""
    cols = [
        func.count().label("villages"),
        func.sum(case((Region.is_poor_village, 1), else_=0)).label("poor_villages"),
        func.sum(case(((Region.is_poor_village) & (Region.poor_village_exit_year <= year), 1), else_=0))
        .label("exited_poor_villages"),
    ]
    where = (Region.level == RegionLevel.village.value, Region.code.like(code.prefix + "%"))
    if not by_child:
        return {k: int(v or 0) for k, v in session.execute(select(*cols).where(*where)).mappings().one().items()}
    key = func.substr(Region.code, 1, child_prefix_len(code)).label("child")
    rows = session.execute(select(key, *cols).where(*where).group_by(key)).mappings().all()
    return {r["child"].ljust(12, "0"): {k: int(r[k] or 0) for k in ("villages", "poor_villages", "exited_poor_villages")}
            for r in rows}


def breakdowns(session: Session, code: RegionCode, year: int) -> dict[str, dict[str, dict[str, int]]]:
    B = RegionYearBreakdown
    rows = session.execute(
        select(B.dimension, B.category, func.sum(B.households), func.sum(B.population))
        .where(B.year == year, B.region_code.like(code.prefix + "%")).group_by(B.dimension, B.category)
    ).all()
    out: dict[str, dict[str, dict[str, int]]] = {}
    for dim, cat, hh, pop in rows:
        out.setdefault(dim, {})[cat] = {"households": int(hh or 0), "population": int(pop or 0)}
    return out


def years(session: Session) -> list[int]:
    return list(session.scalars(select(PovertyLine.year).order_by(PovertyLine.year)))


def meta(session: Session) -> dict[str, str]:
    return {k: v for k, v in session.execute(select(Meta.key, Meta.value))}
