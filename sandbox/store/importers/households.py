"""`sandbox import households`: 建档立卡 registers validated row by row, upserted in one transaction.

A register is one row per household and year (户信息), optionally with the members (家庭成员) and
the villages' rural population and poor-village flags (村级数据). Valid rows are upserted by
户编号 (and 年度); invalid rows go to the error report. Importing the same file twice changes
nothing: rows equal to the database are left alone and the indicators are not even recomputed.
A person heads at most one household in any one year: a head's ID number heading another household
in the same year (in the file, or a year the database holds) is an error of the later row; across years
it may (a renumbered household, a closed one's head registering again). A household's own fields (head,
ID …) come from its latest year in the file, unless the database already holds a later year for it.
A member's ID listed under two households is an error of the later row, and a household with a
rejected member row keeps its stored member list whole.
A rejected household is one line of the report, in 户信息; its member rows follow it as notes, not as
errors of their own, and the summary counts households and people in and out (RegisterImport.summary_zh).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine
from tqdm import tqdm

from sandbox.domain import rules
from sandbox.store import models as m
from sandbox.store.bulk import bulk_insert
from sandbox.store.importers.convert import Converted, RegionIndex, convert_table
from sandbox.store.importers.mapping import Mapping, load_mapping
from sandbox.store.importers.realnames import RealNames
from sandbox.store.importers.report import (
    ERROR, ImportFailed, ImportReport, remove_stale_report, see_report, write_report_quietly,
)
from sandbox.store.importers.register_specs import INCOMES, PLACE, household_specs, member_specs, village_specs
from sandbox.store.importers.tables import SKIP_KINDS, EXCEL_SUFFIXES, Table, read_table
from sandbox.store.importers.upsert import bulk_update, delete_where_in, reset_sequence
from sandbox.store.rollup import refresh_facts, refresh_totals

__all__ = ["import_households", "import_villages", "RegisterImport", "Counts"]

_KEEP = object()  # a column the file does not have: existing rows keep their value

_HOUSEHOLD_COLS = ("household_number", "village_code", "head_name", "id_number", "phone", "bank_account",
                   "attribute", "identified_year", "main_cause", "exit_batch", "lon", "lat")
_YEAR_COLS = ("status", "exited_this_year", "members", "income_wage", "income_business", "income_transfer",
              "income_property", "production_cost", "net_income", "per_capita_net_income", "food_clothing_ok",
              "school_age_children", "dropout", "all_insured", "housing_grade", "relocated", "water_safe",
              "survey_satisfied")
_MEMBER_COLS = ("name", "id_number", "relation", "sex", "ethnicity", "education", "health", "labour_capacity",
                "migrant_work")
# What a new year row gets for a column the file does not have: unknown (NULL), never a guess that
# the wall would show as a fact (every household 不愁吃穿, nobody relocated, no school-age child).
_YEAR_DEFAULTS = {"food_clothing_ok": None, "relocated": None, "survey_satisfied": None, "school_age_children": None}


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.new + self.updated


@dataclass
class RegisterImport:
    """What one import did; `report_path` is set when the report was written."""

    file: str
    rows_read: int = 0
    rows_rejected: int = 0
    households: Counts = field(default_factory=Counts)
    years: Counts = field(default_factory=Counts)
    members: Counts = field(default_factory=Counts)  # households whose member list is new / replaced / equal
    member_rows: int = 0
    member_rows_not_imported: int = 0  # members of rejected households: not errors of their own
    households_imported: int = 0  # distinct households with a valid row (new, updated or equal)
    households_rejected: int = 0
    household_rows_rejected: int = 0
    people_imported: int = 0
    people_rejected: int = 0
    rows_skipped: dict[str, int] = field(default_factory=dict)  # not records (合计, 制表人, header again)
    as_of: dt.date | None = None  # the register's own date, shown as 数据截至
    populations: Counts = field(default_factory=Counts)
    poor_villages_updated: int = 0
    derived_village_exits: int = 0
    poverty_lines_added: list[int] = field(default_factory=list)
    report: ImportReport = field(default_factory=ImportReport)
    report_path: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.households.changed or self.years.changed or self.members.changed
                    or self.populations.changed or self.poor_villages_updated or self.poverty_lines_added
                    or self.derived_village_exits)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def summary_zh(self) -> list[str]:
        """What a clerk reads first: households and people in and out, rows skipped, warnings, the date."""
        lines = []
        if self.households_imported or self.households_rejected:
            line = f"户信息: 导入 {self.households_imported:,} 户 ({self.people_imported:,} 人)"
            if self.households_rejected:
                line += f", 拒绝 {self.households_rejected:,} 户 ({self.people_rejected:,} 人)"
            if self.member_rows_not_imported:
                line += f"; 被拒户的家庭成员 {self.member_rows_not_imported:,} 行随之未导入 (不另算错误)"
            lines.append(line)
        if self.rows_skipped:
            kinds = "、".join(f"{SKIP_KINDS[k]} {n}" for k, n in self.rows_skipped.items())
            lines.append(f"跳过非数据行 {sum(self.rows_skipped.values())} 行 ({kinds})")
        warnings = len(self.report.warnings)
        if warnings:
            lines.append(f"警告 {warnings} 条: 已导入, 但请核对 (如按近似写法识别的值、乡镇村名), 见报告")
        if self.as_of:
            lines.append(f"数据截至 {self.as_of.isoformat()}")
        return lines


# --- reading and checking --------------------------------------------------------------------------


@dataclass
class _Plan:
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


def _fail_if_not_importable(conn: Connection) -> None:
    meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
    if meta.get("demo") == "true":
        raise ImportFailed("数据库中是演示数据 (sandbox demo build 生成); 真实登记表请导入新数据库 (--db), "
                           "或先导入真实边界并清除演示数据: sandbox import boundaries 文件 --replace-demo")
    if conn.execute(select(m.Region.code).limit(1)).first() is None:
        raise ImportFailed("数据库中还没有区划, 请先导入边界: sandbox import boundaries 文件 (县、乡镇、村)")


class _Heads:
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


def _latest_rows(number: list, year: list, bad: set[int]) -> dict[str, int]:
    """Per 户编号, its latest valid year row."""
    latest: dict[str, int] = {}
    for i in range(len(number)):
        if i not in bad:
            j = latest.get(number[i])
            if j is None or year[i] > year[j]:
                latest[number[i]] = i
    return latest


def _check_head_ids(conv: Converted, heads: _Heads, err: Callable) -> dict[str, int]:
    """A person heads at most one household in any one year, the file's rows and the database's
    household-years together: the later row is rejected, the database comes first. A household-year
    the file gives again speaks for itself (its head may change); the database's other years have the
    household's stored head. Across years anything goes: a household renumbered (村合并), a closed
    household's head registering again, 分户 — each keeps its own ID.

    Returns each household's latest valid year row."""
    c, bad, row = conv.columns, conv.bad, conv.row_number
    number, year, ident = c["household_number"], c["year"], c["id_number"]
    # Nearly always no ID is shared by two households, in the file or with the database: say so with
    # sets (tens of milliseconds for 100,000 rows) and skip the row-by-row search for the later row.
    pairs = {pair for pair in set(zip(ident, number)) if pair[0] is not None}
    if len({x for x, _ in pairs}) == len(pairs) and all(heads.owners(x) in ((), (num,)) for x, num in pairs):
        return _latest_rows(number, year, bad)
    # Rejecting a row gives its household-year back to the database's head, which can make another
    # row conflict: repeat until a pass rejects nothing (a second pass is rare, a third rarer still).
    while True:
        given = {(number[i], year[i]) for i in range(len(conv)) if i not in bad}
        first: dict[tuple[str, int], int] = {}
        rejected = False
        for i in range(len(conv)):
            if i in bad:
                continue
            x, y, num = ident[i], year[i], number[i]
            j = first.setdefault((x, y), i)
            if number[j] != num:
                err(i, "id_number", x, f"证件号码与第 {row(j)} 行 (户编号 {number[j]}) 相同, "
                                       f"同一年度 ({y}) 一人不能是两户的户主")
                rejected = True
                continue
            other = next((o for o in heads.owners(x) if o != num and (o, y) not in given and y in heads.years[o]),
                         None)
            if other is not None:
                err(i, "id_number", x, f"证件号码已属于数据库中的另一户 (户编号 {other}) {y} 年度的户主, "
                                       f"同一年度一人不能是两户的户主")
                del first[(x, y)]
                rejected = True
        if not rejected:
            return _latest_rows(number, year, bad)


