"""The check-in a phone posts (POST /checkins), and validation errors said in Chinese."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["PointIn", "CheckinIn", "MAX_PHOTOS", "MAX_PHOTO_BYTES", "MAX_BODY_BYTES", "MAX_NOTE_CHARS",
           "parse_checkin", "BadCheckin"]

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 2 * 1024 * 1024  # decoded
MAX_NOTE_CHARS = 2000
# five photos at the limit in base64 (4/3) plus the rest of the record
MAX_BODY_BYTES = MAX_PHOTOS * (MAX_PHOTO_BYTES * 4 // 3 + 1024) + 64 * 1024


class BadCheckin(ValueError):
    """The request is not a valid check-in; the message is Chinese and says why (→ 422)."""


class PointIn(BaseModel):
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="经度")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="纬度")
    crs: Literal["WGS-84", "GCJ-02"] = Field(description="坐标系: WGS-84 (GPS) 或 GCJ-02 (微信 wx.getLocation 缺省)")


class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"example": {
        "point": {"lon": 107.545, "lat": 25.83, "crs": "GCJ-02"}, "accuracy_m": 12.0,
        "at": "2026-11-29T10:15:00+08:00", "household_id": 123, "note": "走访了解家庭收入情况", "photos": [],
    }})

    point: PointIn
    accuracy_m: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False, description="定位精度 (米)")
    at: AwareDatetime = Field(description="签到时间, ISO-8601 且带时区")
    household_id: int = Field(gt=0, lt=2**62, description="走访的贫困户编号")
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="工作纪要")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS,
                              description="照片: base64 编码的 JPEG/PNG (可带 data:image/...;base64, 前缀), 每张 ≤ 2 MB、≤ 2000 万像素")
    client_id: uuid.UUID | None = Field(None, description="客户端生成的签到编号 (UUID): 同一编号只入库一次, 重发时返回已入库的记录")
    cadre_id: int | None = Field(None, gt=0, lt=2**62,
                                 description="帮扶干部编号: 管理员令牌代为签到时必填; 帮扶干部令牌可省略 (取令牌所属干部)")

    @field_validator("at")
    @classmethod
    def _representable(cls, at: dt.datetime) -> dt.datetime:
        # 0001-01-01T00:00:00+14:00 is valid ISO-8601 but before year 1 in UTC: converting it overflows
        try:
            year = at.astimezone(dt.UTC).year
        except OverflowError:
            year = 0
        if not 1 < year < 9999:
            raise ValueError("超出可处理的时间范围")
        return at

    @field_validator("note")
    @classmethod
    def _no_nul(cls, note: str | None) -> str | None:
        # PostgreSQL refuses NUL in text; refused here, so every database behaves the same
        if note is not None and "\x00" in note:
            raise ValueError("不能包含 NUL 字符 (\\u0000)")
        return note


_FIELD_ZH = {
    "point": "坐标 point", "point.lon": "经度 point.lon", "point.lat": "纬度 point.lat", "point.crs": "坐标系 point.crs",
    "accuracy_m": "定位精度 accuracy_m", "at": "签到时间 at", "household_id": "贫困户编号 household_id",
    "note": "工作纪要 note", "photos": "照片 photos", "cadre_id": "帮扶干部编号 cadre_id",
    "client_id": "签到编号 client_id",
}


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "photos" and len(parts) > 1:
        return f"第 {int(parts[1]) + 1} 张照片" if parts[1].isdigit() else "照片 photos"
    key = ".".join(parts)
    return _FIELD_ZH.get(key, key or "请求体")


def _message(e: dict) -> str:
    where, kind, ctx = _where(e.get("loc", ())), e.get("type", ""), e.get("ctx") or {}
    if kind == "missing":
        return f"缺少必填字段: {where}"
    if kind in ("float_parsing", "float_type"):
        return f"{where} 应为数字"
    if kind == "finite_number":
        return f"{where} 应为有限数字"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{where} 应为整数"
    if kind == "string_type":
        return f"{where} 应为字符串"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where} 应为 JSON 对象"
    if kind == "list_type":
        return f"{where} 应为数组"
    if kind == "literal_error":
        return f"{where} 取值无效, 应为 {ctx.get('expected', '')}".replace("'", "")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {"greater_than": "应大于", "greater_than_equal": "应不小于", "less_than": "应小于",
                 "less_than_equal": "应不大于"}[kind]
        value = next(iter(ctx.values()), "")
        return f"{where} 超出范围: {bound} {value}"
    if kind == "too_long":
        if where.startswith("照片"):
            return f"照片过多: 最多 {MAX_PHOTOS} 张"
        return f"{where} 过多: 最多 {ctx.get('max_length')} 项"
    if kind == "string_too_long":
        return f"{where} 过长: 最多 {ctx.get('max_length')} 字"
    if kind == "timezone_aware":
        return f"{where} 必须带时区, 如 2026-11-29T10:15:00+08:00"
    if kind == "value_error":
        return f"{where} {ctx.get('error', e.get('msg', ''))}"
    if kind.startswith("uuid"):
        return f"{where} 应为 UUID, 如 0b6c1e9e-3f4a-4c59-9d3e-2a7f1c0e8b11"
    if kind.startswith("datetime") or kind.startswith("date"):
        return f"{where} 不是有效的 ISO-8601 时间"
    return f"{where} 无效: {e.get('msg', kind)}"


def parse_checkin(body: bytes) -> CheckinIn:
    """Bytes of the request body → a CheckinIn, or BadCheckin with every problem in Chinese."""
    if not body.strip():
        raise BadCheckin("请求体为空: 应为 JSON 对象")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadCheckin("请求体不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise BadCheckin("请求体应为 JSON 对象")
    try:
        return CheckinIn.model_validate(data)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_message(e) for e in exc.errors(include_url=False)))
        raise BadCheckin("; ".join(problems)) from None
