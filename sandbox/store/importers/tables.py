"""Registers as tables: Excel (.xlsx/.xls/.ods via python-calamine) and CSV, header row found and checked.

A file must be what its extension says; the header row is the one among the first rows that
holds the most known column names (title rows above it are skipped); a header cell merged across
columns is refused, because nobody can tell which column it names.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import itertools
import operator
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.domain.filekind import describe_content
from sandbox.store.importers.dates import find_stated_date
from sandbox.store.importers.report import ImportFailed

__all__ = ["Table", "read_table", "sheet_names", "normalise_header", "normalise_value", "describe_content", "EXCEL_SUFFIXES",
           "TABLE_SUFFIXES"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TABLE_SUFFIXES = EXCEL_SUFFIXES + (".csv", ".txt")
_HEADER_SCAN_ROWS = 15
_PROGRESS_ROWS = 10_000  # rows between two progress reports while a CSV is parsed
_SPACE = re.compile(r"\s+")
# Rows under the header that are not records: sums, the signatures and notes at the foot of a sheet.
_TOTAL = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计|累\s*计|全县合计|本页合计)")
_FOOTER = re.compile(r"^\s*(制表人|制表|审核人|审核|填报人|填表人|填报日期|填表日期|填报单位|负责人|单位负责人|联系人|说明|备注|注)"
                     r"\s*[:：]")
_FOOTER_WORDS = re.compile(r"^\s*(制表人|审核人|填报人|填表人|填报日期|填表日期|说明)")
SKIP_KINDS = {"total": "合计/小计行", "footer": "制表人/审核人/说明等表尾行", "header": "重复的表头行"}


@dataclass
class Table:
    """Data rows under a header; `row_numbers[i]` is the row number a person sees in Excel."""

    file: str  # the file's name, as messages show it
    sheet: str | None  # None for CSV
    headers: list[str]  # normalised
    raw_headers: list[str]  # as written
    rows: list[list]
    row_numbers: list[int]
    # Rows that are not records, skipped: kind (see SKIP_KINDS) → their row numbers.
    skipped: dict[str, list[int]] = field(default_factory=dict)
    stated_date: dt.date | None = None  # what a title or footer says the data is as of (数据截至, 填报日期)

    def column(self, index: int) -> list:
        try:
            return list(map(operator.itemgetter(index), self.rows))
        except IndexError:  # a CSV row shorter than the header
            return [r[index] if index < len(r) else None for r in self.rows]


def normalise_header(text: object) -> str:
    """'证件号码\\n(身份证) ' and '证件号码（身份证）' compare equal; a trailing required-marker '*' goes."""
    s = "" if text is None else str(text)
    s = s.replace("（", "(").replace("）", ")").replace("：", ":")
    s = _SPACE.sub("", s).strip("*＊")
    return s


def normalise_value(text: object) -> str:
    """'已脱贫（享受政策）' and '已脱贫(享受政策)' compare equal; case does not matter for codes."""
    return normalise_header(text).upper()


def _kind(path: Path) -> str:
    """'excel' or 'csv' after checking that the content matches the extension."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ImportFailed(f"文件 {path.name}: 不支持的格式 {suffix or '(无扩展名)'}; 登记表请用 "
                           f"{' '.join(TABLE_SUFFIXES)}")
    if not path.is_file():
        raise ImportFailed(f"文件 {path} 不存在")
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise ImportFailed(f"文件 {path.name}: {_os_reason(exc)}") from None
    if not head:
        raise ImportFailed(f"文件 {path.name} 是空文件 (0 字节)")
    zipped = head.startswith(b"PK\x03\x04")
    if suffix in (".xlsx", ".xlsm", ".ods"):
        if not zipped:
            hint = "; 若是网页表格, 请用 Excel 打开后另存为 .xlsx" if describe_content(head).startswith("网页") else ""
            if head.startswith(b"\xd0\xcf\x11\xe0"):  # also how Excel stores a workbook with an open password
                hint = f"; 若工作簿设置了打开密码, 请取消密码后另存为 {suffix}; 若是旧版工作簿, 请把扩展名改为 .xls"
            raise ImportFailed(f"文件 {path.name}: 扩展名是 {suffix}, 但内容是{describe_content(head)}, "
                               f"不是 Excel 工作簿{hint}")
        return "excel"
    if suffix == ".xls":
        if not head.startswith(b"\xd0\xcf\x11\xe0") and not zipped:
            # Web systems often export an HTML table named .xls.
            raise ImportFailed(f"文件 {path.name}: 扩展名是 .xls, 但内容是{describe_content(head)}, 不是 Excel 工作簿; "
                               "请用 Excel 打开后另存为 .xlsx")
        return "excel"
    if zipped or head.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in head:
        raise ImportFailed(f"文件 {path.name}: 扩展名是 {suffix}, 但内容是{describe_content(head)}, 不是 CSV 文本"
                           "; 若是 Excel 工作簿, 请把扩展名改回 .xlsx")
    return "csv"


