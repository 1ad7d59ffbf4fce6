"""What an import found wrong: issues per file, row and column, and the CSV report a person opens in Excel."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.domain.masking import mask_id_number

__all__ = ["Issue", "ImportReport", "ImportFailed", "ERROR", "WARNING", "NOTE", "default_report_path",
           "write_report_quietly", "remove_stale_report", "see_report", "reported"]

ERROR = "错误"  # the row (or, for a whole-file problem, the file) is not imported
WARNING = "警告"  # imported, but a person should look
NOTE = "提示"  # imported; what the importer did on its own (a repair, a derived value)
# A sheet that starts with this is a boundary file's layer ("图层 村") and its rows are feature numbers;
# the bare word is a feature of a file with one unnamed layer (GeoJSON, Shapefile).
LAYER = "图层"

_HEADER = ("级别", "文件", "工作表/图层", "行号/要素号", "列/字段", "值", "原因")
_MAX_VALUE = 200
# ID numbers (15 or 18 characters) and bank accounts (16 and 19 digits usually), but not the 17-digit
# 户编号 (village code + sequence), which is no secret and which the user needs to find the row.
_LONG_NUMBER = re.compile(r"(?<![\dXx])(?:\d{14}[\dXx]|\d{16}|\d{17}[\dXx]|\d{19,})(?![\dXx])")


class ImportFailed(ValueError):
    """Nothing was imported; the message is one line (the CLI prints it) and names the report."""

    def __init__(self, message: str, report: ImportReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Issue:
    level: str
    file: str
    sheet: str | None
    row: int | None  # 1-based, as Excel shows it; for boundary files the feature number
    column: str | None
    value: object
    reason: str

    def describe(self) -> str:
        """One line: 文件 X 工作表 Y 第 N 行 列 C 值 'V': reason."""
        where = [f"文件 {self.file}"]
        layer = (self.sheet or "").startswith(LAYER)  # a boundary file: its rows are features
        if self.sheet and self.sheet != LAYER:  # the bare word: a single-layer file, no name to show
            where.append(self.sheet if layer else f"工作表 {self.sheet}")
        if self.row is not None:
            where.append(f"要素 {self.row}" if layer else f"第 {self.row} 行")
        if self.column:
            where.append(f"列 {self.column}")
        if self.value not in (None, ""):
            where.append(f"值 {_masked(self.value)!r}")
        # the reason is masked too: one line ends up in terminals and logs, whatever a check put in it
        return " ".join(where) + ": " + _LONG_NUMBER.sub(lambda m: mask_id_number(m.group()), self.reason)


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…"


def _masked(value: object) -> str:
    """The value for a one-line message, which ends up in terminals and logs: an ID (or bank account)
    number keeps its first 6 and last 4 characters. The report file, the admin's, keeps the cell."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an ID number Excel turned into 5.22726199001011e+17
    return _LONG_NUMBER.sub(lambda m: mask_id_number(m.group()), _shown(value))


