"""What a client sends to the instruction routes: an instruction, a feedback, a return; limits in Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sandbox.server.checkins.schemas import MAX_BODY_BYTES, MAX_PHOTOS

__all__ = ["InstructionIn", "FeedbackIn", "ReturnIn", "MAX_BODY_BYTES", "MAX_PHOTOS", "MAX_TEXT"]

MAX_TEXT = 5000


class InstructionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "scope_kind": "region", "scope_ref": "522726103001", "title": "核实两不愁三保障",
        "text": "请于本周内逐户核实结对帮扶户住房安全情况并反馈。", "priority": "urgent", "deadline": "2026-12-31",
    }})

    scope_kind: str = Field(max_length=16, description="范围: region 地区 / household 贫困户 / project 项目 / cadres 指定干部")
    scope_ref: str | None = Field(None, max_length=32, description="地区代码、贫困户编号或项目编号 (指定干部时不填)")
    cadre_ids: list[Annotated[int, Field(ge=1, lt=2**31)]] = Field(default_factory=list, max_length=10_000,
                                                               description="指定干部时: 干部编号")
    title: str | None = Field(None, max_length=64, description="标题, 缺省取正文首行")
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="指令/批示内容")
    priority: str = Field("normal", max_length=16, description="紧急程度: normal 一般 / urgent 紧急 / critical 特急")
    deadline: dt.date = Field(description="办理期限 (北京时间日期, 含当天)")
    issuer_name: str | None = Field(None, max_length=64, description="下达人署名, 如 县委书记 王明 (第一书记自动署名)")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS, description="附件照片 (base64 JPEG/PNG)")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=MAX_TEXT, description="反馈内容")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS, description="照片 (base64 JPEG/PNG)")


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="退回原因")