def sheet_names(path: Path) -> list[str]:
    path = Path(path)
    if _kind(path) == "csv":
        return []
    return _open_workbook(path).sheet_names


def _open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # noqa: BLE001 - calamine raises its own error types, with English messages
        raise ImportFailed(f"文件 {path.name}: {_why_not_a_workbook(path)}") from None


def _why_not_a_workbook(path: Path) -> str:
    """Why calamine could not open a file that looked like a workbook, in Chinese: from what the file
    holds, not from the library's English message."""
    suffix = path.suffix.lower()
    redo = "用 Excel 或 WPS 打开后重新另存为 .xlsx, 或重新导出"
    try:
        with path.open("rb") as f:
            ole = f.read(4) == b"\xd0\xcf\x11\xe0"
        if ole:
            return f"不是有效的 .xls 工作簿: 文件已损坏或被截断, 或是其他 Office 文件 (如 Word 文档); 请{redo}"
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except OSError as exc:
        return _os_reason(exc)
    except Exception:  # noqa: BLE001 - BadZipFile, EOFError …: the zip itself is broken
        return "文件已损坏或被截断 (压缩结构不完整), 无法作为 Excel 工作簿读取; 请重新复制或重新导出该文件"
    top = {n.split("/", 1)[0] for n in names}
    if "xl" in top:
        if suffix in (".xls", ".ods"):
            return f"内容是 .xlsx 工作簿, 扩展名却是 {suffix}; 请把扩展名改为 .xlsx"
        return f"Excel 工作簿的内部结构不完整 (缺少必要部分), 无法读取; 请{redo}"
    if "content.xml" in names:
        if suffix != ".ods":
            return f"内容是 OpenDocument 表格, 扩展名却是 {suffix}; 请把扩展名改为 .ods"
        return f"OpenDocument 表格的内部结构不完整, 无法读取; 请{redo}"
    if "word" in top:
        return "不是 Excel 工作簿: 内容是 Word 文档 (.docx)"
    if "ppt" in top:
        return "不是 Excel 工作簿: 内容是 PowerPoint 演示文稿 (.pptx)"
    kind = "OpenDocument 表格" if suffix == ".ods" else "Excel 工作簿"
    return (f"不是 {kind} ({suffix}): 文件内容是 ZIP 压缩包, 但缺少工作簿结构; "
            "若登记表在压缩包里, 请先解压")


def _os_reason(exc: OSError) -> str:
    """An operating-system error in Chinese (its strerror is English)."""
    reasons = {errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.ENOENT: "不存在",
               errno.EISDIR: "是文件夹, 不是文件", errno.EIO: "读取出错 (磁盘或网络故障)"}
    return reasons.get(exc.errno, f"无法读取 (系统错误 {exc.errno})" if exc.errno else "无法读取")


def _pick_sheet(path: Path, names: list[str], candidates: Iterable[str], required: bool) -> str | None:
    wanted = [normalise_header(c) for c in candidates]
    by_norm = {normalise_header(n): n for n in names}
    for w in wanted:
        if w in by_norm:
            return by_norm[w]
    if required:
        return names[0] if names else None
    return None


def read_table(path: Path, *, known_headers: set[str], sheet: str | None = None,
               sheet_candidates: Iterable[str] = (), required: bool = True,
               progress: Callable[[int, int], None] | None = None) -> Table | None:
    """Read one table. For a workbook: `sheet` if given, else the first of `sheet_candidates` present,
    else (when `required`) the first sheet; returns None when an optional sheet is absent.

    `progress(rows, expected)` is told of rows as they are read: a CSV every few thousand rows, a
    workbook once (calamine reads a sheet in one call); `expected` is the file's line count, about."""
    path = Path(path)
    if _kind(path) == "csv":
        return _read_csv(path, known_headers, progress)
    book = _open_workbook(path)
    names = book.sheet_names
    if sheet is not None:
        if sheet not in names:
            raise ImportFailed(f"文件 {path.name}: 没有名为 {sheet!r} 的工作表 (有: {'、'.join(names)})")
        chosen = sheet
    else:
        chosen = _pick_sheet(path, names, sheet_candidates, required)
        if chosen is None:
            if required:
                raise ImportFailed(f"文件 {path.name}: 工作簿中没有工作表")
            return None
    try:
        ws = book.get_sheet_by_name(chosen)
        rows = _sheet_rows(ws)
    except Exception:  # noqa: BLE001 - calamine's errors are English and name XML internals
        raise ImportFailed(f"文件 {path.name} 工作表 {chosen}: 数据已损坏, 无法读取 (文件可能被截断或改动过); "
                           "请用 Excel 或 WPS 打开后重新另存为 .xlsx, 或重新导出") from None
    if progress is not None:
        progress(len(rows), len(rows))
    merged = [((r0, c0), (r1, c1)) for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])]
    return _table(path.name, chosen, rows, known_headers, merged)


