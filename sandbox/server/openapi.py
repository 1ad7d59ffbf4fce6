"""The OpenAPI document made true: the error bodies the API really sends, and region code patterns.

FastAPI documents a 422 as `{detail: [..]}`; ours is `{detail: "中文说明", errors: [..]}` (see
app.py), and every other error is `{detail: "中文说明"}`. Each operation lists the errors it can
answer with, so generated clients and schema-checking tools (tests/server/test_fuzz_openapi.py)
see what comes back.
"""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_openapi", "REGION_CODE_PATTERN"]

# What RegionCode.parse accepts: a province's 2 digits, a prefecture's 4, a county's 6, a town's 9 or
# a 12-digit code (ASCII digits only).
REGION_CODE_PATTERN = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"
_REGION_PARAMS = {"region", "code"}

_ERROR = {"title": "Error", "type": "object", "required": ["detail"],
          "properties": {"detail": {"type": "string", "description": "中文说明"}}}
_VALIDATION = {"title": "HTTPValidationError", "type": "object", "required": ["detail"], "properties": {
    "detail": {"type": "string", "description": "中文说明, 每个无效参数一句"},
    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"},
               "description": "逐项错误 (输入值过长时截断)"}}}
_VALIDATION_ITEM = {"title": "ValidationError", "type": "object", "required": ["loc", "msg", "type"], "properties": {
    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
    "msg": {"type": "string"}, "type": {"type": "string"}}}

_DESCRIPTIONS = {
    401: "缺少访问令牌, 或令牌无效、已吊销", 403: "当前令牌无权访问", 404: "没有该地区或记录",
    413: "请求体过大 (声明的长度超过最大限额时在路由之前拒绝, 任何接口)", 422: "参数无效, detail 说明原因", 429: "请求过于频繁 (见 Retry-After)",
    503: "数据库暂时不可用或尚无数据",
}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors_of(op: dict) -> set[int]:
    params = op.get("parameters", [])
    codes = {413, 422, 503}  # 413: a declared body over the largest limit is refused before routing, any route
    if op.get("security"):
        codes |= {401, 403, 429}
    if any(p["in"] == "path" or p["name"] in _REGION_PARAMS for p in params):
        codes.add(404)
    return codes


def _pattern(schema: dict) -> None:
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["pattern"] = REGION_CODE_PATTERN


def fix_document(doc: dict) -> dict:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error=_ERROR, HTTPValidationError=_VALIDATION, ValidationError=_VALIDATION_ITEM)
    for item in doc.get("paths", {}).values():
        for op in item.values():
            for p in op.get("parameters", []):
                if p["name"] in _REGION_PARAMS and p["in"] in ("path", "query"):
                    _pattern(p["schema"])
            responses = op.setdefault("responses", {})
            for code in sorted(_errors_of(op) | {int(c) for c in responses if c.isdigit() and int(c) >= 400}):
                r = responses.setdefault(str(code), {"description": _DESCRIPTIONS.get(code, "错误")})
                # FastAPI's own 422 points at HTTPValidationError already; the rest say only a description
                r["content"] = _json("HTTPValidationError" if code == 422 else "Error")
    return doc


def install_openapi(app: FastAPI) -> None:
    """Fix the document FastAPI generates, once, when it is first asked for."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = fix_document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
