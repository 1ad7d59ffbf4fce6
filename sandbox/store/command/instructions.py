"""指令/批示: an instruction to cadres, one item per recipient, and each item's way to 办结 (issue 16 item 1).

An item goes 待确认 → 已确认 → 已反馈 (note, photos) → 办结 by the issuer, or 退回 with a reason, after
which the cadre feeds back again. Overdue is computed (open and past the deadline, Beijing date), never
stored. Who may instruct whom is in `instruction_scope`; this module keeps the tables and the moves.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sandbox.store.models import Base, Cadre

__all__ = ["Instruction", "InstructionItem", "STATUSES", "OPEN_STATUSES", "PRIORITIES", "SCOPE_KINDS",
           "BadMove", "today_beijing", "is_overdue", "confirm", "feed_back", "close", "send_back", "duty_items",
           "MAX_DEADLINE_DAYS"]

_ID = BigInteger().with_variant(Integer, "sqlite")

STATUSES = {"pending": "待确认", "confirmed": "已确认", "reported": "已反馈", "returned": "已退回", "closed": "办结"}
OPEN_STATUSES = ("pending", "confirmed", "reported", "returned")
PRIORITIES = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
SCOPE_KINDS = {"region": "地区", "household": "贫困户", "project": "项目", "cadres": "指定干部"}
MAX_DEADLINE_DAYS = 366
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")  # as sandbox.store.checkins (not imported: a cycle via models)  # a deadline further out is a typo, not a plan


class Instruction(Base):
    """One instruction as issued: who, about what, by when; its recipients are `InstructionItem`s."""

    __tablename__ = "instructions"
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    issuer_role: Mapped[str] = mapped_column(String(16))  # admin, leader, cadre (a 第一书记)
    issuer_region: Mapped[str | None] = mapped_column(String(12))  # the issuer's office: who may close
    issuer_cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))  # a 第一书记's own id
    issuer_name: Mapped[str] = mapped_column(String(64))  # "县委书记 王明", as the recipients see it
    scope_kind: Mapped[str] = mapped_column(String(16))  # region, household, project, cadres
    scope_ref: Mapped[str | None] = mapped_column(String(32))  # region code, household id, project id
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # what it is about (village/town/county)
    title: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[dt.date] = mapped_column(Date)
    photos: Mapped[str | None] = mapped_column(Text)  # JSON list of stored file names
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive


class InstructionItem(Base):
    """One recipient's part of an instruction: its status, the cadre's feedback, the issuer's answer."""

    __tablename__ = "instruction_items"
    __table_args__ = (Index("ix_instruction_items_cadre_status", "cadre_id", "status"),)
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # the cadre's region when issued
    status: Mapped[str] = mapped_column(String(16), index=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive (all below too)
    reported_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)  # the latest feedback
    photos: Mapped[str | None] = mapped_column(Text)  # JSON list of stored file names
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # feedbacks given (a return asks for one more)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class BadMove(ValueError):
    """A move the item's status does not allow (feedback on a closed item …); the message is Chinese."""


def today_beijing(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    return (now if now.tzinfo else now.replace(tzinfo=dt.UTC)).astimezone(CHINA_TZ).date()


def is_overdue(status: str, deadline: dt.date, today: dt.date) -> bool:
    """Open and past its deadline: the deadline day itself still counts as on time."""
    return status in OPEN_STATUSES and deadline < today


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _status_zh(item: InstructionItem) -> str:
    return STATUSES.get(item.status, item.status)


def confirm(item: InstructionItem, now: dt.datetime | None = None) -> bool:
    """待确认 → 已确认; True when it moved (a second tap on an already confirmed item changes nothing)."""
    if item.status == "pending":
        item.status, item.confirmed_at = "confirmed", now or _utcnow()
        return True
    if item.status == "closed":
        raise BadMove("该指令已办结, 无需再确认")
    return False


def feed_back(item: InstructionItem, note: str, photos: list[str], now: dt.datetime | None = None) -> None:
    """已确认 or 已退回 → 已反馈, with the cadre's note and photos (a pending item is confirmed on the way)."""
    if item.status == "closed":
        raise BadMove("该指令已办结, 不能再反馈")
    if item.status == "reported":
        raise BadMove("已反馈, 正等待下达人审核: 如需补充, 请等下达人退回后再反馈")
    now = now or _utcnow()
    if item.status == "pending":
        item.confirmed_at = now
    item.status, item.note, item.photos, item.reported_at = "reported", note, json.dumps(photos), now
    item.rounds = (item.rounds or 0) + 1


def close(item: InstructionItem, now: dt.datetime | None = None) -> None:
    """已反馈 → 办结: only a fed-back item can be closed (the issuer has seen what was done)."""
    if item.status != "reported":
        raise BadMove(f"只有已反馈的事项才能办结, 该事项当前为「{_status_zh(item)}」")
    item.status, item.closed_at = "closed", now or _utcnow()


def send_back(item: InstructionItem, reason: str, now: dt.datetime | None = None) -> None:
    """已反馈 → 已退回 with a reason: the cadre feeds back again."""
    if item.status != "reported":
        raise BadMove(f"只有已反馈的事项才能退回, 该事项当前为「{_status_zh(item)}」")
    item.status, item.return_reason, item.returned_at = "returned", reason, now or _utcnow()


@dataclass(frozen=True)
class OpenItem:
    id: int
    region_code: str
    title: str
    created_at: dt.datetime
    deadline: dt.date


def open_items_under(session: Session, prefix: str) -> Iterable[OpenItem]:
    """Every open recipient item whose cadre's region lies under `prefix`."""
    q = (select(InstructionItem.id, InstructionItem.region_code, Instruction.title, Instruction.created_at,
                Instruction.deadline)
         .join(Instruction, Instruction.id == InstructionItem.instruction_id)
         .where(InstructionItem.status.in_(OPEN_STATUSES), InstructionItem.region_code.like(prefix + "%")))
    for row in session.execute(q):
        yield OpenItem(*row)


def duty_items(session: Session, prefix: str, today: dt.date):
    """The 督办 source "instruction": one item per open recipient item (see sandbox.store.command.duty)."""
    from sandbox.store.command.duty import DutyItem  # duty imports the sources: import it late

    for it in open_items_under(session, prefix):
        yield DutyItem("instruction", it.id, it.region_code, it.title, it.created_at, it.deadline, True,
                       it.deadline < today)


def cadre_names(session: Session, ids: Iterable[int]) -> dict[int, Cadre]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Cadre).where(Cadre.id.in_(ids)))}
