"""Column-wise conversion of a register table, and the region index rows are placed with."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.domain.regions import RegionLevel
from sandbox.store.importers.fields import CellError, Corrected
from sandbox.store.importers.mapping import TableLayout
from sandbox.store.importers.report import ImportFailed, ImportReport
from sandbox.store.importers.tables import Table
from sandbox.store.importers.variants import suggest, town_aliases, town_written, village_aliases
from sandbox.store.models import Region

__all__ = ["Spec", "Converted", "convert_table", "RegionIndex"]

_CODE12 = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Spec:
    """How one field of a record is read: converter, and whether its column and its cells are required."""

    key: str
    convert: Callable[[object], object]
    column_required: bool = False
    cell_required: bool = False
    money: bool = False  # yuan, rounded to fen: a column of plain numbers takes a fast path


@dataclass
class Converted:
    """Converted columns (None where blank or bad), the rows with an error, and what was present."""

    table: Table
    columns: dict[str, list]
    bad: set[int]
    present: set[str]
    headers: dict[str, str]  # field → header as written in the file

    def __len__(self) -> int:
        return len(self.table.rows)

    def row_number(self, i: int) -> int:
        return self.table.row_numbers[i]


def convert_table(table: Table, layout: TableLayout, specs: list[Spec], report: ImportReport,
                  one_of: tuple[tuple[str, ...], ...] = ()) -> Converted:
    """Convert every present column; a missing required column fails the whole file.

    `one_of`: groups of fields of which at least one must be present (e.g. 行政区划代码, or 乡镇+村).
    """
    where = f"文件 {table.file}" + (f" 工作表 {table.sheet}" if table.sheet else "")
    located = layout.locate(table)
    missing = [s for s in specs if s.column_required and s.key not in located]
    for group in one_of:
        if not any(all(k in located for k in alt.split("+")) for alt in group):
            names = " 或 ".join("+".join(layout.header(k) for k in alt.split("+")) for alt in group)
            missing_text = f"缺少列 {names}"
            raise ImportFailed(f"{where}: {missing_text}; 表头为: {'、'.join(h for h in table.raw_headers if h)}")
    if missing:
        parts = [f"{layout.header(s.key)} (可用列名: {'/'.join(layout.columns[s.key])})" for s in missing]
        raise ImportFailed(f"{where}: 缺少必需的列 {'、'.join(parts)}; 表头为: "
                           f"{'、'.join(h for h in table.raw_headers if h)}")
    columns: dict[str, list] = {}
    headers: dict[str, str] = {}
    bad: set[int] = set()
    numbers = table.row_numbers
    for spec in specs:
        idx = located.get(spec.key)
        if idx is None:
            continue
        header = table.raw_headers[idx].strip() or layout.header(spec.key)
        headers[spec.key] = header
        raw = table.column(idx)
        types = set(map(type, raw))
        if spec.money:
            # Incomes are numbers in almost every cell and almost all distinct: no point deduplicating.
            fast = _plain_money(raw, types)
            if fast is not None:
                columns[spec.key] = fast
                continue
        # Convert each distinct value once: registers repeat IDs, codes and labels on every year row.
        # 1, 1.0 and True hash alike; a column that mixes booleans with numbers is keyed by type too.
        keyed = bool in types and len(types) > 1
        keys = [(type(v), v) for v in raw] if keyed else raw
        results: dict = {}
        failed: dict = {}
        corrected: dict = {}
        for key in set(keys):
            v = key[1] if keyed else key
            if v is None or (isinstance(v, str) and not v.strip()):
                results[key] = None
                continue
            try:
                got = spec.convert(v)
            except CellError as exc:
                results[key] = None
                failed[key] = str(exc)
                continue
            if isinstance(got, Corrected):
                corrected[key] = got.taken_as
                got = got.value
            results[key] = got
        out = list(map(results.__getitem__, keys))
        if corrected:  # imported as read, never silently: one warning per row, folded per value later
            for i, k in enumerate(keys):
                if k in corrected:
                    report.warning(table.file, table.sheet, numbers[i], header, raw[i], f"已按 {corrected[k]} 导入")
        empty = {k for k, v in results.items() if v is None} if (failed or spec.cell_required) else ()
        if empty:
            for i in [i for i, k in enumerate(keys) if k in empty]:
                k = keys[i]
                if k in failed:
                    report.error(table.file, table.sheet, numbers[i], header, raw[i], failed[k])
                    bad.add(i)
                elif spec.cell_required:
                    report.error(table.file, table.sheet, numbers[i], header, None, "不能为空")
                    bad.add(i)
        columns[spec.key] = out
    return Converted(table, columns, bad, set(located), headers)


def _plain_money(raw: list, types: set) -> list | None:
    """Plain numbers (or, from CSV, plain decimal text) rounded to fen; None if any cell needs care."""
    if types <= {float, int}:
        return [round(v, 2) for v in raw]
    if types <= {str, float, int, type(None)}:
        try:
            out = [round(float(v), 2) if v not in ("", None) else None for v in raw]
        except ValueError:  # "1,234", "三千", "—": the careful path says which and why
            return None
        if all(x == x and x not in (float("inf"), float("-inf")) for x in out if x is not None):
            return out
    return None


def _clean(name: str | None) -> str:
    return "".join((name or "").split())


class RegionIndex:
    """Regions by code and by name (county → town → village), to place a register row."""

    def __init__(self, conn: Connection) -> None:
        rows = conn.execute(select(Region.code, Region.name, Region.level, Region.parent_code, Region.label_lon,
                                   Region.label_lat, Region.is_poor_village, Region.poor_village_exit_year)).all()
        self.by_code = {r.code: r for r in rows}
        self._counties: dict[str, list[str]] = {}
        self._towns: dict[tuple[str, str], list[str]] = {}
        self._villages: dict[tuple[str, str], list[str]] = {}
        self._town_aliases: dict[tuple[str, str], list[str]] = {}  # (county, a short form) → town codes
        self._town_codes: dict[str, list[str]] = {}
        self._village_codes: dict[str, list[str]] = {}
        for r in rows:
            if r.level == "county":
                self._counties.setdefault(_clean(r.name), []).append(r.code)
            elif r.level == "town":
                self._towns.setdefault((r.parent_code, _clean(r.name)), []).append(r.code)
                self._town_codes.setdefault(r.parent_code, []).append(r.code)
                for alias in town_aliases(_clean(r.name)):
                    self._town_aliases.setdefault((r.parent_code, alias), []).append(r.code)
            elif r.level == "village":
                self._villages.setdefault((r.parent_code, _clean(r.name)), []).append(r.code)
                self._village_codes.setdefault(r.parent_code, []).append(r.code)
        self.county_codes = [r.code for r in rows if r.level == "county"]

    def __len__(self) -> int:
        return len(self.by_code)

    def village(self, code: str | None, county: str | None, town: str | None, village: str | None
                ) -> tuple[str | None, str | None, str | None]:
        """(village code, None, note) or (None, column, reason)."""
        if code:
            if not _CODE12.match(code):
                return None, "code", "不是 12 位区划代码"
            r = self.by_code.get(code)
            if r is None:
                return None, "code", "区划代码不在数据库中 (请先导入村级边界: sandbox import boundaries)"
            if r.level != "village":
                return None, "code", f"是{RegionLevel(r.level).label_zh}的代码, 户应属于行政村 (后三位不为 000)"
            note = None
            if village and _clean(village) != _clean(r.name):
                note = f"村名 {village!r} 与区划代码对应的村 {r.name!r} 不一致, 以代码为准"
            return code, None, note
        if not (town and village):
            return None, "code", "没有行政区划代码, 也没有 乡镇+村 名称"
        if county:
            counties = self._counties.get(_clean(county), [])
            if not counties:
                return None, "county", f"数据库中没有名为 {county!r} 的县"
        else:
            counties = self.county_codes
        found = []
        for c in counties:
            for t in self._towns.get((c, _clean(town)), []):
                found += self._villages.get((t, _clean(village)), [])
        if len(found) == 1:
            return found[0], None, None
        if len(found) > 1:
            return None, "village", f"乡镇 {town!r} 村 {village!r} 对应多个村 ({'、'.join(found)}), 请填写行政区划代码"
        return self._by_variant(counties, county, _clean(town), _clean(village))

    def _by_variant(self, counties: list[str], county: str | None, town: str, village: str
                    ) -> tuple[str | None, str | None, str | None]:
        """A town or village written another way (卡蒲乡 for 卡蒲毛南族乡, 北村村委会 for 北村): imported, with
        a warning naming what it was taken as; a name that matches nothing is told the nearest names."""
        towns = [t for c in counties for t in self._town_aliases.get((c, town), [])]
        towns += [t for c in counties for t in self._town_aliases.get((c, town_written(town)), [])]
        towns = list(dict.fromkeys(towns))
        if not towns:
            names = [self.by_code[t].name for c in counties for t in self._town_codes.get(c, [])]
            return None, "town", f"在{county or '数据库中的县'}找不到乡镇 {town!r}{suggest(town, names)}"
        found = list(dict.fromkeys(v for t in towns for alias in village_aliases(village)
                                   for v in self._villages.get((t, alias), [])))
        if len(found) != 1:
            names = [self.by_code[v].name for t in towns for v in self._village_codes.get(t, [])]
            where = "、".join(self.by_code[t].name for t in towns)
            if found:
                return None, "village", f"乡镇 {where} 村 {village!r} 对应多个村 ({'、'.join(found)}), 请填写行政区划代码"
            return None, "village", f"乡镇 {where} 下没有村 {village!r}{suggest(village, names)}"
        v = self.by_code[found[0]]
        t = self.by_code[v.parent_code]
        taken = [f"乡镇 {t.name}"] if _clean(t.name) != town else []
        taken += [f"村 {v.name}"] if _clean(v.name) != village else []
        return found[0], None, f"已按 {' '.join(taken)} 导入 ({v.code})"

    def label_point(self, code: str) -> tuple[float, float] | None:
        """Where a household with no coordinates is drawn: its village's label point, else an ancestor's."""
        while code:
            r = self.by_code.get(code)
            if r is None:
                return None
            if r.label_lon is not None and r.label_lat is not None:
                return r.label_lon, r.label_lat
            code = r.parent_code
        return None
