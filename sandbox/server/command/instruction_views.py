"""Instructions and their items as each role may read them: names masked and free text scrubbed below
admin, nothing person-level for a delegation; who may see which instruction."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import HTTPException
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.masking import person_view, scrub_fields
from sandbox.server.deps import Caller
from sandbox.store.command.instruction_scope import Issuer, may_manage
from sandbox.store.command.instructions import (
    OPEN_STATUSES,
    PRIORITIES,
    SCOPE_KINDS,
    STATUSES,
    Instruction,
    InstructionItem,
    is_overdue,
)
from sandbox.store.models import Cadre, Region

__all__ = ["iso", "counts_of", "summary", "item_view", "visible_instruction", "can_see", "photo_urls", "manages",
           "region_names"]


def iso(t: dt.datetime | None) -> str | None:
    """A stored UTC time as ISO-8601 with its zone."""
    return t.replace(tzinfo=dt.UTC).isoformat() if t is not None else None


def photo_urls(raw: str | None) -> list[str]:
    return [f"/api/v1/instructions/photos/{name}" for name in json.loads(raw or "[]")]


def counts_of(session: Session, ids: list[int], today: dt.date, prefix: str = "") -> dict[int, dict]:
    """Per instruction: items by status and the overdue ones (only the items under `prefix`)."""
    if not ids:
        return {}
    q = (select(InstructionItem.instruction_id, InstructionItem.status, func.count())
         .where(InstructionItem.instruction_id.in_(ids)).group_by(InstructionItem.instruction_id, InstructionItem.status))
    if prefix:
        q = q.where(InstructionItem.region_code.like(prefix + "%"))
    out = {i: {s: 0 for s in STATUSES} for i in ids}
    for iid, status, n in session.execute(q):
        out[iid][status] = int(n)
    return out


def summary(row: Instruction, counts: dict, today: dt.date, caller: Caller, region_name: str | None) -> dict:
    recipients = sum(counts.values())
    open_n = sum(counts[s] for s in OPEN_STATUSES)
    overdue = open_n if row.deadline < today else 0
    base = {"id": row.id, "region_code": row.region_code, "region": region_name, "priority": row.priority,
            "priority_zh": PRIORITIES.get(row.priority, row.priority), "deadline": row.deadline.isoformat(),
            "created_at": iso(row.created_at), "recipients": recipients, "counts": counts, "open": open_n,
            "overdue_items": overdue, "overdue": overdue > 0}
    if caller.role is Role.delegation:  # aggregates only: no text, no issuer
        return base
    view = person_view(caller.role)
    base.update(title=row.title, text=row.text, issuer_name=_issuer(view, row.issuer_name),
                scope_kind=row.scope_kind, scope_kind_zh=SCOPE_KINDS.get(row.scope_kind, row.scope_kind),
                photos=photo_urls(row.photos) if view.records and caller.role is not Role.display else [])
    return scrub_fields(base, view)


def _issuer(view, name: str) -> str:
    """"县委书记 王明" → the post kept, the person's name masked as the role sees names."""
    post, _, person = name.rpartition(" ")
    return f"{post} {view.name(person)}" if post and person else name


def item_view(item: InstructionItem, row: Instruction, cadre: Cadre | None, today: dt.date, caller: Caller,
              region_name: str | None = None) -> dict:
    view = person_view(caller.role)
    out = {"item_id": item.id, "instruction_id": row.id, "cadre_id": item.cadre_id,
           "cadre": view.name(cadre.name) if cadre else None, "unit": cadre.unit if cadre else None,
           "region_code": item.region_code, "region": region_name, "status": item.status,
           "status_zh": STATUSES.get(item.status, item.status),
           "overdue": is_overdue(item.status, row.deadline, today), "confirmed_at": iso(item.confirmed_at),
           "reported_at": iso(item.reported_at), "note": item.note, "return_reason": item.return_reason,
           "returned_at": iso(item.returned_at), "rounds": item.rounds or 0, "closed_at": iso(item.closed_at),
           "photos": photo_urls(item.photos) if caller.role is not Role.display else []}
    names = (cadre.name,) if cadre else ()
    return scrub_fields(out, view, names, keys=frozenset({"note", "return_reason"}))


def _in_region(row_id: int, prefix: str):
    return exists().where(InstructionItem.instruction_id == row_id, InstructionItem.region_code.like(prefix + "%"))


def can_see(session: Session, caller: Caller, row: Instruction) -> bool:
    """Admin/leader/display: an instruction with a recipient in the token's region, or issued there;
    a cadre: one they issued (a 第一书记) or received."""
    if caller.role is Role.cadre:
        if row.issuer_cadre_id == caller.cadre_id:
            return True
        return session.scalar(select(InstructionItem.id).where(InstructionItem.instruction_id == row.id,
                                                               InstructionItem.cadre_id == caller.cadre_id)
                              .limit(1)) is not None
    if caller.role not in (Role.admin, Role.leader, Role.display, Role.delegation):
        return False
    if caller.region is None:
        return True
    prefix = caller.region.prefix
    if (row.issuer_region or "").startswith(prefix):
        return True
    return bool(session.scalar(select(_in_region(row.id, prefix))))


def visible_instruction(session: Session, caller: Caller, instruction_id: int) -> Instruction:
    """The instruction, or 404 when it does not exist or the caller may not see it (no hint which)."""
    row = session.get(Instruction, instruction_id)
    if row is None or not can_see(session, caller, row):
        raise HTTPException(404, f"没有编号为 {instruction_id} 的指令 (或不在您的辖区)")
    return row


def manages(caller: Caller, row: Instruction) -> bool:
    """Whether the caller may close or send back the instruction's items (see may_manage)."""
    return caller.role in (Role.admin, Role.leader, Role.cadre) and may_manage(
        Issuer(caller.role.value, caller.region.value if caller.region else None, caller.cadre_id), row)


def region_names(session: Session, codes) -> dict[str, str]:
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