def _check_households(conv: Converted, regions: RegionIndex, mapping: Mapping, lines: set[int], heads: _Heads,
                      report: ImportReport, plan: _Plan) -> None:
    t, c, bad = conv.table, conv.columns, conv.bad
    n = len(conv)
    hdr = conv.headers
    lay = mapping.households

    def col(key):
        return c.get(key) or [None] * n

    def err(i, key, value, reason):
        report.error(t.file, t.sheet, conv.row_number(i), hdr.get(key) or lay.header(key), value, reason)
        bad.add(i)

    number, year, ident = col("household_number"), col("year"), col("identified_year")
    status, exit_year, members = col("status"), col("exit_year"), col("members")
    code, county, town, village = col("village_code"), col("county"), col("town"), col("village")
    lon, lat = col("lon"), col("lat")
    seen: dict[tuple[str, int], int] = {}
    place_memo: dict[tuple, tuple] = {}
    for i in range(n):
        if i in bad:
            continue
        key = (number[i], year[i])
        if key in seen:
            err(i, "year", year[i], f"户编号 {number[i]} 的 {year[i]} 年度在第 {seen[key]} 行已出现过")
            continue
        seen[key] = conv.row_number(i)
        if ident[i] > year[i]:
            err(i, "identified_year", ident[i], f"识别年度晚于年度 {year[i]}")
            continue
        if exit_year[i] is not None and (exit_year[i] > year[i] or exit_year[i] < ident[i]):
            err(i, "exit_year", exit_year[i], f"脱贫年度应在识别年度 {ident[i]} 与年度 {year[i]} 之间")
            continue
        if year[i] not in lines and year[i] not in mapping.poverty_lines:
            err(i, "year", year[i], f"没有 {year[i]} 年的贫困线 (数据库和映射文件 [poverty_lines] 中都没有)")
            continue
        if (lon[i] is None) != (lat[i] is None):
            err(i, "lon" if lon[i] is None else "lat", None, "经度和纬度应同时填写或同时留空")
            continue
        pkey = (code[i], county[i], town[i], village[i])
        placed = place_memo.get(pkey)
        if placed is None:
            placed = place_memo[pkey] = regions.village(*pkey)
        vcode, column, reason = placed
        if vcode is None:
            key_col = {"code": "village_code", "county": "county", "town": "town", "village": "village"}[column]
            if key_col == "village_code" and "village_code" not in conv.present:
                key_col = "village"
            err(i, key_col, {"village_code": code, "county": county, "town": town, "village": village}[key_col][i],
                reason)
            continue
        if reason:  # a name that disagrees with the code, or written another way: imported, and said so
            by_name = not code[i]
            report.warning(t.file, t.sheet, conv.row_number(i), "乡镇/村" if by_name else hdr.get("village"),
                           f"{town[i]} {village[i]}" if by_name else village[i], reason)
        real = getattr(regions, "real_names", None)
        unreal = real.check(vcode, town[i], village[i]) if real is not None and not code[i] else None
        if unreal:  # placed by names the statistics bureau does not list: imported, with the nearest real ones
            report.warning(t.file, t.sheet, conv.row_number(i), hdr.get("village"), village[i], unreal)
        code[i] = vcode
    c["village_code"] = code
    latest = _check_head_ids(conv, heads, err)
    present = conv.present
    for num, i in latest.items():
        plan.head_of.setdefault(c["id_number"][i], set()).add(num)
        stored = heads.latest_year(num)
        if stored is not None and year[i] < stored:
            plan.older.add(num)
            continue
        rec = {"household_number": num, "village_code": code[i]}
        for k in ("head_name", "id_number", "attribute", "identified_year", "main_cause"):
            rec[k] = c[k][i]
        rec["phone"] = c["phone"][i] if "phone" in present else _KEEP
        rec["bank_account"] = c["bank_account"][i] if "bank_account" in present else _KEEP
        if "exit_batch" in present and c["exit_batch"][i] is not None:
            rec["exit_batch"] = c["exit_batch"][i]
        else:
            rec["exit_batch"] = _KEEP
        if "lon" in present and lon[i] is not None:
            rec["lon"], rec["lat"] = round(lon[i], 6), round(lat[i], 6)
        else:
            rec["lon"] = rec["lat"] = _KEEP
        plan.households[num] = rec

    def opt(key, i, default=_KEEP):
        if key in present:
            v = c[key][i]
            return default if v is None and default is not _KEEP else v
        return _KEEP

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
            "survey_satisfied": c["survey_satisfied"][i] if "survey_satisfied" in present else _KEEP,
        }
        if rec["dropout"] and rec["school_age_children"] in (False, None):
            rec["school_age_children"] = True  # a dropout means a school-age child
        plan.years.append((number[i], y, rec))
        plan.years_used.add(y)
    _count_households(conv, latest, plan)


