"""Checks of the 户信息 rows: years, places, one head per household and year; valid rows go into the plan."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.store import models as m
from sandbox.store.importers.convert import Converted, RegionIndex
from sandbox.store.importers.households.plan import Heads, Plan, plan_households, plan_years
from sandbox.store.importers.mapping import Mapping
from sandbox.store.importers.report import ImportFailed, ImportReport

__all__ = ["fail_if_not_importable", "check_households"]


def fail_if_not_importable(conn: Connection) -> None:
    meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
    if meta.get("demo") == "true":
        raise ImportFailed("数据库中是演示数据 (sandbox demo build 生成); 真实登记表请导入新数据库 (--db), "
                           "或先导入真实边界并清除演示数据: sandbox import boundaries 文件 --replace-demo")
    if conn.execute(select(m.Region.code).limit(1)).first() is None:
        raise ImportFailed("数据库中还没有区划, 请先导入边界: sandbox import boundaries 文件 (县、乡镇、村)")


def latest_rows(number: list, year: list, bad: set[int]) -> dict[str, int]:
    """Per 户编号, its latest valid year row."""
    latest: dict[str, int] = {}
    for i in range(len(number)):
        if i not in bad:
            j = latest.get(number[i])
            if j is None or year[i] > year[j]:
                latest[number[i]] = i
    return latest


def check_head_ids(conv: Converted, heads: Heads, err: Callable) -> dict[str, int]:
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
        return latest_rows(number, year, bad)
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
            return latest_rows(number, year, bad)


def check_households(conv: Converted, regions: RegionIndex, mapping: Mapping, lines: set[int], heads: Heads,
                     report: ImportReport, plan: Plan) -> None:
    """Reject rows that cannot be right; plan the households and years of the rest."""
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
    exit_year = col("exit_year")
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
    latest = check_head_ids(conv, heads, err)
    plan_households(conv, latest, heads, plan)
    plan_years(conv, plan)
    count_households(conv, latest, plan)


def count_households(conv: Converted, latest: dict[str, int], plan: Plan) -> None:
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

