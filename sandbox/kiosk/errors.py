"""Reading a TOML file into a pydantic model with errors that name the file, the line and the key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from sandbox.kiosk.locate import KeyLocator

__all__ = ["Problem", "ConfigError", "StrictModel", "read_toml_model", "problem_at"]

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """No coercion ("300" is not a number) and no unknown keys: a typo must not pass silently."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    key: str  # dotted, e.g. "screen.geometry" or "steps[3].region"; "" for the file as a whole
    message: str

    def __str__(self) -> str:
        where = self.file + (f" 第 {self.line} 行" if self.line else "")
        return f"{where}: {self.key + ': ' if self.key else ''}{self.message}"


class ConfigError(ValueError):
    """One or more problems in a kiosk config or tour file; str() is one line per problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"  # people count steps from 1
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else f'"{value[:37]}…"'
    if isinstance(value, (dict, list)):
        return "表" if isinstance(value, dict) else "数组"
    return str(value)


_TYPE_MESSAGES = {
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "string_type": "应为字符串 (加引号)",
    "list_type": "应为数组, 如 [1, 2]", "tuple_type": "应为数组, 如 [1, 2]",
    "dict_type": "应为一个表 ([名称] 段)", "model_type": "应为一个表 ([名称] 段)",
    "model_attributes_type": "应为一个表 ([名称] 段)",
}


def _message(err: dict) -> str:
    t = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if t == "extra_forbidden":
        return "未知的配置项 (拼写错误? 请对照 kiosk_config/example-command-centre.toml)"
    if t == "missing":
        return "缺少必填项"
    if t in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[t]}, 实际为 {_describe(got)}"
    if t == "literal_error":
        return f"应为 {ctx.get('expected', '')} 之一, 实际为 {_describe(got)}"
    bounds = {"greater_than": "应大于", "greater_than_equal": "应不小于", "less_than": "应小于",
              "less_than_equal": "应不大于"}
    if t in bounds:
        limit = next(iter(ctx.values()), "")
        return f"{bounds[t]} {limit}, 实际为 {_describe(got)}"
    if t in ("too_short", "too_long"):
        return f"元素个数不对: {ctx.get('actual_length', '?')} 个"
    if t == "value_error":
        return str(ctx.get("error") or err.get("msg", "取值无效"))
    if t == "union_tag_invalid" or t.startswith("union"):
        return f"取值类型不对: {_describe(got)}"
    return f"取值无效 ({err.get('msg', t)})"


def problem_at(path: Path, locator: KeyLocator | None, loc: tuple, message: str) -> Problem:
    return Problem(str(path), locator.line_of(loc) if locator else None, _dotted(loc), message)


def _clean_loc(loc: tuple) -> tuple:
    # pydantic adds the union member's type name (e.g. "int", "str") to the location: not a key.
    return tuple(p for p in loc if not (isinstance(p, str) and p in {"int", "str", "float", "bool", "list[int]",
                                                                     "function-after", "function-plain"}))


def read_toml_model(path: Path, model: type[M], *, context: dict | None = None) -> tuple[M, KeyLocator]:
    """Parse `path` and validate it as `model`; raise ConfigError naming every problem's line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), None, "", "文件不存在")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), None, "", f"无法读取 (须为 UTF-8 文本): {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = None
        msg = str(exc)
        if "(at line " in msg:
            try:
                line = int(msg.rsplit("(at line ", 1)[1].split(",")[0])
            except ValueError:
                pass
        reason = msg.split(" (at line ")[0]
        raise ConfigError([Problem(str(path), line, "", f"TOML 语法错误: {reason}")]) from None
    locator = KeyLocator(text)
    try:
        return model.model_validate(data, context=context), locator
    except ValidationError as exc:
        problems = [problem_at(path, locator, _clean_loc(tuple(e["loc"])), _message(e)) for e in exc.errors()]
        raise ConfigError(problems) from None
