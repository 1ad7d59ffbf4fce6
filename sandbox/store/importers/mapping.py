"""Register layouts in TOML: which header names a field accepts, extra spellings of coded values, defaults."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.domain.rules import EXIT_INCIDENCE_PCT
from sandbox.store.importers.report import ImportFailed
from sandbox.store.importers.tables import Table, normalise_header, normalise_value

__all__ = ["Mapping", "TableLayout", "load_mapping", "DEFAULT_MAPPING", "normalise_value"]

DEFAULT_MAPPING = Path(__file__).resolve().parent / "mappings" / "jiandang.toml"
_TABLES = ("households", "members", "villages")
_TOML_AT = re.compile(r"at line (\d+), column (\d+)")


@dataclass(frozen=True)
class TableLayout:
    """One sheet of the layout: accepted headers per field, value spellings, defaults."""

    name: str
    sheets: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]  # field → accepted headers, preferred first
    values: dict[str, dict[str, object]] = field(default_factory=dict)  # field → {normalised spelling: code}
    defaults: dict[str, object] = field(default_factory=dict)

    def header(self, key: str) -> str:
        """The header `export` writes for a field."""
        return self.columns[key][0]

    def known_headers(self) -> set[str]:
        return {normalise_header(h) for names in self.columns.values() for h in names}

    def locate(self, table: Table) -> dict[str, int]:
        """Field → column index: the column whose header is the field's most preferred name present.
        A header used twice for the same field is ambiguous and refused."""
        positions: dict[str, list[int]] = {}
        for i, h in enumerate(table.headers):
            if h:
                positions.setdefault(h, []).append(i)
        out: dict[str, int] = {}
        taken: set[int] = set()
        for key, names in self.columns.items():
            for name in names:
                cols = [c for c in positions.get(normalise_header(name), []) if c not in taken]
                if len(cols) > 1:
                    where = f"文件 {table.file}" + (f" 工作表 {table.sheet}" if table.sheet else "")
                    letters = "、".join(_letter(c) for c in cols)
                    raise ImportFailed(f"{where}: 列名 {name!r} 出现了 {len(cols)} 次 (第 {letters} 列), "
                                       "无法确定用哪一列; 请删除或改名多余的列")
                if cols:
                    out[key] = cols[0]
                    taken.add(cols[0])
                    break
        return out


def _letter(index: int) -> str:
    s, i = "", index + 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    tables: dict[str, TableLayout]
    true_values: frozenset[str]
    false_values: frozenset[str]
    poverty_lines: dict[int, float]
    village_exit_incidence: float

    @property
    def households(self) -> TableLayout:
        return self.tables["households"]

    @property
    def members(self) -> TableLayout:
        return self.tables["members"]

    @property
    def villages(self) -> TableLayout:
        return self.tables["villages"]


def load_mapping(path: Path | str | None = None) -> Mapping:
    path = Path(path) if path else DEFAULT_MAPPING
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ImportFailed(f"映射文件 {path} 不存在") from None
    except IsADirectoryError:
        raise ImportFailed(f"映射文件 {path} 是文件夹, 不是文件") from None
    except PermissionError:
        raise ImportFailed(f"映射文件 {path}: 没有读取权限") from None
    except UnicodeDecodeError:
        raise ImportFailed(f"映射文件 {path.name} 不是 UTF-8 编码的文本; 请另存为 UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's reason is English ("Invalid value (at line 3, column 9)"): say where, in Chinese.
        at = _TOML_AT.search(str(exc))
        where = f"第 {at[1]} 行第 {at[2]} 列有语法错误" if at else "有语法错误"
        raise ImportFailed(f"映射文件 {path.name} 不是有效的 TOML: {where} (如缺少引号、等号或括号)") from None
    tables = {}
    for name in _TABLES:
        section = raw.get(name) or {}
        columns = section.get("columns") or {}
        if name == "households" and not columns:
            raise ImportFailed(f"映射文件 {path.name}: 缺少 [households.columns]")
        cols = {}
        for key, headers in columns.items():
            headers = [headers] if isinstance(headers, str) else list(headers)
            if not headers or not all(isinstance(h, str) and h.strip() for h in headers):
                raise ImportFailed(f"映射文件 {path.name}: [{name}.columns] {key} 应为列名或列名列表")
            cols[key] = tuple(headers)
        values = {key: {normalise_value(k): v for k, v in spellings.items()}
                  for key, spellings in (section.get("values") or {}).items()}
        tables[name] = TableLayout(name, tuple(section.get("sheets") or ()), cols, values,
                                   dict(section.get("defaults") or {}))
    booleans = raw.get("booleans") or {}
    lines = {}
    for year, value in (raw.get("poverty_lines") or {}).items():
        try:
            lines[int(year)] = float(value)
        except (TypeError, ValueError):
            raise ImportFailed(f"映射文件 {path.name}: [poverty_lines] {year} = {value!r} 不是 年份 = 金额") from None
    rules = raw.get("rules") or {}
    return Mapping(
        name=str(raw.get("name") or path.stem), path=path, tables=tables,
        true_values=frozenset(normalise_value(v) for v in booleans.get("true", ["是"])),
        false_values=frozenset(normalise_value(v) for v in booleans.get("false", ["否"])),
        poverty_lines=lines, village_exit_incidence=float(rules.get("village_exit_incidence", EXIT_INCIDENCE_PCT)),
    )
