"""Workbench 督办跟踪: overdue and soon-due instruction items and rectifications within the account's region,
oldest first, with their ages, who must act and who issued; each opened to what was asked and fed back; xlsx.

The items and their overdue rule are the 督办 sources' (sandbox.store.command.duty.SOURCES), as the wall counts them.
"""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from sandbox.domain.enums import CadreRole
from sandbox.domain.inspection import FindingCategory, RectificationStatus, Severity
from sandbox.domain.masking import person_view
from sandbox.server.console.desk import loop_access
from sandbox.server.console.desk.loop_access import DESK_ROLES, desk_page, town_filter, towns_of
from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, client_address
from sandbox.store.command import duty, findings, instructions
from sandbox.store.command.inspection import Finding, InspectionMember, InspectionSubgroup, Rectification
from sandbox.store.command.instructions import PRIORITIES, SCOPE_KINDS, STATUSES, Instruction, InstructionItem
from sandbox.store.command.instructions import today_beijing as beijing_today
from sandbox.store.importers.xlsx import write_xlsx
from sandbox.store.models import Cadre, Region
from sandbox.store.office import access_log

__all__ = ["router", "KINDS", "SOON_DAYS", "followup_rows"]

router = APIRouter()
register(Section("followup", "督办跟踪", "超期和即将到期的指令、整改: 历时多久、谁负责、谁下达; 可导出 Excel 开会用",
                 roles=DESK_ROLES))
BASE = "/console/command/followup"
KINDS = {"instruction": "指令", "rectification": "整改"}
SOON_DAYS = 7  # "即将到期": due within this many days
HEADER = ("类型", "事项", "乡镇", "村", "下达/发现日期", "期限", "超期天数", "剩余天数", "已历时(天)", "责任人/单位",
          "下达人/督查组", "状态")


def _cadres(session, ids) -> dict[int, Cadre]:
    ids = {i for i in ids if i is not None}
    return {c.id: c for c in session.scalars(select(Cadre).where(Cadre.id.in_(ids)))} if ids else {}


def _who(c: Cadre | None) -> str:
    if c is None:
        return ""
    try:
        role = CadreRole(c.role).label_zh
    except ValueError:
        role = c.role
    return f"{c.name} ({c.unit or role})"


def _instructions(session, ids: list[int]) -> dict[int, dict]:
    rows = session.execute(select(InstructionItem, Instruction).join(Instruction, Instruction.id ==
                                                                     InstructionItem.instruction_id)
                           .where(InstructionItem.id.in_(ids))).all() if ids else []
    cadres = _cadres(session, [i.cadre_id for i, _ in rows])
    return {i.id: {"responsible": _who(cadres.get(i.cadre_id)), "issuer": n.issuer_name,
                   "status": STATUSES.get(i.status, i.status)} for i, n in rows}


def _rectifications(session, ids: list[int], free) -> dict[int, dict]:
    rows = session.execute(select(Rectification, Finding, InspectionSubgroup.name)
                           .join(Finding, Finding.id == Rectification.finding_id)
                           .outerjoin(InspectionSubgroup, InspectionSubgroup.id == Finding.subgroup_id)
                           .where(Rectification.id.in_(ids))).all() if ids else []
    cadres = _cadres(session, [r.responsible_cadre_id for r, _, _ in rows])
    out = {}
    for r, f, group in rows:
        who = cadres.get(r.responsible_cadre_id)
        out[r.id] = {"responsible": r.responsible_unit + (f" · {who.name}" if who is not None else ""),
                     "issuer": group or "督查组", "status": RectificationStatus(r.status).label_zh,
                     "title": f"{FindingCategory(f.category).label_zh}: {_gist(free(f.text))}"}
    return out


def _gist(text: str | None, n: int = 24) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n] + "…"


