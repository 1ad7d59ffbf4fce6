"""Route: GET /regions/{code}/duty — the wall's 督办 figures per child region, and (leaders) the overdue items."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.masking import person_view, scrub_fields
from sandbox.domain.regions import RegionCode
from sandbox.server.core.dataset import dataset_info
from sandbox.server.deps import AGGREGATE_ROLES, Caller, PathRegionDep, SessionDep, allow
from sandbox.store import queries
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.command.duty import KIND_ZH, DutyBoard, age_days, duty_board, open_items, overdue_days
from sandbox.store.models import Region

__all__ = ["router", "ITEM_ROLES", "beijing_today", "board_of", "item_out"]

router = APIRouter(tags=["command"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]
# Who sees the items themselves (their titles, places, ages); every other role gets the counts alone.
ITEM_ROLES = (Role.admin, Role.leader)
# Closing an item publishes no event: a cached board is kept this long at most.
CACHE_S = 30


def beijing_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def board_of(session: Session, rc: RegionCode, today: dt.date) -> tuple[DutyBoard, list[dict], dict[str, str]]:
    """(the board, the child regions {code, name, level}, code → name of every region under `rc`)."""
    children = [{"code": c.code, "name": c.name, "level": c.level} for c in queries.child_regions(session, rc)]
    prefixes = {c["code"]: RegionCode(c["code"]).prefix for c in children}
    board = duty_board(open_items(session, rc.prefix, today), prefixes, today)
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.startswith(rc.prefix))).all())
    return board, children, names


def item_out(item, names: dict[str, str], today: dt.date, role: Role) -> dict:
    """An item as `role` may read it (free text scrubbed below admin)."""
    out = {
        "kind": item.kind, "kind_zh": KIND_ZH.get(item.kind, item.kind), "id": item.id,
        "region_code": item.region_code, "region_name": names.get(item.region_code),
        "title": item.title, "opened_at": item.opened_at.isoformat(timespec="seconds") + "Z",
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "age_days": age_days(item, today), "overdue_days": overdue_days(item, today),
    }
    return scrub_fields(out, person_view(role))


@router.get("/regions/{code}/duty", summary="督办: 下级各地区待办、超期事项及超期占比 (领导可见超期事项清单)")
def get_duty(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep,
             limit: Annotated[int, Query(ge=1, le=200, description="超期事项每页条数")] = 20,
             offset: Annotated[int, Query(ge=0, le=1_000_000, description="超期事项起始位置")] = 0) -> dict:
    rc, region = scope.load(session)
    today = beijing_today()
    info = dataset_info(session)
    # Any live event (a new complaint, feedback, finding) moves the bus's last id: a new board then.
    key = ("duty", info["build"], rc.value, today, request.app.state.events.last_id, int(time.monotonic() // CACHE_S))
    board, children, names = request.app.state.responses.get_or_compute(key, lambda: board_of(session, rc, today))
    shown = caller.role in ITEM_ROLES
    page = board.overdue[offset:offset + limit] if shown else []
    return {
        "code": rc.value, "name": region.name, "level": region.level, "today": today.isoformat(),
        "as_of": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
        "role": caller.role.value, "items_shown": shown,
        "total": board.total.as_dict(),
        "own": board.own.as_dict(),
        "children": [{**c, **board.children[c["code"]].as_dict()} for c in children],
        "overdue": {
            "total": len(board.overdue), "limit": limit, "offset": offset,
            "items": [item_out(i, names, today, caller.role) for i in page] if shown else None,
        },
        "data_label": info["data_label"],
    }