def _count_households(conv: Converted, latest: dict[str, int], plan: _Plan) -> None:
    """Households and people imported and rejected: a household is rejected when none of its rows is valid."""
    c, bad = conv.columns, conv.bad
    number, members = c["household_number"], c["members"]
    plan.people += sum(members[i] for i in latest.values())
    for i in sorted(bad):
        num = number[i]
        if num is None:
            plan.rejected_unnumbered += 1
        elif num not in latest and num not in plan.rejected:
            plan.rejected[num] = conv.row_number(i)
            plan.rejected_people += members[i] or 0
    if "as_of" in conv.present:
        dates = [d for i, d in enumerate(c["as_of"]) if d is not None and i not in bad]
        plan.as_of = max(dates, default=None)


def _check_members(conv: Converted, known: set[str], report: ImportReport, plan: _Plan) -> None:
    t, c, bad = conv.table, conv.columns, conv.bad
    n = len(conv)
    hdr = conv.headers
    groups: dict[str, list[tuple]] = {}
    present = conv.present
    number, ident_col = c["household_number"], c["id_number"]
    # A household's member list is replaced whole, so one with a rejected row keeps its stored list
    # (the rest of its rows would drop the rejected person, or move them by row order): household →
    # the row that froze it. Rows rejected while converting (a bad cell) count, where their 户编号 is readable.
    frozen: dict[str, int] = {}
    for i in sorted(bad):
        if number[i] is not None:
            frozen.setdefault(number[i], i)
    # A person belongs to one household: a member ID seen before (another household's member, or a
    # head in 户信息 of another household) rejects the later row. The database's members are not
    # compared: that would read every member of the database.
    seen: dict[str, tuple[str, int]] = {}  # ID → (户编号, row)
    disputed: dict[str, int] = {}  # ID of a rejected person → the row rejected first
    head_of = plan.head_of
    # A rejected household is reported once, in 户信息: its member rows follow it as notes, their own
    # errors (the head's bad ID again) included, so that one bad household is one line to fix.
    follow = {conv.row_number(i): i for i in range(n) if number[i] in plan.rejected}
    if follow:
        report.issues = [x for x in report.issues if not (x.level == ERROR and x.file == t.file
                                                          and x.sheet == t.sheet and x.row in follow)]
    for i in follow.values():
        num = number[i]
        report.note(t.file, t.sheet, conv.row_number(i), hdr["household_number"], num,
                    f"未导入: 所属户的户信息第 {plan.rejected[num]} 行被拒绝 (改正该户后重新导入)")
        bad.add(i)
    plan.followers = len(follow)
    for i in range(n):
        if i in bad:
            continue
        num = number[i]
        if num not in known:
            report.error(t.file, t.sheet, conv.row_number(i), hdr["household_number"], num,
                         "户编号不在户信息中 (或该户的行有错误未导入), 也不在数据库中")
            bad.add(i)
            continue
        ident = ident_col[i]
        prev, headed = seen.get(ident), head_of.get(ident)
        reason = None
        if prev is not None:
            reason = (f"证件号码与第 {prev[1]} 行相同, 同一户的成员重复" if prev[0] == num
                      else f"证件号码与第 {prev[1]} 行 (户编号 {prev[0]}) 相同, 一人不能属于两户")
        elif headed and num not in headed:
            reason = f"证件号码是户信息中另一户 (户编号 {min(headed)}) 户主的证件号码, 一人不能属于两户"
        if reason:
            report.error(t.file, t.sheet, conv.row_number(i), hdr["id_number"], ident, reason)
            bad.add(i)
            frozen.setdefault(num, i)
            disputed.setdefault(ident, i)
            continue
        seen[ident] = (num, conv.row_number(i))

        def val(k):
            return (c[k][i] or "") if k in present else ""

        sex = val("sex") or ("男" if int(ident[16]) % 2 else "女")
        groups.setdefault(num, []).append((
            c["name"][i], ident, val("relation"), sex, val("ethnicity"), val("education"), val("health"),
            val("labour_capacity"), bool(c["migrant_work"][i]) if "migrant_work" in present else False,
        ))
    # A person rejected as being in two households moves nowhere: the households of their accepted
    # rows keep their lists too.
    if disputed:
        for i in range(n):
            if i not in bad and ident_col[i] in disputed:
                frozen.setdefault(number[i], disputed[ident_col[i]])
    for num, i in sorted(frozen.items(), key=lambda item: item[1]):
        if num not in known:
            continue
        whose = "该户有成员行未导入" if number[i] == num else f"本行的人也列在户编号 {num} 中"
        report.warning(t.file, t.sheet, conv.row_number(i), hdr["household_number"], num,
                       f"{whose}, 户编号 {num} 的成员名单不更新 (数据库中该户原有的成员保持不变); "
                       f"改正后重新导入该户的全部成员行")
        groups.pop(num, None)
    plan.members = groups