def followup_rows(session, user: StaffUser, prefix: str, kind: str, today: dt.date, soon: int = SOON_DAYS) -> list[dict]:
    """The overdue items (oldest first), then those due within `soon` days (soonest first)."""
    view = person_view(user.role)
    items = [i for k in ((kind,) if kind else tuple(KINDS)) for i in duty.SOURCES[k](session, prefix, today)
             if i.open and (i.overdue or (i.deadline is not None and (i.deadline - today).days <= soon))]
    items.sort(key=lambda i: (not i.overdue, i.opened_at if i.overdue else dt.datetime.min,
                              i.deadline or dt.date.max, i.kind, i.id))
    more = {"instruction": _instructions(session, [i.id for i in items if i.kind == "instruction"]),
            "rectification": _rectifications(session, [i.id for i in items if i.kind == "rectification"],
                                             (lambda v: v) if user.is_admin else view.text)}
    codes = {i.region_code for i in items} | {i.region_code[:9] + "000" for i in items}
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()) if codes else {}
    rows = []
    for i in items:
        extra = more[i.kind].get(i.id, {})
        town = names.get(i.region_code[:9] + "000", "")
        village = names.get(i.region_code, "") if not i.region_code.endswith("000") else ""
        title = extra.get("title") if i.kind == "rectification" else view.text(i.title)
        rows.append({"kind": i.kind, "kind_zh": KINDS[i.kind], "id": i.id, "title": title, "town": town,
                     "village": village, "opened": (i.opened_at + dt.timedelta(hours=8)).date(), "deadline": i.deadline,
                     "overdue": i.overdue, "late": duty.overdue_days(i, today) if i.overdue else None,
                     "left": None if i.overdue or i.deadline is None else (i.deadline - today).days,
                     "age": duty.age_days(i, today), "responsible": extra.get("responsible", ""),
                     "issuer": extra.get("issuer", ""), "status": extra.get("status", "")})
    return rows


def _rows(request: Request, town: str, kind: str) -> tuple[StaffUser, dt.date, str, list, list[dict]] | Response:
    """(user, today, prefix, towns, rows) for the list and its export, or the refusal page instead."""
    user = desk_page(request)
    if isinstance(user, Response):
        return user
    today = beijing_today()
    with request.app.state.sessions() as session:
        towns = towns_of(session, user)
        prefix, refused = town_filter(user, towns, town)
        if refused is None and kind and kind not in KINDS:
            refused = f"没有「{kind[:16]}」这种事项, 可选: 指令、整改。"
        if refused:
            return message(request, user, "筛选条件无效", refused, status=403 if "辖区" in refused else 422, back=BASE)
        return user, today, prefix, towns, followup_rows(session, user, prefix, kind, today)


@router.get("/command/followup")
def followup(request: Request, town: str = Query("", max_length=12), kind: str = Query("", max_length=16)) -> Response:
    got = _rows(request, town, kind)
    if isinstance(got, Response):
        return got
    user, today, _, towns, rows = got
    query = "&".join(f"{k}={v}" for k, v in (("town", town), ("kind", kind)) if v)
    return page(request, "desk_followup.html", user, title="督办跟踪", rows=rows, towns=towns, kinds=KINDS,
                f={"town": town, "kind": kind}, today=today, soon=SOON_DAYS, query=query,
                late=sum(r["overdue"] for r in rows))


@router.get("/command/followup/export.xlsx")
def export(request: Request, town: str = Query("", max_length=12), kind: str = Query("", max_length=16)) -> Response:
    got = _rows(request, town, kind)
    if isinstance(got, Response):
        return got
    user, today, prefix, _, rows = got
    with request.app.state.sessions() as session:
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ, what="followup",
                          subject=f"导出 {len(rows)} 项", region_code=(prefix.ljust(12, "0") if prefix else None),
                          address=client_address(request), channel="console")
        session.commit()
    path = loop_access.xlsx_folder("followup-") / "followup.xlsx"
    write_xlsx(path, [("督办清单", HEADER, ((r["kind_zh"], r["title"], r["town"], r["village"], r["opened"], r["deadline"],
                                           r["late"], r["left"], r["age"], r["responsible"], r["issuer"], r["status"])
                                          for r in rows))],
               widths={"督办清单": (6, 30, 10, 12, 13, 11, 9, 9, 10, 26, 18, 8)})
    return loop_access.xlsx_download(path, f"督办清单_{today:%Y%m%d}.xlsx")


