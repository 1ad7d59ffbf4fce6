"""The register as household × year arrays, read once from the store, for the exit-year model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store import models as m

__all__ = ["Register", "load_register", "POOR", "EXITED", "CLOSED"]

# Status codes in `Register.status` (0: no row that year: not yet registered or gone from the register)
POOR, EXITED, CLOSED, RELAPSED = 1, 2, 3, 4
_STATUS = {"poor": POOR, "exited": EXITED, "closed": CLOSED, "relapsed": RELAPSED}
_WORKING = ("普通劳动力", "技能劳动力")
_CHUNK = 200_000  # household-year rows read at a time


@dataclass
class Register:
    """Arrays per household (index h) and per household × year (index [h, t], year = years[t]).

    Every [h, t] value is of that year only; the model's features for an as-of year Y read
    columns t ≤ Y and nothing later (tests/analytics poison the later columns to prove it)."""

    years: np.ndarray
    household_id: np.ndarray
    village_code: np.ndarray
    town_code: np.ndarray
    attribute: np.ndarray
    cause: np.ndarray
    identified_year: np.ndarray
    labour: np.ndarray  # members able to work (the register's member sheet: a snapshot, no year)
    status: np.ndarray
    exited_this_year: np.ndarray
    members: np.ndarray
    per_capita: np.ndarray
    line: np.ndarray  # [t] the year's income line
    income: dict[str, np.ndarray]  # wage, business, transfer, property
    gaps: dict[str, np.ndarray]  # food, education, medical, housing, water: True where unmet
    helpers: np.ndarray  # active 结对 assignments in the year
    visits: np.ndarray  # effective check-ins in the year
    projects: np.ndarray  # projects linked (利益联结) and started by the year
    village_population: dict[tuple[str, int], int]  # (village, year) → rural registered population

    def t(self, year: int) -> int:
        return int(year - self.years[0])

    def poor(self, t: int) -> np.ndarray:
        return np.isin(self.status[:, t], (POOR, RELAPSED))

    def copy(self) -> Register:
        """A deep copy (tests change one and compare)."""
        import copy
        return copy.deepcopy(self)


def load_register(session: Session) -> Register:
    years = sorted(session.scalars(select(m.HouseholdYear.year).distinct()))
    if not years:
        raise ValueError("库中没有任何年度的建档立卡户记录")
    years_a = np.arange(years[0], years[-1] + 1)
    ny = len(years_a)
    hh = session.execute(select(m.Household.id, m.Household.village_code, m.Household.attribute,
                                m.Household.main_cause, m.Household.identified_year)
                         .order_by(m.Household.id)).all()
    ids = np.array([r[0] for r in hh], dtype=np.int64)
    index = {int(i): k for k, i in enumerate(ids)}
    n = len(ids)
    villages = np.array([r[1] for r in hh], dtype=object)
    parents = dict(session.execute(select(m.Region.code, m.Region.parent_code).where(m.Region.level == "village")).all())
    towns = np.array([parents.get(v) or v[:9] + "000" for v in villages], dtype=object)

    shape = (n, ny)
    status = np.zeros(shape, dtype=np.int8)
    exited = np.zeros(shape, dtype=bool)
    members = np.zeros(shape, dtype=np.float64)
    per_capita = np.zeros(shape)
    income = {k: np.zeros(shape) for k in ("wage", "business", "transfer", "property")}
    gaps = {k: np.zeros(shape, dtype=bool) for k in ("food", "education", "medical", "housing", "water")}
    hy = m.HouseholdYear
    q = select(hy.household_id, hy.year, hy.status, hy.exited_this_year, hy.members, hy.per_capita_net_income,
               hy.income_wage, hy.income_business, hy.income_transfer, hy.income_property, hy.food_clothing_ok,
               hy.school_age_children, hy.dropout, hy.all_insured, hy.housing_grade, hy.relocated, hy.water_safe)
    # Core rows as plain tuples: the ORM's Row objects cost ~40 µs each in the DataFrame's constructor.
    # In chunks: all 13.6 million household-years of a province as tuples at once would take ≈ 15 GB.
    result = session.connection().execute(q.execution_options(yield_per=_CHUNK))
    for rows in result.partitions(_CHUNK):
        df = pd.DataFrame.from_records([tuple(r) for r in rows], columns=[c.name for c in q.selected_columns])
        where = np.searchsorted(ids, df["household_id"].to_numpy(np.int64))
        known = (where < n) & (ids[np.minimum(where, n - 1)] == df["household_id"].to_numpy(np.int64))
        df, h = df[known], where[known]
        t = df["year"].to_numpy(np.int64) - years_a[0]

        def col(name: str, fill=0) -> np.ndarray:
            return df[name].fillna(fill).to_numpy()

        status[h, t] = df["status"].map(_STATUS).fillna(0).to_numpy(np.int8)
        exited[h, t] = col("exited_this_year", False).astype(bool)
        members[h, t] = col("members")
        per_capita[h, t] = col("per_capita_net_income")
        for key in income:
            income[key][h, t] = col(f"income_{key}")
        gaps["food"][h, t] = df["food_clothing_ok"].map(lambda v: v is False or v == 0).to_numpy(bool)
        gaps["education"][h, t] = col("school_age_children", False).astype(bool) & col("dropout", False).astype(bool)
        gaps["medical"][h, t] = ~col("all_insured", False).astype(bool)
        gaps["housing"][h, t] = ~df["housing_grade"].isin(["A", "B"]).to_numpy() & ~col("relocated", False).astype(bool)
        gaps["water"][h, t] = ~col("water_safe", False).astype(bool)

    lines = dict(session.execute(select(m.PovertyLine.year, m.PovertyLine.line_yuan)).all())
    line = np.array([float(lines.get(int(y)) or lines.get(max(lines), 1.0)) if lines else 1.0 for y in years_a])

    labour = np.zeros(n)
    for hid, count in session.execute(select(m.Member.household_id, func.count())
                                      .where(m.Member.labour_capacity.in_(_WORKING)).group_by(m.Member.household_id)):
        if (h := index.get(int(hid))) is not None:
            labour[h] = count

    helpers = np.zeros(shape)
    for hid, start, end in session.execute(select(m.Assignment.household_id, m.Assignment.start_year,
                                                  m.Assignment.end_year)):
        if (h := index.get(int(hid))) is not None:
            active = (years_a >= (start or 0)) & (years_a < (end or 10_000))
            helpers[h] += active

    visits = np.zeros(shape)
    year_of = func.extract("year", m.Checkin.at)
    for hid, y, count in session.execute(select(m.Checkin.household_id, year_of, func.count())
                                         .where(m.Checkin.effective.is_(True))
                                         .group_by(m.Checkin.household_id, year_of)):
        h, t = index.get(int(hid)), int(y) - years_a[0]
        if h is not None and 0 <= t < ny:
            visits[h, t] = count

    projects = np.zeros(shape)
    started = func.coalesce(m.Project.started_year, m.Project.planned_year)
    for hid, y in session.execute(select(m.ProjectBeneficiary.household_id, started)
                                  .join(m.Project, m.Project.id == m.ProjectBeneficiary.project_id)):
        if (h := index.get(int(hid))) is not None and y is not None:
            projects[h] += years_a >= int(y)

    population = {(c, int(y)): int(p) for c, y, p in session.execute(
        select(m.RegionPopulation.region_code, m.RegionPopulation.year, m.RegionPopulation.rural_population))}
    return Register(years_a, ids, villages, towns, np.array([r[2] for r in hh], dtype=object),
                    np.array([r[3] for r in hh], dtype=object), np.array([r[4] for r in hh], dtype=np.int64),
                    labour, status, exited, members, per_capita, line, income, gaps, helpers, visits, projects,
                    population)