def _sheet_rows(ws) -> list[list]:
    # skip_empty_area=False keeps row i = Excel row i + 1 and column j = column j + 1, as the
    # merged ranges count them (iter_rows would drop empty leading columns).
    return ws.to_python(skip_empty_area=False)


def _read_csv(path: Path, known_headers: set[str], progress: Callable[[int, int], None] | None = None) -> Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"文件 {path.name}: {_os_reason(exc)}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise ImportFailed(f"文件 {path.name}: 既不是 UTF-8 也不是 GBK 编码的文本")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = _parse_csv(text, dialect, progress)
    except csv.Error:  # a cell over csv's limit of 131,072 characters: in practice a stray quote
        raise ImportFailed(f"文件 {path.name} 第 {_bad_csv_line(text, dialect)} 行起: 单元格过长, 多半是引号 (\") "
                           "不配对, 其后的内容都被当成了一个单元格; 请检查该行的引号, 或用 Excel 打开后另存为 CSV") from None
    return _table(path.name, None, rows, known_headers, [])


def _parse_csv(text: str, dialect, progress: Callable[[int, int], None] | None) -> list[list]:
    reader = csv.reader(io.StringIO(text), dialect)
    if progress is None:
        return list(reader)
    expected = text.count("\n") + 1  # quoted line breaks make it a little high: a bar, not a count
    rows: list[list] = []
    while chunk := list(itertools.islice(reader, _PROGRESS_ROWS)):
        rows += chunk
        progress(len(chunk), expected)
    return rows


def _bad_csv_line(text: str, dialect) -> int:
    """The line where the record that csv refused starts (read again: only on that error)."""
    reader = csv.reader(io.StringIO(text), dialect)
    last = 0
    try:
        for _ in reader:
            last = reader.line_num
    except csv.Error:
        pass
    return last + 1


def _table(file: str, sheet: str | None, rows: list[list], known: set[str],
           merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> Table:
    where = f"文件 {file}" + (f" 工作表 {sheet}" if sheet else "")
    head = [list(r) for r in rows[:_HEADER_SCAN_ROWS]]
    # A merged cell's value sits in its top-left cell; spread it so every covered cell reads it.
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(head):
            continue
        value = head[r0][c0] if c0 < len(head[r0]) else None
        for r in range(r0, min(r1, len(head) - 1) + 1):
            row = head[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
    best, best_score = -1, 0
    for i, row in enumerate(head):
        score = len({normalise_header(v) for v in row if v not in (None, "")} & known)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        raise ImportFailed(f"{where}: 前 {_HEADER_SCAN_ROWS} 行中找不到表头 (没有任何已知列名, 如 "
                           f"{'、'.join(sorted(known)[:4])}); 这可能不是所需的登记表")
    for (r0, c0), (r1, c1) in merged:
        if r0 <= best <= r1 and c1 > c0:
            ref = f"{_col_letter(c0)}{r0 + 1}:{_col_letter(c1)}{r1 + 1}"
            value = head[best][c0]
            raise ImportFailed(f"{where} 第 {best + 1} 行: 表头有合并单元格 {ref} ({value!r}), 跨 {c1 - c0 + 1} 列, "
                               "无法确定每一列的含义; 请取消合并, 每列写一个列名")
    raw_headers = ["" if v is None else str(v) for v in head[best]]
    headers = [normalise_header(v) for v in raw_headers]
    # the header row's known cells as written: a repeated header is a copy of it
    header_cells = {raw for raw, h in zip(raw_headers, headers) if h in known}
    data, numbers = [], []
    skipped: dict[str, list[int]] = {}
    stated = None
    for i in range(best):  # title rows: "数据截至 2020年12月31日"
        stated = stated or find_stated_date(rows[i])
    for i in range(best + 1, len(rows)):
        row = rows[i]
        if all(v in (None, "") for v in row):
            continue
        kind = _not_a_record(row, header_cells)
        if kind:
            skipped.setdefault(kind, []).append(i + 1)
            if kind == "footer":
                stated = find_stated_date(row) or stated
            continue
        data.append(row)
        numbers.append(i + 1)
    return Table(file, sheet, headers, raw_headers, data, numbers, skipped, stated)


def _not_a_record(row: list, header_cells: set[str]) -> str | None:
    """'total', 'footer' or 'header' for a row that is not a record, else None. Only the first few
    filled cells are looked at for sums and footers (a record's 备注 column may well say 合计); a row
    that repeats at least half the header's cells is the header again. Runs on every row: set lookups
    and one regex on at most three cells."""
    filled = [v for v in row if v is not None and v != ""]
    if not filled:
        return None
    for v in filled[:3]:
        if type(v) is str and _TOTAL.match(v):
            return "total"
    first = filled[0]
    if type(first) is str and (_FOOTER.match(first) or (_FOOTER_WORDS.match(first) and len(filled) <= 4)):
        return "footer"
    if header_cells and sum(1 for v in filled if type(v) is str and v in header_cells) \
            >= max(2, len(header_cells) // 2):
        return "header"
    return None


def _col_letter(index: int) -> str:
    s, i = "", index + 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