def _check_villages(conv: Converted, regions: RegionIndex, lines: set[int], mapping: Mapping,
                    report: ImportReport, plan: _Plan) -> None:
    t, c, bad = conv.table, conv.columns, conv.bad
    n = len(conv)
    hdr = conv.headers
    lay = mapping.villages

    def col(key):
        return c.get(key) or [None] * n

    code, county, town, village, year = col("village_code"), col("county"), col("town"), col("village"), col("year")
    poor, exit_year = col("is_poor_village"), col("poor_village_exit_year")
    plan.exit_years_given = "poor_village_exit_year" in conv.present
    seen: dict[tuple[str, int], int] = {}
    for i in range(n):
        if i in bad:
            continue
        vcode, column, reason = regions.village(code[i], county[i], town[i], village[i])
        if vcode is None:
            key = "village_code" if column == "code" and "village_code" in conv.present else \
                "town" if column == "town" else "village"
            report.error(t.file, t.sheet, conv.row_number(i), hdr.get(key) or lay.header(key),
                         {"village_code": code, "town": town, "village": village}[key][i], reason)
            bad.add(i)
            continue
        if reason and not code[i]:
            report.warning(t.file, t.sheet, conv.row_number(i), "乡镇/村", f"{town[i]} {village[i]}", reason)
        if (vcode, year[i]) in seen:
            report.error(t.file, t.sheet, conv.row_number(i), hdr["year"], year[i],
                         f"村 {vcode} 的 {year[i]} 年度在第 {seen[(vcode, year[i])]} 行已出现过")
            bad.add(i)
            continue
        if year[i] not in lines and year[i] not in mapping.poverty_lines:
            report.error(t.file, t.sheet, conv.row_number(i), hdr["year"], year[i],
                         f"没有 {year[i]} 年的贫困线 (数据库和映射文件 [poverty_lines] 中都没有)")
            bad.add(i)
            continue
        seen[(vcode, year[i])] = conv.row_number(i)
        plan.populations[(vcode, year[i])] = c["rural_population"][i]
        plan.years_used.add(year[i])
        is_poor = poor[i] if "is_poor_village" in conv.present else _KEEP
        ey = exit_year[i] if plan.exit_years_given else _KEEP
        if is_poor is False and ey not in (None, _KEEP):
            report.error(t.file, t.sheet, conv.row_number(i), hdr["poor_village_exit_year"], ey,
                         "不是贫困村, 却填了出列年度")
            bad.add(i)
            continue
        old = plan.poor_flags.get(vcode, (_KEEP, _KEEP))
        plan.poor_flags[vcode] = (old[0] if is_poor is _KEEP or is_poor is None else is_poor,
                                  old[1] if ey is _KEEP or (ey is None and old[1] not in (None, _KEEP)) else ey)


