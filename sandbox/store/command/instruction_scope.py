"""Who may instruct whom (the region tree), who an instruction reaches, and issuing it in one transaction.

County leaders instruct anyone in the county; town leaders their town's cadres; a village's 第一书记 that
village's cadres; the centre (admin) anyone. A recipient or a scope beyond the issuer is refused with a
message naming who may instruct there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sandbox.domain.enums import CadreRole
from sandbox.domain.regions import InvalidRegionCode, RegionCode, RegionLevel
from sandbox.store.command.instructions import (
    MAX_DEADLINE_DAYS,
    PRIORITIES,
    SCOPE_KINDS,
    Instruction,
    InstructionItem,
)
from sandbox.store.models import Assignment, Cadre, Household, Project, Region

__all__ = ["Issuer", "OutOfScope", "BadInstruction", "NewInstruction", "issue", "may_manage", "who_may",
           "issuer_prefix", "MAX_RECIPIENTS"]

MAX_RECIPIENTS = 10_000  # a county's every cadre (the demo's has 6,791); more is a mistake in the scope


@dataclass(frozen=True)
class Issuer:
    role: str  # admin, leader, cadre
    region: str | None  # 12-digit code of the token's region (None: unlimited)
    cadre_id: int | None = None


class OutOfScope(PermissionError):
    """The issuer may not instruct there (403); the message names who may."""


class BadInstruction(ValueError):
    """An instruction that cannot be issued as given (422); the message is Chinese."""


@dataclass(frozen=True)
class NewInstruction:
    scope_kind: str
    scope_ref: str | None
    cadre_ids: tuple[int, ...]
    title: str
    text: str
    priority: str
    deadline: dt.date
    issuer_name: str | None = None


def _active(year: int):
    return or_(Cadre.end_year.is_(None), Cadre.end_year > year)


def issuer_prefix(session: Session, issuer: Issuer) -> str:
    """The code prefix the issuer may instruct under ("" = everywhere). OutOfScope for a cadre who is
    not a 第一书记, or a leader token limited to a village (a village's instructions are its 第一书记's)."""
    if issuer.role == "admin":
        return RegionCode(issuer.region).prefix if issuer.region else ""
    if issuer.role == "leader":
        return RegionCode(issuer.region).prefix if issuer.region else ""
    if issuer.role == "cadre" and issuer.cadre_id is not None:
        me = session.get(Cadre, issuer.cadre_id)
        if me is not None and me.role == CadreRole.first_secretary.value:
            return me.region_code
        raise OutOfScope("只有县、乡镇领导和村第一书记可以下达指令; 帮扶干部请在「待办」中确认和反馈")
    raise OutOfScope("只有县、乡镇领导和村第一书记可以下达指令")


def who_may(session: Session, code: str) -> str:
    """Who may instruct the cadres of region `code`: the county's leaders, its town's, its 第一书记."""
    rc = RegionCode(code)
    chain: list[str] = []
    names = {r.code: r.name for r in session.scalars(select(Region).where(Region.code.in_(
        [c.value for c in _ancestors(rc)])))}
    for c in _ancestors(rc):
        name = names.get(c.value, c.value)
        if c.level is RegionLevel.county:
            chain.append(f"{name}县级领导")
        elif c.level is RegionLevel.town:
            chain.append(f"{name}领导")
        elif c.level is RegionLevel.village:
            fs = session.scalar(select(Cadre.name).where(Cadre.region_code == c.value,
                                                         Cadre.role == CadreRole.first_secretary.value).limit(1))
            chain.append(f"{name}第一书记" + (f" ({fs})" if fs else ""))
    return "、".join(chain) if chain else "县指挥部"


def _ancestors(rc: RegionCode) -> list[RegionCode]:
    out, c = [], rc
    while c is not None and c.level in (RegionLevel.county, RegionLevel.town, RegionLevel.village):
        out.append(c)
        c = c.parent
    return list(reversed(out))


def _region_name(session: Session, code: str) -> str:
    return session.scalar(select(Region.name).where(Region.code == code)) or code


def _refuse(session: Session, what: str, code: str, prefix: str) -> OutOfScope:
    mine = _region_name(session, prefix.ljust(12, "0")) if prefix else "全县"
    return OutOfScope(f"{what}不在您的辖区 ({mine}) 内: 可以向其下达指令的是 {who_may(session, code)}")


def _recipients(session: Session, data: NewInstruction, year: int) -> tuple[str, list[Cadre]]:
    """(the region the instruction is about, its recipients) for the scope as given."""
    kind = data.scope_kind
    if kind == "region":
        try:
            rc = RegionCode.parse(data.scope_ref or "")
        except InvalidRegionCode as exc:
            raise BadInstruction(f"范围 scope_ref: {exc}") from None
        if session.get(Region, rc.value) is None:
            raise BadInstruction(f"未找到区划代码为 {rc.value} 的地区")
        q = select(Cadre).where(Cadre.region_code.like(rc.prefix + "%"), _active(year))
        return rc.value, list(session.scalars(q.order_by(Cadre.id)))
    if kind == "household":
        hid = _int_ref(data.scope_ref, "贫困户编号")
        hh = session.get(Household, hid)
        if hh is None:
            raise BadInstruction(f"贫困户 {hid} 不存在")
        q = (select(Cadre).join(Assignment, Assignment.cadre_id == Cadre.id)
             .where(Assignment.household_id == hid, or_(Assignment.end_year.is_(None), Assignment.end_year > year),
                    _active(year)).distinct())
        return hh.village_code, list(session.scalars(q.order_by(Cadre.id)))
    if kind == "project":
        pid = _int_ref(data.scope_ref, "项目编号", 2**31)  # projects.id is a 32-bit integer
        project = session.get(Project, pid)
        if project is None:
            raise BadInstruction(f"项目 {pid} 不存在")
        code = RegionCode(project.region_code)
        q = select(Cadre).where(Cadre.region_code.like(code.prefix + "%"), _active(year))
        return project.region_code, list(session.scalars(q.order_by(Cadre.id)))
    if kind == "cadres":
        if not data.cadre_ids:
            raise BadInstruction("指定干部时须给出至少一名干部 cadre_ids")
        if not all(0 < i < 2**31 for i in data.cadre_ids):  # cadres.id is a 32-bit integer
            raise BadInstruction("干部编号 cadre_ids 应为正整数")
        found = {c.id: c for c in session.scalars(select(Cadre).where(Cadre.id.in_(set(data.cadre_ids))))}
        missing = [i for i in data.cadre_ids if i not in found]
        if missing:
            raise BadInstruction(f"干部 {', '.join(map(str, missing[:5]))} 不存在")
        cadres = [found[i] for i in dict.fromkeys(data.cadre_ids)]
        gone = [c for c in cadres if c.end_year is not None and c.end_year <= year]
        if gone:
            raise BadInstruction(f"干部 {gone[0].name} 已不在岗, 不能接收指令")
        return _common_region(cadres), cadres
    raise BadInstruction(f"范围类型 scope_kind 应为 {' / '.join(SCOPE_KINDS)} 之一")


def _int_ref(ref: str | None, what: str, below: int = 2**62) -> int:
    """A record id given as text; `below` keeps it inside the column's integer type (else the driver fails)."""
    if ref is None or not ref.isascii() or not ref.isdigit() or len(ref) > 18 or not 0 < int(ref) < below:
        raise BadInstruction(f"{what} scope_ref 应为正整数")
    return int(ref)


