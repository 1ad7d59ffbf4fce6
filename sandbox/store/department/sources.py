"""The nine department sources: each read by a TOML mapping (mappings/<source>.toml) onto the generic columns."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sandbox.store.importers.mapping import TableLayout
from sandbox.store.importers.report import ImportFailed
from sandbox.store.importers.tables import normalise_header, normalise_value

__all__ = ["SOURCES", "FIELDS", "SourceMapping", "load_source", "MAPPINGS_DIR"]

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"

# source id → Chinese name, as the CLI, the report and the rules' evidence name it
SOURCES = {
    "payroll": "财政供养人员",
    "vehicles": "车辆登记",
    "property": "不动产登记",
    "business": "工商登记",
    "deaths": "户籍注销",
    "prison": "服刑人员",
    "assistance": "低保特困",
    "medical": "医保参保",
    "school": "学籍",
}

# The generic columns a mapping can fill (sandbox.store.department.tables.DepartmentRecord), and as_of:
# a 数据截至 column, whose latest date is the file's own date.
FIELDS = ("id_number", "name", "record_key", "category", "status", "amount", "place", "detail", "start_date",
          "end_date", "as_of")


@dataclass(frozen=True)
class SourceMapping:
    source: str
    name: str
    path: Path
    layout: TableLayout
    required: tuple[str, ...]  # fields whose column must be present (id_number always)
    key_fields: tuple[str, ...]  # fields that, with the ID number, tell a person's rows of this source apart
    wan_headers: frozenset[str]  # normalised headers whose amounts are in 万元 (× 10,000 on import)


def load_source(source: str, path: Path | str | None = None) -> SourceMapping:
    """The source's mapping: `path` if given (a county's own layout), else the packaged one."""
    if source not in SOURCES:
        raise ImportFailed(f"未知的部门数据来源 {source!r}; 可用: "
                           + "、".join(f"{k} ({v})" for k, v in SOURCES.items()))
    path = Path(path) if path else MAPPINGS_DIR / f"{source}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportFailed(f"映射文件 {path} 不存在") from None
    except (OSError, UnicodeDecodeError):
        raise ImportFailed(f"映射文件 {path.name} 无法读取 (应为 UTF-8 文本)") from None
    except tomllib.TOMLDecodeError:
        raise ImportFailed(f"映射文件 {path.name} 不是有效的 TOML (如缺少引号、等号或括号)") from None
    columns = {}
    for key, headers in (raw.get("columns") or {}).items():
        headers = [headers] if isinstance(headers, str) else list(headers)
        if key not in FIELDS or not headers or not all(isinstance(h, str) and h.strip() for h in headers):
            raise ImportFailed(f"映射文件 {path.name}: [columns] {key} 应为 {'/'.join(FIELDS)} 之一, 值为列名列表")
        columns[key] = tuple(headers)
    required = tuple(dict.fromkeys(("id_number", *raw.get("required", ()))))
    missing = [k for k in required if k not in columns]
    if missing:
        raise ImportFailed(f"映射文件 {path.name}: 必需字段 {'、'.join(missing)} 没有列名")
    values = {key: {normalise_value(k): v for k, v in spellings.items()}
              for key, spellings in (raw.get("values") or {}).items()}
    layout = TableLayout(source, tuple(raw.get("sheets") or ()), columns, values)
    return SourceMapping(source, str(raw.get("name") or SOURCES[source]), path, layout, required,
                         tuple(raw.get("key_fields", ())),
                         frozenset(normalise_header(h) for h in raw.get("wan_headers", ())))
