"""Workbench 通知公告 / 办事指南: post to a county, town or village within the account's region; read rates per
town and village, and who has not read it yet (the rules are the store's: sandbox/store/command/notices.py)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import func, or_, select, true

from sandbox.domain.enums import CadreRole, Role
from sandbox.domain.masking import person_view
from sandbox.server.console.desk.scopes import place_of, places
from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.guard import go, staff_form, staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, client_address, open_draft
from sandbox.store.command.notices import (
    KINDS,
    MAX_BODY,
    MAX_TITLE,
    BadNotice,
    Notice,
    post_notice,
    read_rates,
    unread_cadres,
)
from sandbox.store.models import Region
from sandbox.store.office import access_log

__all__ = ["router", "POSTERS", "PAGE_SIZE"]

router = APIRouter()
BASE = "/console/command/notices"
POSTERS = (Role.admin, Role.leader)  # a display account (a wall's operator) reads the rates, posts nothing
PAGE_SIZE, CADRES_PAGE = 20, 50
# A form carries the longest notice URL-encoded: 9 bytes a Chinese character (the API's 64 KB default is too small)
FORM_BYTES = 9 * (MAX_BODY + MAX_TITLE + 64) + 4096
_FIELDS = ("kind", "region", "title", "content", "author")
_SCOPES = ("county", "town", "village")
register(Section("notices", "通知公告 / 办事指南", "向全县、乡镇或村的干部发布通知和办事指南, 查看各乡镇、各村的阅读率和未读干部"))


def _rate(read: int, cadres: int) -> float | None:
    return round(100.0 * read / cadres, 1) if cadres else None


def _visible(user: StaffUser):
    """Notices posted within the account's region, or to a scope that holds it (the API's rule for a region token)."""
    if user.region is None:
        return true()
    p = user.region.prefix
    holders = [p[:k].ljust(12, "0") for k in (6, 9, 12) if k <= len(p)]
    return or_(Notice.region_code.like(p + "%"), Notice.region_code.in_(holders))


def _list(request: Request, user: StaffUser, kind: str, page_no: int) -> dict:
    under = user.region.prefix if user.region is not None else ""
    with request.app.state.sessions() as session:
        where = [_visible(user)] + ([Notice.kind == kind] if kind in KINDS else [])
        total = session.scalar(select(func.count()).select_from(Notice).where(*where)) or 0
        rows = list(session.scalars(select(Notice).where(*where).order_by(Notice.created_at.desc(), Notice.id.desc())
                                    .limit(PAGE_SIZE).offset((page_no - 1) * PAGE_SIZE)))
        names = dict(session.execute(select(Region.code, Region.name)
                                     .where(Region.code.in_({n.region_code for n in rows}))).all())
        items = []
        for n in rows:
            towns = read_rates(session, n, under)
            cadres, read = sum(t["cadres"] for t in towns), sum(t["read"] for t in towns)
            items.append({"id": n.id, "kind": KINDS[n.kind], "scope": names.get(n.region_code, n.region_code),
                          "title": n.title, "author": n.author, "at": n.created_at, "cadres": cadres, "read": read,
                          "rate": _rate(read, cadres)})
        scopes = places(session, user, _SCOPES)
    return {"items": items, "total": total, "pages": max(1, -(-total // PAGE_SIZE)), "scopes": scopes}


def _list_page(request: Request, user: StaffUser, *, kind: str = "", page_no: int = 1, form: dict | None = None,
               error: str | None = None, status: int = 200) -> Response:
    data = _list(request, user, kind, page_no)
    return page(request, "desk_notices.html", user, status=status, title="通知公告 / 办事指南", kinds=KINDS,
                kind=kind, page_no=page_no, form=form or {}, error=error, may_post=user.role in POSTERS,
                max_title=MAX_TITLE, max_body=MAX_BODY, **data)


@router.get("/command/notices")
def notices(request: Request, kind: str = Query("", max_length=16), page_no: int = Query(1, alias="page", ge=1,
                                                                                           le=100_000),
            draft: str | None = None) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    opened = open_draft(request, draft, BASE)
    form = {k: v for k, v in (opened[1] if opened else {}).items() if k in _FIELDS}
    return _list_page(request, user, kind=kind, page_no=page_no, form=form,
                      error="登录已恢复, 请核对下面保留的内容后再发布" if opened else None)


def _post(request: Request, user: StaffUser, form: dict) -> int | tuple[int, str]:
    """The new notice's id, or (status, why) with nothing stored."""
    with request.app.state.sessions() as session:
        region = place_of(session, user, form.get("region"), _SCOPES, "发布范围")
        if isinstance(region, str):
            return (403 if "不在您的辖区" in region else 422), region
        try:
            n = post_notice(session, form.get("kind", ""), region.code, form.get("title", ""), form.get("content", ""),
                            author=form.get("author") or None)
        except BadNotice as exc:
            session.rollback()
            return 422, str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="notice",
                          subject=f"发布{KINDS[n.kind]} {n.id}: {n.title}", region_code=n.region_code,
                          address=client_address(request), channel="console")
        session.commit()
        return n.id


