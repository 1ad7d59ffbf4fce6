"""Satisfaction call-backs (满意度回访): the monthly call list, sampled reproducibly, and one outcome per call.

群众认可度 comes from these records: each household-year's answer (its latest connected call of the
year with an answer) is written into household_years.survey_satisfied, which the region facts count
(sandbox.store.rollup), so the wall's indicator reads them where it always has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.domain.complaints import CallOutcome, Satisfaction
from sandbox.store.models import Base, Household, HouseholdYear, Region

__all__ = ["Callback", "CallRow", "call_list", "month_bounds", "apply_answers", "satisfaction_by_year",
           "SAMPLE_SHARE", "MIN_PER_VILLAGE", "RECENT_MONTHS"]

SAMPLE_SHARE = 0.02  # of a village's registered households, each month (≈ 20 % of them a year)
MIN_PER_VILLAGE = 3  # a small village still gets a few calls
RECENT_MONTHS = 6  # a household reached (接通 or 拒访) within this many months is not called again


class Callback(Base):
    """One call to a household in a month: its outcome and, when connected, its answer."""

    __tablename__ = "callbacks"
    __table_args__ = (UniqueConstraint("household_id", "month", name="uq_callbacks_household_month"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # "2019-06", the list it was on
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # CallOutcome
    satisfaction: Mapped[str | None] = mapped_column(String(16), nullable=True)  # Satisfaction, when connected
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why not satisfied, as the caller noted it
    caller: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the call centre's agent
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # Beijing, as entered
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive


def month_bounds(month: str) -> tuple[int, int]:
    """(year, month) of "YYYY-MM"; ValueError with a Chinese message otherwise."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        dt.date(year, mon, 1)
    except (ValueError, TypeError):
        raise ValueError(f"月份格式不对: {month!r}, 应为 YYYY-MM (如 2019-06)") from None
    if len(month) != 7:
        raise ValueError(f"月份格式不对: {month!r}, 应为 YYYY-MM (如 2019-06)")
    return year, mon


def _months_before(month: str, n: int) -> str:
    year, mon = month_bounds(month)
    k = year * 12 + mon - 1 - n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


@dataclass(frozen=True)
class CallRow:
    village_code: str
    town: str
    village: str
    household_id: int
    household_number: str
    head_name: str
    phone: str | None
    stratum: str  # the household's status that year: the sample keeps each village's mix


def call_list(conn: Connection, month: str, *, prefix: str = "", share: float = SAMPLE_SHARE,
              minimum: int = MIN_PER_VILLAGE, recent: int = RECENT_MONTHS) -> list[CallRow]:
    """The month's call list: per village, a sample stratified by household status (未脱贫, 已脱贫,
    返贫 in the village's proportions, at least one of each), leaving out households reached (接通, 拒访)
    in the `recent` months before.
    The same month, records and register give the same list (the draw is seeded by month and village)."""
    year, _ = month_bounds(month)
    latest = conn.execute(select(HouseholdYear.year).where(HouseholdYear.year <= year)
                          .order_by(HouseholdYear.year.desc()).limit(1)).scalar()
    if latest is None:
        return []
    since = _months_before(month, recent)
    reached = set(conn.execute(select(Callback.household_id).where(
        Callback.month >= since, Callback.month < month,
        Callback.outcome.in_((CallOutcome.connected.value, CallOutcome.refused.value)))).scalars())
    rows = conn.execute(
        select(Household.id, Household.village_code, Household.household_number, Household.head_name,
               Household.phone, HouseholdYear.status)
        .join(HouseholdYear, and_(HouseholdYear.household_id == Household.id, HouseholdYear.year == latest))
        .where(HouseholdYear.status != "closed", Household.village_code.startswith(prefix))
        .order_by(Household.village_code, Household.id)).all()
    by_village: dict[str, list] = defaultdict(list)
    for r in rows:
        by_village[r.village_code].append(r)
    names = dict(conn.execute(select(Region.code, Region.name)).all())
    out: list[CallRow] = []
    for code, households in by_village.items():
        want = max(minimum, round(len(households) * share))
        seed = int.from_bytes(hashlib.sha256(f"{month}:{code}".encode()).digest()[:8], "big")
        rng = random.Random(seed)
        strata: dict[str, list] = defaultdict(list)
        for r in households:
            strata[r.status].append(r)
        picked = []
        for status in sorted(strata):
            group = strata[status]
            # the village's mix, before exclusions; a small stratum (the last poor households) still heard
            quota = max(1, round(want * len(group) / len(households)))
            free = [r for r in group if r.id not in reached]
            picked += rng.sample(free, min(quota, len(free)))
        town = names.get(code[:9] + "000", "")
        out += [CallRow(code, town, names.get(code, code), r.id, r.household_number, r.head_name, r.phone, r.status)
                for r in sorted(picked, key=lambda r: r.household_number)]
    return out


def apply_answers(conn: Connection, years: set[int] | None = None) -> set[str]:
    """Write each called household-year's answer (its latest connected call with an answer that year)
    into household_years.survey_satisfied, for `years` (all when None); returns the villages whose
    answers changed, for their facts to be refreshed. A household never reached keeps what its register
    said (an answer imported with the register before call-backs were kept here)."""
    answers = _latest_answers(conn, years=years)
    changed: set[str] = set()
    by_year: dict[int, dict[int, tuple[bool, str]]] = defaultdict(dict)
    for (hid, year), (_, sat, village) in answers.items():
        by_year[year][hid] = (Satisfaction(sat).approves, village)
    for year, wanted in sorted(by_year.items()):
        current = dict(conn.execute(select(HouseholdYear.household_id, HouseholdYear.survey_satisfied)
                                    .where(HouseholdYear.year == year)).all())
        ups = [{"hid": hid, "v": v} for hid, (v, _) in wanted.items() if hid in current and current[hid] != v]
        if ups:
            conn.execute(update(HouseholdYear).where(HouseholdYear.household_id == bindparam("hid"),
                                                      HouseholdYear.year == year)
                         .values(survey_satisfied=bindparam("v")).execution_options(synchronize_session=False), ups)
            changed |= {wanted[u["hid"]][1] for u in ups}
    return changed


def _latest_answers(conn: Connection, *, years: set[int] | None = None, prefix: str = "") \
        -> dict[tuple[int, int], tuple[tuple[str, int], str, str]]:
    """{(household, year): ((month, id), answer, village)}: the latest connected call with an answer."""
    q = select(Callback.household_id, Callback.month, Callback.id, Callback.satisfaction, Callback.village_code) \
        .where(Callback.outcome == CallOutcome.connected.value, Callback.satisfaction.is_not(None))
    if prefix:
        q = q.where(Callback.village_code.startswith(prefix))
    latest: dict[tuple[int, int], tuple[tuple[str, int], str, str]] = {}
    for hid, month, cid, sat, village in conn.execute(q):
        year = int(month[:4])
        if years is not None and year not in years:
            continue
        key = (hid, year)
        if key not in latest or latest[key][0] < (month, cid):
            latest[key] = ((month, cid), sat, village)
    return latest


def satisfaction_by_year(conn: Connection, prefix: str = "") -> dict[int, tuple[int, int]]:
    """{year: (approving answers, valid answers)} straight from the call records (one answer per
    household and year: its latest), for checking the facts against."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (_, year), (_, sat, _) in _latest_answers(conn, prefix=prefix).items():
        out[year][1] += 1
        out[year][0] += Satisfaction(sat).approves
    return {y: (a, n) for y, (a, n) in sorted(out.items())}