# --- writing ---------------------------------------------------------------------------------------


def _write(conn: Connection, plan: _Plan, regions: RegionIndex, mapping: Mapping, result: RegisterImport
           ) -> set[str]:
    """Upsert the plan; returns the villages whose records changed."""
    H, Y = m.Household.__table__, m.HouseholdYear.__table__
    affected_villages: set[str] = set()

    # Households, by 户编号.
    if plan.households:
        existing = {r[1]: r for r in conn.execute(select(*[H.c[k] for k in ("id",) + _HOUSEHOLD_COLS])).all()}
        new_rows, updates = [], {}
        for num, rec in plan.households.items():
            old = existing.get(num)
            if old is None:
                full = dict(rec)
                if full["phone"] is _KEEP:
                    full["phone"] = None
                if full["bank_account"] is _KEEP:
                    full["bank_account"] = None
                if full["exit_batch"] is _KEEP:  # 无数据 unless the mapping file names a default on purpose
                    full["exit_batch"] = mapping.households.defaults.get("exit_batch")
                if full["lon"] is _KEEP:
                    point = regions.label_point(full["village_code"]) or (0.0, 0.0)
                    full["lon"], full["lat"] = round(point[0], 6), round(point[1], 6)
                new_rows.append(tuple(full[k] for k in _HOUSEHOLD_COLS))
                affected_villages.add(full["village_code"])
                continue
            changed = [(k, v) for k, v, o in zip(_HOUSEHOLD_COLS, (rec[k] for k in _HOUSEHOLD_COLS), old[1:])
                       if v is not _KEEP and v != o]
            if changed:
                cols = tuple(k for k, _ in changed)
                updates.setdefault(cols, []).append(tuple(v for _, v in changed) + (old.id,))
                affected_villages.update((old.village_code, rec["village_code"]))
            else:
                result.households.unchanged += 1
        if new_rows:
            reset_sequence(conn, "households")
            bulk_insert(conn, H, _HOUSEHOLD_COLS, new_rows)
        for cols, rows in updates.items():
            bulk_update(conn, "households", ("id",), cols, rows)
        result.households.new = len(new_rows)
        result.households.updated = sum(len(r) for r in updates.values())

    result.households.unchanged += len(plan.older)
    ids, village_of = {}, {}
    if plan.years or plan.members:
        for num, hid, code in conn.execute(select(H.c.household_number, H.c.id, H.c.village_code)):
            ids[num], village_of[num] = hid, code  # after the update above: a moved household's new village

    # Household years, by (household, year).
    if plan.years:
        years = sorted({y for _, y, _ in plan.years})
        existing_years = {}
        for r in conn.execute(select(*[Y.c[k] for k in ("household_id", "year") + _YEAR_COLS])
                              .where(Y.c.year.in_(years))).all():
            existing_years[(r[0], r[1])] = r
        new_rows, updates = [], {}
        for num, y, rec in plan.years:
            hid = ids[num]
            old = existing_years.get((hid, y))
            if old is None:
                full = {k: (_YEAR_DEFAULTS.get(k) if v is _KEEP else v) for k, v in rec.items()}
                new_rows.append((hid, y) + tuple(full[k] for k in _YEAR_COLS))
                affected_villages.add(village_of[num])
                continue
            changed = [(k, v) for k, v, o in zip(_YEAR_COLS, (rec[k] for k in _YEAR_COLS), old[2:])
                       if v is not _KEEP and v != o]
            if changed:
                cols = tuple(k for k, _ in changed)
                updates.setdefault(cols, []).append(tuple(v for _, v in changed) + (hid, y))
                affected_villages.add(village_of[num])
            else:
                result.years.unchanged += 1
        if new_rows:
            bulk_insert(conn, Y, ("household_id", "year") + _YEAR_COLS, new_rows)
        for cols, rows in updates.items():
            bulk_update(conn, "household_years", ("household_id", "year"), cols, rows)
        result.years.new = len(new_rows)
        result.years.updated = sum(len(r) for r in updates.values())

    # Members: a household's list is replaced when it differs from the file's, unless the file is of
    # an older year than the database holds for the household (its stored list is the newer one).
    if plan.members:
        M = m.Member.__table__
        wanted = {ids[num]: rows for num, rows in plan.members.items()}
        older = {ids[num] for num in plan.older}
        existing_members: dict[int, list[tuple]] = {}
        for r in conn.execute(select(M.c.household_id, *[M.c[k] for k in _MEMBER_COLS])
                              .order_by(M.c.household_id, M.c.id)).all():
            if r[0] in wanted:
                existing_members.setdefault(r[0], []).append(tuple(r[1:]))
        replace, inserts = [], []
        for hid, rows in wanted.items():
            old = existing_members.get(hid)
            if old == rows or (old is not None and hid in older):
                result.members.unchanged += 1
                continue
            if old is None:
                result.members.new += 1
            else:
                result.members.updated += 1
                replace.append(hid)
            inserts += [(hid, *row) for row in rows]
        if replace:
            delete_where_in(conn, "members", "household_id", replace)
        if inserts:
            reset_sequence(conn, "members")
            bulk_insert(conn, M, ("household_id",) + _MEMBER_COLS, inserts)
        result.member_rows = len(inserts)

    # Rural population per village and year; poor-village flags.
    if plan.populations:
        P = m.RegionPopulation.__table__
        existing_pop = {(r[0], r[1]): r[2] for r in conn.execute(
            select(P.c.region_code, P.c.year, P.c.rural_population)).all()}
        new_rows, updates = [], []
        for (code, y), pop in plan.populations.items():
            old = existing_pop.get((code, y))
            if old is None:
                new_rows.append((code, y, pop))
            elif old != pop:
                updates.append((pop, code, y))
            else:
                result.populations.unchanged += 1
                continue
            affected_villages.add(code)
        bulk_insert(conn, P, ("region_code", "year", "rural_population"), new_rows)
        bulk_update(conn, "region_populations", ("region_code", "year"), ("rural_population",), updates)
        result.populations.new, result.populations.updated = len(new_rows), len(updates)
    flag_updates = []
    for code, (is_poor, exit_year) in plan.poor_flags.items():
        r = regions.by_code[code]
        new_poor = r.is_poor_village if is_poor is _KEEP else bool(is_poor)
        new_exit = r.poor_village_exit_year if exit_year is _KEEP else exit_year
        if not new_poor:
            new_exit = None
        if (new_poor, new_exit) != (bool(r.is_poor_village), r.poor_village_exit_year):
            flag_updates.append((new_poor, new_exit, code))
            affected_villages.add(code)
    bulk_update(conn, "regions", ("code",), ("is_poor_village", "poor_village_exit_year"), flag_updates)
    result.poor_villages_updated = len(flag_updates)

    # Poverty lines for the years used, where the database has none.
    have = set(conn.execute(select(m.PovertyLine.year)).scalars())
    add = sorted(y for y in plan.years_used if y not in have)
    bulk_insert(conn, m.PovertyLine.__table__, ("year", "line_yuan"), [(y, mapping.poverty_lines[y]) for y in add])
    result.poverty_lines_added = add
    return affected_villages