@router.post("/command/notices", max_body_size=FORM_BYTES)
async def post(request: Request) -> Response:
    got = await staff_form(request)
    if isinstance(got, Response):
        return got
    user, raw = got
    form = {k: raw.get(k) for k in _FIELDS if isinstance(raw.get(k), str)}
    if user.role not in POSTERS:
        return message(request, user, "无权发布", f"当前角色({user.role.label_zh})只能查看阅读率, 发布通知须为管理员或领导账号。",
                       status=403, back=BASE)
    done = await run_in_threadpool(_post, request, user, form)
    if isinstance(done, tuple):
        return await run_in_threadpool(lambda: _list_page(request, user, form=form, error=done[1], status=done[0]))
    return go(f"{BASE}/{done}?posted=1")


def _cadre_row(view, c, names: dict) -> dict:
    return {"name": view.name(c.name), "unit": c.unit, "role": CadreRole(c.role).label_zh if c.role in
            CadreRole._value2member_map_ else c.role, "place": names.get(c.region_code, c.region_code)}


@router.get("/command/notices/{notice_id}")
def notice(request: Request, notice_id: int, town: str = Query("", max_length=12),
           page_no: int = Query(1, alias="page", ge=1, le=100_000), posted: int = Query(0, ge=0, le=1)) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    def missing() -> Response:
        return message(request, user, "没有这条通知", f"没有编号为 {notice_id} 的通知 (或不在您的辖区)。", status=404,
                       back=BASE)

    if not 1 <= notice_id < 2**62:
        return missing()
    view = person_view(user.role)
    with request.app.state.sessions() as session:
        n = session.get(Notice, notice_id)
        if n is None or not session.scalar(select(func.count()).select_from(Notice)
                                           .where(Notice.id == n.id, _visible(user))):
            return missing()
        under = user.region.prefix if user.region is not None else ""
        if town:
            where = place_of(session, user, town, ("town",), "乡镇")
            if isinstance(where, str):
                return message(request, user, "无法查看", where, status=403 if "不在您的辖区" in where else 422,
                               back=f"{BASE}/{n.id}")
            under = where.code[:9]
        towns = read_rates(session, n, user.region.prefix if user.region is not None else "")
        villages = read_rates(session, n, under, depth=12) if len(under) >= 9 else []
        total, unread = unread_cadres(session, n, under, CADRES_PAGE, (page_no - 1) * CADRES_PAGE)
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_({n.region_code, under.ljust(12, "0")} | {c.region_code for c in unread}))).all())
        rows = [_cadre_row(view, c, names) for c in unread]
        if rows and view.names == "full":  # cadres' names are staff data: who read them is on record
            access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ,
                              what="cadre_list", subject=f"通知 {n.id} 未读干部 第 {page_no} 页 {len(rows)} 人",
                              region_code=under.ljust(12, "0") if under else None, address=client_address(request),
                              channel="console")
            session.commit()
        notice_view = {"id": n.id, "kind": KINDS[n.kind], "scope": names.get(n.region_code, n.region_code),
                       "title": n.title, "content": n.content, "author": n.author, "at": n.created_at}
    cadres, read = sum(t["cadres"] for t in towns), sum(t["read"] for t in towns)
    return page(request, "desk_notices_one.html", user, title=n.title, n=notice_view, towns=towns, villages=villages,
                cadres=cadres, read=read, rate=_rate(read, cadres), unread=rows, unread_total=total, page_no=page_no,
                pages=max(1, -(-total // CADRES_PAGE)), town=town if len(under) >= 9 else "",
                under_name=names.get(under.ljust(12, "0"), "") if under else "", posted=bool(posted),
                masked=view.names != "full")
