"""Routes under /api/v1/field: enrol a phone, who am I, my households, check in (exactly once per
client_id), my check-ins and their photos. Every route but enrolment reads the device cookie."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from sandbox.domain.enums import Role
from sandbox.server.bodylimit import read_json_model
from sandbox.server.checkins.routes import _inline_schema, accept_checkin, photo_verdict, read_body, visits
from sandbox.server.checkins.schemas import MAX_BODY_BYTES, BadCheckin, CheckinIn, parse_checkin
from sandbox.server.deps import RegionScope, SessionDep, settings_of
from sandbox.server.field.auth import CadreDep, DeviceDep, clear_device_cookie, set_device_cookie
from sandbox.server.field.households import my_households, note_cards_read
from sandbox.server.timing import Phases
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.field import BadInvite, redeem_invite
from sandbox.store.models import Cadre, Checkin, FieldDevice, FieldInvite, Household, Region

router = APIRouter(prefix="/field", tags=["field"])
MY_CHECKINS_LIMIT = 1000
_PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")


class EnrolIn(BaseModel):
    invite: str = Field(min_length=1, max_length=128, description="邀请链接中的邀请码")


@router.post("/enrol", summary="用邀请码绑定本机 (设置设备 Cookie)",
             responses={410: {"description": "邀请无效、已使用或已过期, detail 说明"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": EnrolIn.model_json_schema()}}}})
async def enrol(request: Request) -> JSONResponse:
    # read here, not as a body parameter: a body that is not JSON is a Chinese 422, not FastAPI's 400
    body = await read_json_model(request, EnrolIn)
    device_id, token = await run_in_threadpool(_redeem, request, body.invite)
    response = JSONResponse({"device_id": device_id, "enrolled": True})
    set_device_cookie(request, response, token)
    return response


def _redeem(request: Request, invite: str) -> tuple[int, str]:
    with request.app.state.sessions() as session:
        try:
            token, device = redeem_invite(session, invite, request.headers.get("user-agent"))
            session.commit()
        except BadInvite as exc:
            session.rollback()
            raise HTTPException(410, str(exc)) from None
        return device.id, token


@router.post("/logout", status_code=204, summary="本机解除登录 (清除设备 Cookie; 设备须由管理员吊销)")
def logout(request: Request) -> Response:
    response = Response(status_code=204)
    clear_device_cookie(request, response)
    return response


@router.get("/me", summary="本机绑定的身份")
def me(caller: DeviceDep, session: SessionDep) -> dict:
    out: dict = {"role": caller.role.value, "role_zh": caller.role.label_zh, "region_code": None, "region": None}
    if caller.role is Role.cadre and caller.cadre_id is not None:
        cadre = session.get(Cadre, caller.cadre_id)
        if cadre is None:
            raise HTTPException(403, f"本机绑定的帮扶干部 {caller.cadre_id} 已不在册")
        out.update(cadre_id=cadre.id, name=cadre.name, unit=cadre.unit)
    elif caller.token_id is not None:  # a leader's phone: the name and post its invite was given (--label)
        label = session.scalar(select(FieldInvite.label).join(FieldDevice, FieldDevice.invite_id == FieldInvite.id)
                               .where(FieldDevice.token_id == caller.token_id))
        if label:
            out["name"] = label
    if caller.region is not None:
        out["region_code"] = caller.region.value
        out["region"] = session.scalar(select(Region.name).where(Region.code == caller.region.value))
    return out


@router.get("/overview", summary="领导: 本辖区本月走访情况 (同 GET /checkins/visits)")
def overview(caller: DeviceDep, session: SessionDep) -> dict:
    if caller.role is not Role.leader:
        raise HTTPException(403, "此功能仅供领导使用")
    return visits(session, caller, RegionScope(caller.region, caller), None)


@router.get("/households", summary="我的帮扶户 (一帮四): 每户的卡片")
def households(request: Request, caller: CadreDep, session: SessionDep) -> dict:
    cards = my_households(session, caller.cadre_id)
    note_cards_read(session, request, caller, cards)
    return {"as_of": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"), "items": cards}


@router.post("/checkins", status_code=201, summary="签到 (须带 client_id; 重发返回已入库的记录, 200)",
             max_body_size=MAX_BODY_BYTES,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _inline_schema(CheckinIn)}}}},
             responses={200: {"description": "该 client_id 已入库: 返回已入库的记录"},
                        201: {"description": "已入库"}, 403: {"description": "不是本人的结对帮扶户"},
                        409: {"description": "该 client_id 属于其他干部的签到"},
                        413: {"description": "请求体过大"}, 422: {"description": "签到无效, detail 说明原因"}})
async def post_checkin(request: Request, caller: CadreDep) -> JSONResponse:
    phases = Phases()
    body = await read_body(request)
    try:
        data = parse_checkin(body)
    except BadCheckin as exc:
        raise HTTPException(422, str(exc)) from None
    if data.client_id is None:
        raise HTTPException(422, "缺少必填字段: 签到编号 client_id (UUID), 用于防止重复入库")
    phases.lap("body")
    record, created = await accept_checkin(request.app, caller, data, phases)
    return JSONResponse(record, status_code=201 if created else 200, headers={"Server-Timing": phases.header()})


@router.get("/checkins", summary="我的签到 (按时间倒序, 含照片地址)")
def my_checkins(caller: CadreDep, session: SessionDep,
                month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="月份 YYYY-MM, 缺省为全部")] = None
                ) -> dict:
    q = (select(Checkin, Household.head_name, Region.name)
         .join(Household, Household.id == Checkin.household_id)
         .outerjoin(Region, Region.code == Checkin.village_code)
         .where(Checkin.cadre_id == caller.cadre_id))
    if month is not None:
        y, m = int(month[:4]), int(month[5:])
        if not (1 <= m <= 12 and 1900 <= y <= 2100):
            raise HTTPException(422, f"月份 {month} 无效, 应为 YYYY-MM")
        q = q.where(Checkin.at >= dt.datetime(y, m, 1), Checkin.at < dt.datetime(y + (m == 12), m % 12 + 1, 1))
    rows = session.execute(q.order_by(Checkin.at.desc(), Checkin.id.desc()).limit(MY_CHECKINS_LIMIT)).all()
    return {"items": [
        {"id": c.id, "client_id": c.client_id, "at": c.at.replace(tzinfo=CHINA_TZ).isoformat(),
         "household_id": c.household_id, "head_name": head, "village": village, "note": c.note,
         "distance_m": c.distance_m, "effective": c.effective, "lon": c.lon, "lat": c.lat,
         "photos": [f"photos/{name}" for name in json.loads(c.photos or "[]")], **photo_verdict(c)}
        for c, head, village in rows]}


@router.get("/photos/{name}", summary="我的签到照片", response_class=FileResponse)
async def photo(caller: CadreDep, request: Request,
                name: Annotated[str, Path(max_length=40, description="照片文件名")]) -> FileResponse:
    if not _PHOTO_NAME.match(name):
        raise HTTPException(404, "没有这张照片")

    def mine() -> bool:
        with request.app.state.sessions() as session:
            return session.scalar(select(Checkin.id).where(Checkin.cadre_id == caller.cadre_id,
                                                           Checkin.photos.contains(name)).limit(1)) is not None

    path = settings_of(request.app).data_dir / "photos" / name
    if not await run_in_threadpool(mine) or not path.is_file():
        raise HTTPException(404, "没有这张照片")
    return FileResponse(path, media_type="image/png" if name.endswith(".png") else "image/jpeg",
                        headers={"Cache-Control": "private, max-age=31536000, immutable"})
