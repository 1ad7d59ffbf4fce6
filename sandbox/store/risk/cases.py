"""A hit's case: assigned → 核实属实 / 排除 → closed, each move recorded with who, when and the note."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.store.risk.tables import RiskCase, RiskCaseMove, RiskHit

__all__ = ["CaseState", "CaseAction", "CaseRefused", "move_case", "ACTION_ZH", "STATE_ZH", "OUTCOME_ZH", "moves_of"]


class CaseState(StrEnum):
    assigned = "assigned"
    decided = "decided"
    closed = "closed"


class CaseAction(StrEnum):
    assign = "assign"  # open the case (or hand it to someone else while it is open)
    confirm = "confirm"  # 核实属实
    exclude = "exclude"  # 排除
    close = "close"


STATE_ZH = {"assigned": "核查中", "decided": "已核实待办结", "closed": "已办结"}
OUTCOME_ZH = {"confirmed": "核实属实", "excluded": "排除"}
ACTION_ZH = {"assign": "交办核查", "confirm": "核实属实", "exclude": "排除", "close": "办结"}


class CaseRefused(ValueError):
    """A move the case's state does not allow, or one missing what it needs; the message is Chinese."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def move_case(session: Session, hit: RiskHit, action: str, by: str, *, assignee: str | None = None,
              note: str | None = None, now: dt.datetime | None = None) -> RiskCase:
    """Applies one move to the hit's case (opening it on `assign`). Does not commit."""
    try:
        act = CaseAction(action)
    except ValueError:
        raise CaseRefused(f"未知操作 {action!r}: 可用 {'、'.join(f'{a}({z})' for a, z in ACTION_ZH.items())}") from None
    now = now or _now()
    note = (note or "").strip() or None
    case = session.scalar(select(RiskCase).where(RiskCase.hit_id == hit.id))
    if act is CaseAction.assign:
        who = (assignee or "").strip()
        if not who:
            raise CaseRefused("交办须写明核查人或核查单位")
        if case is None:
            case = RiskCase(hit_id=hit.id, rule=hit.rule, region_code=hit.region_code, state=CaseState.assigned.value,
                            assignee=who[:64], assigned_by=by, assigned_at=now)
            session.add(case)
            session.flush()
        elif case.state == CaseState.assigned.value:
            case.assignee, case.assigned_by, case.assigned_at = who[:64], by, now
        else:
            raise CaseRefused(f"该线索已{STATE_ZH[case.state]}, 不能再交办")
        note = note or f"交办: {who[:64]}"
    elif case is None:
        raise CaseRefused("该线索尚未交办核查: 请先交办")
    elif act in (CaseAction.confirm, CaseAction.exclude):
        if case.state != CaseState.assigned.value:
            raise CaseRefused(f"该线索已{STATE_ZH[case.state]}, 不能再改核查结论")
        if note is None:
            raise CaseRefused("核查结论须附说明 (核查了什么、结果如何)")
        case.state, case.outcome = CaseState.decided.value, "confirmed" if act is CaseAction.confirm else "excluded"
        case.decided_by, case.decided_at, case.note = by, now, note
    else:  # close
        if case.state != CaseState.decided.value:
            raise CaseRefused("须先作出核查结论 (核实属实或排除), 才能办结" if case.state == CaseState.assigned.value
                              else "该线索已办结")
        case.state, case.closed_by, case.closed_at = CaseState.closed.value, by, now
    session.add(RiskCaseMove(case_id=case.id, action=act.value, by=by, at=now, note=note))
    return case


def moves_of(session: Session, case_id: int) -> list[RiskCaseMove]:
    return list(session.scalars(select(RiskCaseMove).where(RiskCaseMove.case_id == case_id).order_by(RiskCaseMove.id)))
