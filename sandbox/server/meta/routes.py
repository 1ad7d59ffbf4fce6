"""Routes: GET /health (no auth) and GET /indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sandbox.domain.enums import Role
from sandbox.domain.indicators import REGISTRY
from sandbox.domain.rules import indicator_rules
from sandbox.server.core.dataset import dataset_info
from sandbox.server.deps import Caller, SessionDep, allow, settings_of

router = APIRouter(tags=["meta"])


class HealthOut(BaseModel):
    status: str
    data_as_of: str | None
    imported_at: str | None = None  # 导入于: when the latest register was imported (data_as_of is its own date)
    demo: bool | None = None
    root_region: str | None = None  # where a wall starts: the dataset's county
    detail: str | None = None


class IndicatorOut(BaseModel):
    key: str
    label_zh: str
    unit: str
    formula: str
    higher_is_better: bool
    classification: str
    # Policy rules (sandbox.domain.rules), added fields: clients that do not know them ignore them.
    exit_line: float | None = Field(None, description="退出标准线 (如贫困发生率 3%); 无则为 null")
    thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="与该指标相关的规则阈值: exit_line 退出线; idle_months 资金闲置月数, overpaid_tolerance_yuan "
                    "支付超到位容差(元); effective_distance_m 有效走访距离(米)")


@router.get("/health", response_model=HealthOut, summary="服务状态(无需令牌)")
def health(session: SessionDep) -> dict:
    try:
        session.execute(text("SELECT 1"))
        info = dataset_info(session)
    except SQLAlchemyError:
        return {"status": "degraded", "data_as_of": None, "detail": "数据库不可用"}
    return {"status": "ok", "data_as_of": info["as_of"], "imported_at": info["imported_at"], "demo": info["demo"], "root_region": info["root_region"]}


@router.get("/indicators", response_model=list[IndicatorOut], summary="指标登记表")
def indicators(request: Request, _: Annotated[Caller, Depends(allow(*Role))]) -> list[dict]:
    effective_m = settings_of(request.app).checkin_effective_m  # the deployment's, not the default
    return [{**i.as_dict(), **indicator_rules(i.key, effective_m)} for i in REGISTRY]
