"""Read queries the API needs: regions, summed facts per region and per child, breakdowns, meta.

Aggregation happened in SQL when the records were rolled up (sandbox.store.rollup): a request
reads one totals row per region, never loops over households in Python.
"""

from __future__ import annotations

import threading
import time
import weakref

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from sandbox.domain.indicators import FACTS
from sandbox.domain.regions import RegionCode
from sandbox.store.models import Household, Meta, PovertyLine, Region, RegionYearBreakdown, RegionYearTotals

__all__ = [
    "within", "prefix_bounds", "index_serves", "region_share", "INDEX_SHARE", "get_region", "child_regions",
    "summed_facts", "facts_by_child", "facts_by_year", "breakdowns", "years", "meta",
]

_T = RegionYearTotals


def prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """[low, high) of the codes that start with the digits `prefix`; high None when nothing bounds it
    ("" is every code). Digits only either side, so any collation (PostgreSQL's locale ones too) orders
    them as SQLite does."""
    if not prefix.strip("9"):  # "", "9", "99", ...: no code of the same length comes after
        return prefix, None
    return prefix, str(int(prefix) + 1).zfill(len(prefix))


# Below this share of the database a prefix's range is read by the code index; above it the table is
# scanned (SQLite walking the index and looking each row up is slower when the range is most rows).
INDEX_SHARE = 0.25
_SHARE_TTL_S = 60.0
_shares: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {prefix: (share, when)}
_shares_lock = threading.Lock()


def index_serves(prefix: str, db: Session | Connection | None = None) -> bool:
    """Whether the code index should drive a range over `prefix`: below a county (a town, a village)
    always; a county or above when `db` (a session or connection) is given and the prefix is a small
    part of what the database holds (a county inside a province's database: `region_share`), or on PostgreSQL, whose
    planner weighs a range on its statistics (LIKE there, outside the C collation, is a full scan). A
    county's range in a county's database is every row, which SQLite reads faster from the table than
    by walking the index and looking each row up (the county's facts refresh: ~18 s against ~12 s;
    bench/region_filter.py)."""
    if len(prefix) > 6:
        return True
    if db is None:
        return False
    engine = db.get_bind() if isinstance(db, Session) else db.engine
    if engine.dialect.name == "postgresql":
        return True
    return region_share(db, engine, prefix) < INDEX_SHARE


def region_share(db: Session | Connection, engine: Engine, prefix: str) -> float:
    """The part of the database under `prefix`: of its households (what a region's reads are mostly
    proportional to; a big county can hold a third of a slice's households on a tenth of its regions),
    or of its regions where it holds no households (1.0 when neither). Kept a minute per engine: a
    stale share costs at most speed, never rows (LIKE and the range select the same ones)."""
    now = time.monotonic()
    with _shares_lock:
        hit = _shares.get(engine, {}).get(prefix)
    if hit is not None and now - hit[1] < _SHARE_TTL_S:
        return hit[0]
    share = 1.0
    for table, column in ((Household, Household.village_code), (Region, Region.code)):
        total = db.execute(select(func.count()).select_from(table)).scalar() or 0
        if total:
            under = db.execute(select(func.count()).select_from(table)
                               .where(within(column, prefix, use_index=True))).scalar() or 0
            share = under / total
            break
    with _shares_lock:
        _shares.setdefault(engine, {})[prefix] = (share, now)
    return share


def within(column, code: RegionCode | str, *, use_index: bool | None = None,
           db: Session | Connection | None = None):
    """`column` is a code under `code` (a region, or a prefix of digits): a range, so B-tree indexes
    serve it; `LIKE 'prefix%'` is a full scan on SQLite (and on PostgreSQL outside the C collation).

    `use_index`: None lets `index_serves` decide (from what `db` holds, when given); False when another
    condition should drive the query (check-ins in a time window are far fewer than a town's, which
    SQLite, keeping no statistics, cannot know). The filter is then `LIKE 'prefix%'`, which no index
    serves and which costs one comparison a row (a range on `column || ''` builds a string a row: a
    county's refresh took 1.4×)."""
    prefix = code.prefix if isinstance(code, RegionCode) else code
    low, high = prefix_bounds(prefix)
    if use_index is None:
        use_index = index_serves(prefix, db)
    if not use_index:
        return column.like(prefix + "%")
    return column >= low if high is None else and_(column >= low, column < high)


def get_region(session: Session, code: RegionCode) -> Region | None:
    return session.get(Region, code.value)


def child_regions(session: Session, code: RegionCode) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_code == code.value).order_by(Region.code)))


def county_count(session: Session, code: RegionCode) -> int:
    """How many county-level regions (县、市、区) lie under `code` (a province or a prefecture)."""
    return int(session.scalar(select(func.count()).select_from(Region).where(
        Region.level == "county", Region.code.startswith(code.prefix, autoescape=True))) or 0)


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
    out: dict[str, dict[str, dict[str, int]] | None] = {}
    for dim, cat, hh, pop in rows:
        out.setdefault(dim, {})[cat] = {"households": int(hh or 0), "population": int(pop or 0)}
    # What the registers did not carry is unknown (null), not a count of zero: 五个一批 when no poor
    # household has a 脱贫路径, a gap when no registered household says (see rollup._refresh_breakdowns).
    batches = out.get("exit_batch")
    if batches is not None and set(batches) == {"unknown"}:
        out["exit_batch"] = None
    unknown_gaps = out.pop("gap_unknown", {})
    registered = sum(c["households"] for c in (out.get("status") or {}).values()
                     if c is not None) - ((out.get("status") or {}).get("closed") or {}).get("households", 0)
    for gap, cell in unknown_gaps.items():
        if registered and cell["households"] >= registered:
            out.setdefault("gap", {})[gap] = None
    return out


BREAKDOWN_NOTES = {"exit_batch": "登记表中没有脱贫路径 (五个一批), 无数据",
                   "gap.food_clothing": "登记表中没有吃穿不愁, 无数据",
                   "gap.education": "登记表中没有义务教育阶段子女, 无数据"}


def breakdown_notes(breakdowns: dict) -> dict[str, str]:
    """Why a breakdown (or a gap) is null: what the registers did not carry."""
    notes = {}
    if "exit_batch" in breakdowns and breakdowns["exit_batch"] is None:
        notes["exit_batch"] = BREAKDOWN_NOTES["exit_batch"]
    for gap, cell in (breakdowns.get("gap") or {}).items():
        if cell is None and f"gap.{gap}" in BREAKDOWN_NOTES:
            notes[f"gap.{gap}"] = BREAKDOWN_NOTES[f"gap.{gap}"]
    return notes


def years(session: Session) -> list[int]:
    return list(session.scalars(select(PovertyLine.year).order_by(PovertyLine.year)))


def meta(session: Session) -> dict[str, str]:
    return {k: v for k, v in session.execute(select(Meta.key, Meta.value))}