@dataclass
class ImportReport:
    """Issues collected during one import, in the order found; written as UTF-8 CSV with a BOM."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, level: str, file: str, sheet: str | None, row: int | None, column: str | None,
            value: object, reason: str) -> Issue:
        issue = Issue(level, file, sheet, row, column, value, reason)
        self.issues.append(issue)
        return issue

    def error(self, *args) -> Issue:
        return self.add(ERROR, *args)

    def warning(self, *args) -> Issue:
        return self.add(WARNING, *args)

    def note(self, *args) -> Issue:
        return self.add(NOTE, *args)

    def extend(self, issues) -> None:
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == WARNING]

    def fold_warnings(self, show: int = 8) -> None:
        """One line per warning that repeats (the same column, value and reason on many rows: 缺劳力 in
        300 rows): the first row, and the others named in the reason, so a clerk reads each once."""
        groups: dict[tuple, list[Issue]] = {}
        for i in self.issues:
            if i.level == WARNING and i.row is not None:
                groups.setdefault((i.file, i.sheet, i.column, repr(i.value), i.reason), []).append(i)
        folded: dict[int, Issue | None] = {}
        for same in groups.values():
            if len(same) < 2:
                continue
            rows = [i.row for i in same]
            more = "、".join(map(str, rows[1:show])) + (" …" if len(rows) > show else "")
            first = same[0]
            folded[id(first)] = Issue(first.level, first.file, first.sheet, first.row, first.column, first.value,
                                      f"{first.reason} (共 {len(rows)} 行, 另见第 {more} 行)")
            for i in same[1:]:
                folded[id(i)] = None
        if folded:
            self.issues = [folded.get(id(i), i) for i in self.issues if folded.get(id(i), i) is not None]

    def error_rows(self) -> int:
        """Distinct (file, sheet, row) with an error: what "N 行有错误" counts."""
        return len({(i.file, i.sheet, i.row) for i in self.errors})

    def write(self, path: Path) -> Path:
        # utf-8-sig: Excel on Chinese Windows reads a BOM-less CSV as GBK and garbles it.
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(_HEADER)
            # What was not imported first, then what to check, then what the importer did on its own;
            # each by file, sheet and row, so a clerk works down the sheet once.
            rank = {ERROR: 0, WARNING: 1, NOTE: 2}
            for i in sorted(self.issues, key=lambda i: (rank.get(i.level, 3), i.file, i.sheet or "",
                                                        -1 if i.row is None else i.row)):
                writer.writerow((i.level, i.file, "" if i.sheet in (None, LAYER) else i.sheet, "" if i.row is None else i.row, i.column or "",
                                 "" if i.value is None else _shown(i.value), i.reason))
        return path

    def summary(self, limit: int = 1) -> str:
        """The first error(s) as one line, for the message of a failed import."""
        first = self.errors[:limit] or self.warnings[:limit]
        return "; ".join(i.describe() for i in first)


def default_report_path(source: Path) -> Path:
    """Next to the input, named with its extension: registers.xlsx → registers.xlsx.导入报告.csv, so that
    registers.csv and registers.xlsx side by side keep a report each."""
    source = Path(source)
    return source.with_name(f"{source.name}.导入报告.csv")


def write_report_quietly(report: ImportReport, source: Path, report_path) -> Path | None:
    """Write the report (next to `source` unless a path is given); None when the folder is not writable."""
    target = Path(report_path) if report_path else default_report_path(source)
    try:
        return report.write(target)
    except OSError:
        return None


def remove_stale_report(source: Path) -> None:
    """Delete the report an earlier import of `source` left at the default path, for a run that writes
    none. Only a file that is such a report (by its header row) goes; one that cannot be deleted (open
    in Excel on a shared folder) stays, quietly."""
    path = default_report_path(source)
    first = ("\ufeff" + ",".join(_HEADER)).encode()
    try:
        with path.open("rb") as f:
            if f.read(len(first) + 2).rstrip(b"\r\n") != first:
                return
        path.unlink()
    except OSError:
        pass


def see_report(path: Path | None) -> str:
    """The tail of an error message that points at the written report."""
    return f"; 详见报告 {path}" if path else ""


@contextmanager
def reported(report: ImportReport, source: Path, report_path, result) -> Iterator[None]:
    """Every import's tail: the report written (and `result.report_path` set) or a stale one removed.

    On ImportFailed the report is written when it points at rows or columns (or a path was given), and
    the failure is raised again naming it. After a clean run it is written when it has issues; without
    any, an earlier run's report beside the input goes: it would list rows that are no longer wrong."""
    try:
        yield
    except ImportFailed as exc:
        if exc.report is None:
            report.error(source.name, None, None, None, None, str(exc))
        if report_path or any(i.row is not None or i.column for i in report.issues):
            result.report_path = write_report_quietly(report, source, report_path)
        else:
            remove_stale_report(source)
        raise ImportFailed(f"{exc}{see_report(result.report_path)}", report) from None
    if report.issues:
        result.report_path = write_report_quietly(report, source, report_path)
    elif not report_path:
        remove_stale_report(source)