def _rollup(conn: Connection, plan: _Plan, affected_villages: set[str], regions: RegionIndex, mapping: Mapping,
            result: RegisterImport, source: str, as_of: dt.date | None) -> None:
    """Recompute the indicators of the counties touched, in the import's transaction."""
    counties = sorted({c[:6] for c in affected_villages}) or [""]
    for county in counties:
        refresh_facts(conn, county)
    explicit = set(plan.poor_flags) if plan.exit_years_given else set()
    result.derived_village_exits = _derive_poor_village_exits(conn, mapping.village_exit_incidence, explicit)
    refresh_totals(conn)
    _stamp_meta(conn, source, regions, as_of)


def _derive_poor_village_exits(conn: Connection, threshold_pct: float, explicit: set[str]) -> int:
    """A poor village with no recorded 出列年度 exits in the first year its incidence is below the
    threshold (as the demo does); villages whose exit year the file gave are left as given."""
    R, F = m.Region, m.RegionYearFacts
    pending = set(conn.execute(select(R.code).where(R.is_poor_village.is_(True), R.poor_village_exit_year.is_(None)))
                  .scalars()) - explicit
    if not pending:
        return 0
    rows = conn.execute(select(F.region_code, F.year, F.poor_population, F.rural_population))
    found = rules.village_exit_years(rows, pending, threshold_pct)
    bulk_update(conn, "regions", ("code",), ("poor_village_exit_year",), [(y, c) for c, y in found.items()])
    return len(found)


