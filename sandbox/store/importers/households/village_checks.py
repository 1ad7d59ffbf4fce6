"""Checks of the 村级数据 rows: rural population per village and year, poor villages and their exit years."""

from __future__ import annotations

from sandbox.store.importers.convert import Converted, RegionIndex
from sandbox.store.importers.households.plan import KEEP, Plan
from sandbox.store.importers.mapping import Mapping
from sandbox.store.importers.report import ImportReport

__all__ = ["check_villages"]


def check_villages(conv: Converted, regions: RegionIndex, lines: set[int], mapping: Mapping,
                   report: ImportReport, plan: Plan) -> None:
    """Rural population per village and year, poor-village flags and exit years into the plan."""
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
        is_poor = poor[i] if "is_poor_village" in conv.present else KEEP
        ey = exit_year[i] if plan.exit_years_given else KEEP
        if is_poor is False and ey not in (None, KEEP):
            report.error(t.file, t.sheet, conv.row_number(i), hdr["poor_village_exit_year"], ey,
                         "不是贫困村, 却填了出列年度")
            bad.add(i)
            continue
        old = plan.poor_flags.get(vcode, (KEEP, KEEP))
        plan.poor_flags[vcode] = (old[0] if is_poor is KEEP or is_poor is None else is_poor,
                                  old[1] if ey is KEEP or (ey is None and old[1] not in (None, KEEP)) else ey)