def _photos(raw: str | None) -> int:
    try:
        return len(json.loads(raw)) if raw else 0
    except ValueError:
        return 0


def _opened(request: Request, model, key: int, what: str, code_of):
    """(user, view, today, session, row) for an item's page, or the refusal page instead; the caller closes the
    session (`with`)."""
    user = desk_page(request)
    if isinstance(user, Response):
        return user
    session = request.app.state.sessions()
    row = session.get(model, key) if 1 <= key < 2**62 else None
    code = code_of(row) if row is not None else None
    if code is None:
        session.close()
        return message(request, user, "没有这一项", f"没有这条{what}。", status=404, back=BASE)
    if not user.may_see(code):
        session.close()
        return message(request, user, "无权查看", f"您的账号仅限 {user.region_zh} 辖区, 这条{what}不在其中。", status=403,
                       back=BASE)
    return user, person_view(user.role), beijing_today(), session, row


def _names(session, code: str) -> str:
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({code, code[:9] + "000"}))).all())
    town, own = names.get(code[:9] + "000", ""), names.get(code, code)
    return own if own == town else f"{town} {own}".strip()


@router.get("/command/followup/instruction/{item_id}")
def instruction(request: Request, item_id: int) -> Response:
    got = _opened(request, InstructionItem, item_id, "指令", lambda i: i.region_code)
    if isinstance(got, Response):
        return got
    user, view, today, session, item = got
    with session:
        n = session.get(Instruction, item.instruction_id)
        cadre = session.get(Cadre, item.cadre_id)
        d = {"title": view.text(n.title), "issuer": n.issuer_name, "issued": n.created_at, "deadline": n.deadline,
             "priority": PRIORITIES.get(n.priority, n.priority), "scope": SCOPE_KINDS.get(n.scope_kind, n.scope_kind),
             "text": n.text if user.is_admin else view.text(n.text), "photos": _photos(n.photos),
             "place": _names(session, item.region_code), "cadre": _who(cadre), "status": STATUSES.get(item.status),
             "overdue": instructions.is_overdue(item.status, n.deadline, today), "confirmed": item.confirmed_at,
             "reported": item.reported_at, "note": item.note if user.is_admin else view.text(item.note),
             "item_photos": _photos(item.photos), "rounds": item.rounds or 0, "returned": item.returned_at,
             "reason": item.return_reason if user.is_admin else view.text(item.return_reason),
             "closed": item.closed_at}
    return page(request, "desk_followup_item.html", user, title=f"指令: {d['title']}", kind="instruction", d=d,
                base=BASE)


@router.get("/command/followup/rectification/{rect_id}")
def rectification(request: Request, rect_id: int) -> Response:
    got = _opened(request, Rectification, rect_id, "整改", lambda r: r.village_code)
    if isinstance(got, Response):
        return got
    user, view, today, session, r = got
    with session:
        f = session.get(Finding, r.finding_id)
        group = session.get(InspectionSubgroup, f.subgroup_id) if f.subgroup_id else None
        member = session.get(InspectionMember, f.member_id) if f.member_id else None
        cadre = session.get(Cadre, r.responsible_cadre_id) if r.responsible_cadre_id else None
        free = (lambda v: v) if user.is_admin else view.text
        d = {"title": f"{FindingCategory(f.category).label_zh} ({Severity(f.severity).label_zh})",
             "issuer": (group.name if group else "督查组") + (f" · {member.name}" if member else ""),
             "issued": f.created_at, "month": f.month, "text": free(f.text), "photos": _photos(f.photos),
             "place": _names(session, r.village_code), "unit": r.responsible_unit, "cadre": _who(cadre),
             "deadline": r.deadline, "status": RectificationStatus(r.status).label_zh,
             "overdue": findings.is_overdue(r, today),
             "evidence": free(r.evidence_note), "evidence_photos": _photos(r.evidence_photos),
             "submitted": r.submitted_at, "review": free(r.review_comment), "rejections": r.rejections or 0,
             "closed": r.closed_at}
    return page(request, "desk_followup_item.html", user, title=f"整改: {d['title']}", kind="rectification", d=d,
                base=BASE)
