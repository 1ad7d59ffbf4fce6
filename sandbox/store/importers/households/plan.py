"""The plan of a register import: what the checked rows will write, and the database's households it is
checked against. Turning checked rows into household and year records happens here too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.store import models as m
from sandbox.store.importers.convert import Converted
from sandbox.store.importers.households.specs import INCOMES
from sandbox.store.importers.upsert import KEEP

__all__ = ["KEEP", "HOUSEHOLD_COLS", "YEAR_COLS", "MEMBER_COLS", "YEAR_DEFAULTS", "Plan", "Heads",
           "plan_households", "plan_years"]

HOUSEHOLD_COLS = ("household_number", "village_code", "head_name", "id_number", "phone", "bank_account",
                  "attribute", "identified_year", "main_cause", "exit_batch", "lon", "lat")
YEAR_COLS = ("status", "exited_this_year", "members", "income_wage", "income_business", "income_transfer",
             "income_property", "production_cost", "net_income", "per_capita_net_income", "food_clothing_ok",
             "school_age_children", "dropout", "all_insured", "housing_grade", "relocated", "water_safe",
             "survey_satisfied")
MEMBER_COLS = ("name", "id_number", "relation", "sex", "ethnicity", "education", "health", "labour_capacity",
               "migrant_work")
# What a new year row gets for a column the file does not have: unknown (NULL), never a guess that
# the wall would show as a fact (every household 不愁吃穿, nobody relocated, no school-age child).
YEAR_DEFAULTS = {"food_clothing_ok": None, "relocated": None, "survey_satisfied": None, "school_age_children": None}


@dataclass
class Plan:
    """What the checked rows will write, and what the summary counts of households and people."""

    households: dict[str, dict] = field(default_factory=dict)  # number → household record
    years: list[tuple[str, int, dict]] = field(default_factory=list)  # (number, year, year record)
    members: dict[str, list[tuple]] | None = None  # number → member tuples, when members were given
    # Households whose latest year in the file is older than the database's: their own fields and a
    # stored member list are the newer year's and stay; the file's year rows are still written.
    older: set[str] = field(default_factory=set)
    head_of: dict[str, set[str]] = field(default_factory=dict)  # head ID → 户编号, per household's latest row
    populations: dict[tuple[str, int], int] = field(default_factory=dict)
    poor_flags: dict[str, tuple[object, object]] = field(default_factory=dict)  # code → (is_poor, exit_year)
    years_used: set[int] = field(default_factory=set)
    exit_years_given: bool = False
    # Households the file gives only in rejected rows: 户编号 → the first such row (as Excel numbers it),
    # and their people (家庭人口数 where readable): their member rows follow them, as notes, not errors.
    rejected: dict[str, int] = field(default_factory=dict)
    rejected_unnumbered: int = 0  # rejected rows whose 户编号 itself was unreadable
    followers: int = 0  # member rows not imported because their household was rejected
    people: int = 0  # in the households imported (家庭人口数 of each one's latest row)
    rejected_people: int = 0
    as_of: dt.date | None = None  # the latest 数据截至 / 填报日期 the rows carry



class Heads:
    """The database's households in one query: every 户编号, head ID number → 户编号, and the years
    each household has. The database keeps one head per household (its latest), so that head stands
    for each of the household's years that the file does not give again."""

    def __init__(self, conn: Connection) -> None:
        H, Y = m.Household.__table__, m.HouseholdYear.__table__
        self.years: dict[str, list[int]] = {}  # 户编号 → its years (empty: none yet)
        self._owner: dict[str, str | tuple[str, ...]] = {}  # a tuple where the database already has a duplicate
        rows = conn.execute(select(H.c.household_number, H.c.id_number, Y.c.year)
                            .select_from(H.outerjoin(Y, Y.c.household_id == H.c.id)))
        for number, ident, year in rows:
            years = self.years.get(number)
            if years is None:
                years = self.years[number] = []
                had = self._owner.get(ident)
                if had is None:
                    self._owner[ident] = number
                else:
                    self._owner[ident] = (had if isinstance(had, tuple) else (had,)) + (number,)
            if year is not None:
                years.append(year)

    @property
    def numbers(self):
        return self.years.keys()

    def owners(self, ident: str) -> tuple[str, ...]:
        had = self._owner.get(ident)
        return () if had is None else had if isinstance(had, tuple) else (had,)

    def latest_year(self, number: str) -> int | None:
        return max(self.years.get(number) or (), default=None)



def plan_households(conv: Converted, latest: dict[str, int], heads: Heads, plan: Plan) -> None:
    """Each household's own record from its latest valid row, unless the database holds a later year."""
    c, present = conv.columns, conv.present
    code, year, lon, lat = c["village_code"], c["year"], c.get("lon"), c.get("lat")
    for num, i in latest.items():
        plan.head_of.setdefault(c["id_number"][i], set()).add(num)
        stored = heads.latest_year(num)
        if stored is not None and year[i] < stored:
            plan.older.add(num)
            continue
        rec = {"household_number": num, "village_code": code[i]}
        for k in ("head_name", "id_number", "attribute", "identified_year", "main_cause"):
            rec[k] = c[k][i]
        rec["phone"] = c["phone"][i] if "phone" in present else KEEP
        rec["bank_account"] = c["bank_account"][i] if "bank_account" in present else KEEP
        if "exit_batch" in present and c["exit_batch"][i] is not None:
            rec["exit_batch"] = c["exit_batch"][i]
        else:
            rec["exit_batch"] = KEEP
        if "lon" in present and lon[i] is not None:
            rec["lon"], rec["lat"] = round(lon[i], 6), round(lat[i], 6)
        else:
            rec["lon"] = rec["lat"] = KEEP
        plan.households[num] = rec


def plan_years(conv: Converted, plan: Plan) -> None:
    """A year record for every valid row; incomes summed where the file gives no net income."""
    c, bad, present = conv.columns, conv.bad, conv.present
    n = len(conv)

    def col(key):
        return c.get(key) or [None] * n

    number, year, status, exit_year, members = (col(k) for k in ("household_number", "year", "status",
                                                                 "exit_year", "members"))

    def opt(key, i, default=KEEP):
        if key in present:
            v = c[key][i]
            return default if v is None and default is not KEEP else v
        return KEEP

    for i in range(n):
        if i in bad:
            continue
        y = year[i]
        incomes = {k: c[k][i] or 0.0 for k in INCOMES}
        net = c["net_income"][i] if "net_income" in present else None
        if net is None:
            net = round(incomes["income_wage"] + incomes["income_business"] + incomes["income_transfer"]
                        + incomes["income_property"] - incomes["production_cost"], 2)
        per_capita = c["per_capita_net_income"][i] if "per_capita_net_income" in present else None
        if per_capita is None:
            per_capita = round(net / members[i], 2)
        rec = {
            "status": status[i],
            "exited_this_year": status[i] == "exited" and exit_year[i] == y,
            "members": members[i], **incomes, "net_income": net, "per_capita_net_income": per_capita,
            "food_clothing_ok": opt("food_clothing_ok", i),
            "school_age_children": opt("school_age_children", i),
            "dropout": c["dropout"][i], "all_insured": c["all_insured"][i],
            "housing_grade": c["housing_grade"][i], "relocated": opt("relocated", i),
            "water_safe": c["water_safe"][i],
            "survey_satisfied": c["survey_satisfied"][i] if "survey_satisfied" in present else KEEP,
        }
        if rec["dropout"] and rec["school_age_children"] in (False, None):
            rec["school_age_children"] = True  # a dropout means a school-age child
        plan.years.append((number[i], y, rec))
        plan.years_used.add(y)
