"""Routes: GET /health (no auth) and GET /indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sandbox.domain.enums import Role
from sandbox.domain.indicators import REGISTRY
from sandbox.server.deps import Caller, SessionDep, allow
from sandbox.server.meta.dataset import dataset_info

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


@router.get("/health", response_model=HealthOut, summary="服务状态(无需令牌)")
def health(session: SessionDep) -> dict:
    try:
        session.execute(text("SELECT 1"))
        info = dataset_info(session)
    except SQLAlchemyError:
        return {"status": "degraded", "data_as_of": None, "detail": "数据库不可用"}
    return {"status": "ok", "data_as_of": info["as_of"], "imported_at": info["imported_at"], "demo": info["demo"], "root_region": info["root_region"]}


@router.get("/indicators", response_model=list[IndicatorOut], summary="指标登记表")
def indicators(_: Annotated[Caller, Depends(allow(*Role))]) -> list[dict]:
    return [i.as_dict() for i in REGISTRY]
