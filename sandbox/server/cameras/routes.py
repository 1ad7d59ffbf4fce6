"""Routes: GET /cameras?region= — relative demo stream URLs resolve against this server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from sandbox.server.deps import AGGREGATE_ROLES, Caller, SessionDep, allow, region_or_404
from sandbox.store.models import Camera

router = APIRouter(prefix="/cameras", tags=["cameras"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


@router.get("", summary="项目点摄像头")
def list_cameras(request: Request, session: SessionDep, caller: Reader,
                 region: Annotated[str | None, Query(description="区划代码")] = None) -> list[dict]:
    q = select(Camera).order_by(Camera.id)
    if region is not None:
        rc, _ = region_or_404(session, region, caller)
        q = q.where(Camera.region_code.like(rc.prefix + "%"))
    base = str(request.base_url).rstrip("/")
    return [{"id": c.id, "name": c.name, "site": c.site, "project_id": c.project_id, "region_code": c.region_code,
             "lon": c.lon, "lat": c.lat, "status": c.status,
             "stream_url": base + c.stream_url if c.stream_url.startswith("/") else c.stream_url}
            for c in session.scalars(q)]
