"""Routes: GET /checkins?region=&since= — delegation tokens get points only, no people."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from sandbox.domain.enums import Role
from sandbox.domain.masking import person_view
from sandbox.server.deps import AGGREGATE_ROLES, Caller, SessionDep, allow, region_or_404
from sandbox.store.models import Cadre, Checkin

router = APIRouter(prefix="/checkins", tags=["checkins"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]
LIMIT = 5000


@router.get("", summary="帮扶干部工作签到")
def list_checkins(session: SessionDep, caller: Reader, region: Annotated[str, Query(description="区划代码")],
                  since: Annotated[dt.datetime | None, Query(description="起始时间 ISO-8601")] = None) -> list[dict]:
    rc, _ = region_or_404(session, region, caller)
    q = select(Checkin, Cadre.name).join(Cadre, Cadre.id == Checkin.cadre_id) \
        .where(Checkin.village_code.like(rc.prefix + "%"))
    if since is not None:
        q = q.where(Checkin.at >= since.replace(tzinfo=None))
    rows = session.execute(q.order_by(Checkin.at.desc()).limit(LIMIT)).all()
    view = person_view(caller.role)
    out = []
    for c, cadre_name in rows:
        item = {"id": c.id, "at": c.at.isoformat(), "lon": c.lon, "lat": c.lat, "village_code": c.village_code,
                "effective": c.effective}
        if caller.role is not Role.delegation:
            item.update(cadre_id=c.cadre_id, cadre=view.name(cadre_name), household_id=c.household_id,
                        note=c.note, distance_m=c.distance_m, source_crs=c.source_crs)
        out.append(item)
    return out