def _common_region(cadres: list[Cadre]) -> str:
    """The smallest region holding every recipient: its village, town or county code."""
    codes = [c.region_code for c in cadres]
    for keep in (12, 9, 6):
        if len({c[:keep] for c in codes}) == 1:
            return codes[0][:keep].ljust(12, "0")
    return codes[0][:6].ljust(12, "0")


def issue(session: Session, issuer: Issuer, data: NewInstruction, today: dt.date,
          now: dt.datetime | None = None, photos: list[str] | None = None) -> Instruction:
    """Check and store an instruction with one item per recipient (flushes; the caller commits).
    OutOfScope (403) beyond the issuer, BadInstruction (422) for anything else wrong; nothing is added then."""
    prefix = issuer_prefix(session, issuer)
    if data.priority not in PRIORITIES:
        raise BadInstruction(f"紧急程度 priority 应为 {' / '.join(PRIORITIES)} 之一")
    if data.deadline < today:
        raise BadInstruction(f"办理期限 {data.deadline.isoformat()} 已经过去 (今天是 {today.isoformat()})")
    if data.deadline > today + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise BadInstruction(f"办理期限 {data.deadline.isoformat()} 太远: 最长 {MAX_DEADLINE_DAYS} 天")
    if not data.text.strip():
        raise BadInstruction("指令内容 text 不能为空")
    if data.scope_kind == "region" and data.scope_ref:
        try:
            asked = RegionCode.parse(data.scope_ref)
        except InvalidRegionCode as exc:
            raise BadInstruction(f"范围 scope_ref: {exc}") from None
        if not asked.value.startswith(prefix):  # before the roster: a town beyond mine names who may
            raise _refuse(session, f"地区 {_region_name(session, asked.value)} ", asked.value, prefix)
    region_code, cadres = _recipients(session, data, today.year)
    for c in cadres:
        if not c.region_code.startswith(prefix):
            raise _refuse(session, f"干部 {c.name} ({_region_name(session, c.region_code)}) ", c.region_code, prefix)
    if issuer.cadre_id is not None:
        cadres = [c for c in cadres if c.id != issuer.cadre_id]  # a 第一书记 does not instruct themself
    if not cadres:
        raise BadInstruction("该范围内没有在岗干部, 指令无人接收")
    if len(cadres) > MAX_RECIPIENTS:
        raise BadInstruction(f"接收干部 {len(cadres)} 人, 超过上限 {MAX_RECIPIENTS}: 请缩小范围")
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    text = data.text.strip()
    title = (data.title or "").strip() or text.splitlines()[0][:30]
    row = Instruction(issuer_role=issuer.role, issuer_region=None if prefix == "" else prefix.ljust(12, "0"),
                      issuer_cadre_id=issuer.cadre_id, issuer_name=_issuer_name(session, issuer, data, prefix),
                      scope_kind=data.scope_kind, scope_ref=data.scope_ref, region_code=region_code,
                      title=title[:64], text=text, priority=data.priority, deadline=data.deadline,
                      photos=json.dumps(photos or []), created_at=now)
    session.add(row)
    session.flush()
    session.add_all(InstructionItem(instruction_id=row.id, cadre_id=c.id, region_code=c.region_code,
                                    status="pending", rounds=0) for c in cadres)
    session.flush()
    return row


def _issuer_name(session: Session, issuer: Issuer, data: NewInstruction, prefix: str) -> str:
    given = (data.issuer_name or "").strip()
    if issuer.role == "cadre":
        me = session.get(Cadre, issuer.cadre_id)
        return f"{_region_name(session, me.region_code)}第一书记 {me.name}"[:64]
    if given:
        return given[:64]
    if issuer.role == "admin" and not prefix:
        return "县脱贫攻坚指挥部"
    return f"{_region_name(session, prefix.ljust(12, '0'))}领导"[:64]


def may_manage(issuer: Issuer, row: Instruction) -> bool:
    """Whether this caller may close or return the instruction's items: the issuer's office or above."""
    if issuer.role == "admin" and issuer.region is None:
        return True
    if row.issuer_role == "cadre":
        return issuer.role == "cadre" and issuer.cadre_id == row.issuer_cadre_id or (
            issuer.role in ("leader", "admin") and (issuer.region is None or (row.issuer_region or "").startswith(
                RegionCode(issuer.region).prefix)))
    if issuer.role not in ("leader", "admin"):
        return False
    if issuer.region is None:
        return True
    return row.issuer_region is not None and row.issuer_region.startswith(RegionCode(issuer.region).prefix)
