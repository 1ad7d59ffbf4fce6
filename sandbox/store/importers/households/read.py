"""Reading a register's tables (a workbook's sheets, or a CSV and its companions), with one progress bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from sandbox.store.importers.households.result import RegisterImport
from sandbox.store.importers.mapping import Mapping
from sandbox.store.importers.report import ImportFailed, ImportReport
from sandbox.store.importers.tables import EXCEL_SUFFIXES, SKIP_KINDS, Table, read_table

__all__ = ["Progress", "read_tables", "note_skipped", "note_unknown_columns"]


class Progress:
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


def read_tables(path: Path, mapping: Mapping, members_path, villages_path, sheet: str | None,
                 households: bool, progress: Progress) -> dict[str, Table | None]:
    """The register's tables: sheets of one workbook, or a CSV with its companion CSVs."""
    if not households:
        return {"villages": with_rows(read_table(path, known_headers=mapping.villages.known_headers(), sheet=sheet,
                                                 sheet_candidates=mapping.villages.sheets,
                                                 progress=progress.reader()))}
    tables: dict[str, Table | None] = {
        "households": with_rows(read_table(path, known_headers=mapping.households.known_headers(), sheet=sheet,
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
            source = companion(path, None, label)
            required = True
        if source is not None:
            tables[key] = read_table(source, known_headers=layout.known_headers(),
                                     sheet_candidates=layout.sheets, required=required, progress=progress.reader())
    return tables


def note_skipped(tables: dict[str, Table | None], report: ImportReport, result: RegisterImport) -> None:
    """Rows that are not records (合计, 制表人 …, the header again): one note each, a count in the summary."""
    for table in tables.values():
        if table is None:
            continue
        for kind, rows in table.skipped.items():
            result.rows_skipped[kind] = result.rows_skipped.get(kind, 0) + len(rows)
            for row in rows:
                report.note(table.file, table.sheet, row, None, None, f"跳过: {SKIP_KINDS[kind]}, 不是数据行")


def note_unknown_columns(tables: dict[str, Table | None], mapping: Mapping, report: ImportReport) -> None:
    """Columns the layout does not map are not imported: said once per table, before the rows' issues, so a
    column whose name is spelled differently from the layout (人均纯收入(元) for 人均纯收入) is not lost quietly."""
    for key, table in tables.items():
        if table is None or key not in mapping.tables:
            continue
        known = mapping.tables[key].known_headers()
        unknown = [raw for raw, h in zip(table.raw_headers, table.headers) if h and h not in known]
        if unknown:
            report.warning(table.file, table.sheet, None, None, None,
                           f"未识别的列 (未导入): {'、'.join(unknown)}; 如为所需数据, 请在映射文件中加上这些列名")


def with_rows(table: Table) -> Table:
    """The register's main table, refused when it has a header and nothing under it: that is almost
    always the wrong file (a template, a blank export), and "0 行与数据库一致" would hide it."""
    if not table.rows:
        where = f"文件 {table.file}" + (f" 工作表 {table.sheet}" if table.sheet else "")
        raise ImportFailed(f"{where} 中没有数据行 (表头下面是空的); 请确认选对了文件"
                           + ("和工作表 (--sheet)" if table.sheet else ""))
    return table


def companion(path: Path, given: Path | None, suffix: str) -> Path | None:
    """For CSV registers: `--members` / `--villages`, or FILE.家庭成员.csv beside FILE.csv."""
    if given is not None:
        return Path(given)
    candidate = path.with_name(f"{path.stem}.{suffix}.csv")
    return candidate if candidate.is_file() else None