def _stamp_meta(conn: Connection, source: str, regions: RegionIndex, as_of: dt.date | None) -> None:
    """data_as_of is the register's own date (数据截至) when it has one, imported_at the import's time:
    a register of 2020-12-31 imported in March is not "as of March"."""
    meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
    now = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
    values = {"demo": "false", "data_as_of": as_of.isoformat() if as_of else now, "imported_at": now,
              "built_at": now, "households_source": source}
    if not meta.get("county_code"):
        counties = Counter(c[:6] for c in conn.execute(select(m.Household.village_code)).scalars())
        if counties:
            code = counties.most_common(1)[0][0]
            values["county_code"] = code
            county = regions.by_code.get(code + "000000")
            if county is not None:
                values["county_name"] = county.name
    conn.execute(delete(m.Meta).where(m.Meta.key.in_(list(values))))
    conn.execute(insert(m.Meta), [{"key": k, "value": v} for k, v in values.items()])


def _restamp_as_of(conn: Connection, as_of: dt.date) -> None:
    """Only the register's date changes: 数据截至 (and the build stamp, so no answer is served from before)."""
    stored = conn.execute(select(m.Meta.value).where(m.Meta.key == "data_as_of")).scalar()
    if stored == as_of.isoformat():
        return
    now = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
    values = {"data_as_of": as_of.isoformat(), "built_at": now}
    conn.execute(delete(m.Meta).where(m.Meta.key.in_(list(values))))
    conn.execute(insert(m.Meta), [{"key": k, "value": v} for k, v in values.items()])


# --- entry points ----------------------------------------------------------------------------------


class _Progress:
    """One bar for an import, in rows: rows read (a CSV every 10,000 rows; a workbook's sheet at once,
    calamine reads it in one call), rows checked (per table and step: the conversion is column by
    column), then the writing steps by name. No bar when stderr is not a terminal."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.bar = tqdm(total=0, desc=f"读取 {name}", unit="行", unit_scale=True, leave=False,
                        disable=None if enabled else True)  # None: no bar when stderr is not a terminal
        self._expected: dict[int, int] = {}  # per table read so far: its rows, about

    def reader(self) -> Callable[[int, int], None]:
        """A progress callback for one table: its expected rows join the bar's total."""
        key = len(self._expected)

        def read(rows: int, expected: int) -> None:
            self._expected[key] = max(expected, self._expected.get(key, 0))
            self.bar.total = max(sum(self._expected.values()), self.bar.n + rows)
            self.bar.update(rows)
        return read

    def phase(self, desc: str, total: int | None = None) -> None:
        """A new step; with `total`, counted again from 0 rows."""
        self.bar.set_description(desc, refresh=total is None)
        if total is not None:
            self.bar.reset(total=total)

    def advance(self, rows: int) -> None:
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()


def _read_tables(path: Path, mapping: Mapping, members_path, villages_path, sheet: str | None,
                 households: bool, progress: _Progress) -> dict[str, Table | None]:
    """The register's tables: sheets of one workbook, or a CSV with its companion CSVs."""
    if not households:
        return {"villages": _with_rows(read_table(path, known_headers=mapping.villages.known_headers(), sheet=sheet,
                                                  sheet_candidates=mapping.villages.sheets,
                                                  progress=progress.reader()))}
    tables: dict[str, Table | None] = {
        "households": _with_rows(read_table(path, known_headers=mapping.households.known_headers(), sheet=sheet,
                                            sheet_candidates=mapping.households.sheets,
                                            progress=progress.reader()))}
    excel = path.suffix.lower() in EXCEL_SUFFIXES
    for key, given, label in (("members", members_path, "家庭成员"), ("villages", villages_path, "村级数据")):
        layout = mapping.tables[key]
        if given is not None:
            source, required = Path(given), True
        elif excel:
            source, required = path, False  # a sheet of the same workbook, if it has one
        else:
            source = _companion(path, None, label)
            required = True
        if source is not None:
            tables[key] = read_table(source, known_headers=layout.known_headers(),
                                     sheet_candidates=layout.sheets, required=required, progress=progress.reader())
    return tables


def _note_skipped(tables: dict[str, Table | None], report: ImportReport, result: RegisterImport) -> None:
    """Rows that are not records (合计, 制表人 …, the header again): one note each, a count in the summary."""
    for table in tables.values():
        if table is None:
            continue
        for kind, rows in table.skipped.items():
            result.rows_skipped[kind] = result.rows_skipped.get(kind, 0) + len(rows)
            for row in rows:
                report.note(table.file, table.sheet, row, None, None, f"跳过: {SKIP_KINDS[kind]}, 不是数据行")


def _with_rows(table: Table) -> Table:
    """The register's main table, refused when it has a header and nothing under it: that is almost
    always the wrong file (a template, a blank export), and "0 行与数据库一致" would hide it."""
    if not table.rows:
        where = f"文件 {table.file}" + (f" 工作表 {table.sheet}" if table.sheet else "")
        raise ImportFailed(f"{where} 中没有数据行 (表头下面是空的); 请确认选对了文件"
                           + ("和工作表 (--sheet)" if table.sheet else ""))
    return table


def _companion(path: Path, given: Path | None, suffix: str) -> Path | None:
    """For CSV registers: `--members` / `--villages`, or FILE.家庭成员.csv beside FILE.csv."""
    if given is not None:
        return Path(given)
    candidate = path.with_name(f"{path.stem}.{suffix}.csv")
    return candidate if candidate.is_file() else None


