"""A 422's problems in Chinese: pydantic's error types told as a county clerk would read them."""

from __future__ import annotations

from typing import Any

from sandbox.server.echo import cut

__all__ = ["problem_zh"]

# pydantic v2 error type → Chinese, formatted with the error's ctx; an unknown type keeps pydantic's text
_TYPES: dict[str, str] = {
    "missing": "缺少此项",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字", "decimal_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "string_type": "应为文本", "string_unicode": "应为有效的 UTF-8 文本",
    "string_too_short": "至少 {min_length} 个字符", "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符 (应匹配 {pattern})",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}", "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "too_short": "至少 {min_length} 项", "too_long": "至多 {max_length} 项",
    "enum": "应为以下之一: {expected}", "literal_error": "应为以下之一: {expected}",
    "date_parsing": "应为日期, 如 2020-06-01", "date_type": "应为日期, 如 2020-06-01",
    "date_from_datetime_parsing": "应为日期, 如 2020-06-01", "date_from_datetime_inexact": "应为日期, 不带时刻",
    "datetime_parsing": "应为日期时间, 如 2020-06-01T08:30:00+08:00",
    "datetime_type": "应为日期时间, 如 2020-06-01T08:30:00+08:00",
    "datetime_from_date_parsing": "应为日期时间, 如 2020-06-01T08:30:00+08:00",
    "timezone_aware": "应带时区, 如 +08:00", "timezone_naive": "不应带时区",
    "json_invalid": "不是有效的 JSON", "json_type": "应为 JSON",
    "model_type": "应为 JSON 对象", "model_attributes_type": "应为 JSON 对象", "dict_type": "应为 JSON 对象",
    "list_type": "应为列表", "tuple_type": "应为列表", "set_type": "应为列表",
    "extra_forbidden": "不认识此字段",
    "uuid_parsing": "应为 UUID", "uuid_type": "应为 UUID",
    "url_parsing": "应为网址", "url_type": "应为网址", "url_scheme": "网址协议不对",
    "bytes_too_long": "过长", "bytes_too_short": "过短",
    "union_tag_invalid": "类型不对", "union_tag_not_found": "缺少类型字段",
}
_WHOLE_BODY = "请求体"  # the body as a whole: a JSON that does not parse, or is not an object


def _custom(error: dict[str, Any]) -> str:
    """A validator's own message (ours are Chinese), without pydantic's English prefix."""
    msg = str(error.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def _told(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        return _custom(error)
    template = _TYPES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    ctx = {k: cut(str(v)) for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(" (")[0].split(":")[0].replace("{", "").replace("}", "")


def problem_zh(error: dict[str, Any]) -> str:
    """One error of a RequestValidationError as a Chinese sentence naming the parameter or field."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body", "header", "cookie"))
    name = cut(where) if where else _WHOLE_BODY
    if error.get("type") == "missing":
        return f"缺少参数 {name}"
    return f"参数 {name} 无效: {cut(_told(error))}"