def import_households(engine: Engine, path: Path | str, *, mapping: Mapping | Path | str | None = None,
                      members_path: Path | str | None = None, villages_path: Path | str | None = None,
                      sheet: str | None = None, strict: bool = False, report_path: Path | str | None = None,
                      progress: bool = False, households: bool = True,
                      as_of: dt.date | None = None) -> RegisterImport:
    """Import a register; raises ImportFailed (nothing written) on a file-level problem, or on any
    row error with `strict`. Otherwise valid rows are imported and the rest reported.

    `as_of`: the register's own date (数据截至); without it, the latest date of a 数据截至/填报日期
    column, else the date its title or footer states, else none (the wall then shows the import time)."""
    path = Path(path)
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    result = RegisterImport(file=path.name)
    report = result.report
    steps = _Progress(path.name, progress)
    t0 = time.perf_counter()
    try:
        with engine.connect() as conn:
            _fail_if_not_importable(conn)
            regions = RegionIndex(conn)
            regions.real_names = RealNames(conn)  # 乡镇+村 names checked against the bureau's (realnames.py)
            lines = set(conn.execute(select(m.PovertyLine.year)).scalars())
            heads = _Heads(conn) if households else None
        tables = _read_tables(path, mapping, members_path, villages_path, sheet, households, steps)
        result.seconds["read"] = time.perf_counter() - t0
        _note_skipped(tables, report, result)

        t0 = time.perf_counter()
        steps.phase("检查", total=sum(len(t.rows) for t in tables.values() if t is not None))
        plan = _Plan()
        if tables.get("households") is not None:
            conv = convert_table(tables["households"], mapping.households, household_specs(mapping), report, PLACE)
            steps.advance(len(conv) // 2)  # converting and checking take about as long
            _check_households(conv, regions, mapping, lines, heads, report, plan)
            steps.advance(len(conv) - len(conv) // 2)
            result.rows_read += len(conv)
            result.rows_rejected += len(conv.bad)
            result.household_rows_rejected = len(conv.bad)
        if tables.get("villages") is not None:
            conv = convert_table(tables["villages"], mapping.villages, village_specs(mapping), report, PLACE)
            _check_villages(conv, regions, lines, mapping, report, plan)
            steps.advance(len(conv))
            result.rows_read += len(conv)
            result.rows_rejected += len(conv.bad)
        if tables.get("members") is not None:
            conv = convert_table(tables["members"], mapping.members, member_specs(mapping), report)
            _check_members(conv, set(plan.households) | set(heads.numbers), report, plan)
            steps.advance(len(conv))
            result.rows_read += len(conv)
            result.rows_rejected += len(conv.bad) - plan.followers
            result.member_rows_not_imported = plan.followers
        result.seconds["validate"] = time.perf_counter() - t0
        result.households_imported = len(plan.households) + len(plan.older)
        result.households_rejected = len(plan.rejected) + plan.rejected_unnumbered
        result.people_imported, result.people_rejected = plan.people, plan.rejected_people
        stated = [t.stated_date for t in tables.values() if t is not None and t.stated_date]
        result.as_of = as_of or plan.as_of or max(stated, default=None)
        report.fold_warnings()
        if report.errors and strict:
            raise ImportFailed(f"{report.error_rows()} 行有错误 (--strict: 全部不导入); 第一处: {report.summary()}",
                               report)

        t0 = time.perf_counter()
        steps.phase("写入数据库")
        with engine.begin() as conn:
            affected = _write(conn, plan, regions, mapping, result)
            result.seconds["write"] = time.perf_counter() - t0
            if result.changed:
                steps.phase("重算指标")
                t0 = time.perf_counter()
                _rollup(conn, plan, affected, regions, mapping, result, path.name, result.as_of)
                result.seconds["rollup"] = time.perf_counter() - t0
            elif as_of is not None:  # the same records with their date given (again, or corrected)
                _restamp_as_of(conn, as_of)
    except ImportFailed as exc:
        if exc.report is None:
            report.error(path.name, None, None, None, None, str(exc))
            exc.report = report
        if report_path or any(i.row is not None or i.column for i in report.issues):
            result.report_path = write_report_quietly(report, path, report_path)
        else:
            remove_stale_report(path)
        raise ImportFailed(f"{exc}{see_report(result.report_path)}", report) from None
    finally:
        steps.close()
    if report.issues:
        result.report_path = write_report_quietly(report, path, report_path)
    elif not report_path:
        # An earlier run's report next to a file that now imports cleanly would list rows that are no
        # longer wrong: the report beside the input always belongs to its latest run.
        remove_stale_report(path)
    return result


def import_villages(engine: Engine, path: Path | str, **kwargs) -> RegisterImport:
    """Only the 村级数据 table (rural population, poor villages): a CSV, or a workbook's sheet."""
    return import_households(engine, path, households=False, **kwargs)
