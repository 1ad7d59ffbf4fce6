"""The monthly inspection plan in the store: generated once per month (seeded), read per region, edited by rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from sandbox.domain.inspection import (
    SubGroupRef,
    VillageRef,
    assignment_problem,
    generate_plan,
    is_cross_month,
    parse_month,
)
from sandbox.store.command.inspection import (
    InspectionAssignment,
    InspectionGroup,
    InspectionPlan,
    InspectionSubgroup,
)
from sandbox.store.models import Meta, Region

__all__ = ["PlanRuleError", "PlanRow", "plan_seed", "subgroup_refs", "poor_villages", "ensure_plan", "plan_rows",
           "assign", "stored_plan", "DEFAULT_PLAN_SEED", "ensure_month_plan"]

DEFAULT_PLAN_SEED = 20171206  # the demo's seed: a deployment without one gets the same plans every time


class PlanRuleError(ValueError):
    """An edit that would break the plan's rules; the message (Chinese) says which and why."""


@dataclass(frozen=True)
class PlanRow:
    village_code: str
    village_name: str
    town_code: str
    town_name: str
    subgroup_id: int
    subgroup_name: str
    group_name: str
    edited: bool


def plan_seed(session: Session) -> int:
    text = session.scalar(select(Meta.value).where(Meta.key == "seed"))
    return int(text) if text and text.isdigit() else DEFAULT_PLAN_SEED


def subgroup_refs(session: Session) -> list[SubGroupRef]:
    return [SubGroupRef(i, t) for i, t in session.execute(
        select(InspectionSubgroup.id, InspectionSubgroup.town_code).order_by(InspectionSubgroup.id))]


def poor_villages(session: Session) -> list[VillageRef]:
    """The poor villages (贫困村, exited or not): each is inspected every month."""
    return [VillageRef(c, p) for c, p in session.execute(
        select(Region.code, Region.parent_code).where(Region.level == "village", Region.is_poor_village.is_(True))
        .order_by(Region.code))]


def stored_plan(session: Session, month: str) -> dict[str, int]:
    return dict(session.execute(select(InspectionAssignment.village_code, InspectionAssignment.subgroup_id)
                                .where(InspectionAssignment.month == month)).all())


def ensure_plan(session: Session, month: str, regenerate: bool = False, seed: int | None = None,
                now: dt.datetime | None = None) -> tuple[InspectionPlan, bool]:
    """The month's plan, generated when there is none (or `regenerate`: edits are dropped). Returns
    (plan, whether it was generated now). ValueError (Chinese) for a bad month or no sub-groups.
    Flushes; the caller commits."""
    parse_month(month)
    plan = session.get(InspectionPlan, month)
    if plan is not None and not regenerate:
        return plan, False
    seed = plan_seed(session) if seed is None else seed
    assignment = generate_plan(month, subgroup_refs(session), poor_villages(session), seed)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if plan is None:
        plan = InspectionPlan(month=month, cross_inspection=is_cross_month(month), seed=seed, generated_at=now)
        session.add(plan)
        session.flush()
    else:
        session.execute(delete(InspectionAssignment).where(InspectionAssignment.month == month))
        plan.seed, plan.generated_at, plan.edited_at = seed, now, None
    session.add_all(InspectionAssignment(month=month, village_code=v, subgroup_id=s, edited=False)
                    for v, s in sorted(assignment.items()))
    session.flush()
    return plan, True


def ensure_month_plan(sessions, month: str) -> None:
    """The month's plan stored, in a transaction of its own (`sessions` makes sessions): two requests
    generating the same month at once store it once, the second finds it (the plan is deterministic,
    so either one's is the plan)."""
    from sqlalchemy.exc import IntegrityError

    with sessions() as session:
        if session.get(InspectionPlan, month) is not None:
            return
        try:
            ensure_plan(session, month)
            session.commit()
        except IntegrityError:
            session.rollback()


def plan_rows(session: Session, month: str, prefix: str = "") -> list[PlanRow]:
    village, town = aliased(Region), aliased(Region)
    q = (select(InspectionAssignment.village_code, village.name, village.parent_code, town.name,
                InspectionSubgroup.id, InspectionSubgroup.name, InspectionGroup.name, InspectionAssignment.edited)
         .join(village, village.code == InspectionAssignment.village_code)
         .outerjoin(town, town.code == village.parent_code)
         .join(InspectionSubgroup, InspectionSubgroup.id == InspectionAssignment.subgroup_id)
         .join(InspectionGroup, InspectionGroup.id == InspectionSubgroup.group_id)
         .where(InspectionAssignment.month == month, InspectionAssignment.village_code.startswith(prefix))
         .order_by(InspectionAssignment.village_code))
    return [PlanRow(v, vn, t or "", tn or "", s, sn, gn, bool(e)) for v, vn, t, tn, s, sn, gn, e in session.execute(q)]


def assign(session: Session, month: str, village_code: str, subgroup_id: int,
           now: dt.datetime | None = None) -> InspectionAssignment:
    """Send another sub-group to a village this month. LookupError (Chinese) when the plan, village or
    sub-group is unknown; PlanRuleError when the change would break the cross-inspection rule.
    Flushes; the caller commits."""
    parse_month(month)
    plan = session.get(InspectionPlan, month)
    if plan is None:
        raise LookupError(f"{month} 的督查计划尚未生成: 请先生成 (sandbox inspect plan --month {month})")
    row = session.scalar(select(InspectionAssignment).where(InspectionAssignment.month == month,
                                                            InspectionAssignment.village_code == village_code))
    if row is None:
        raise LookupError(f"村 {village_code} 不在 {month} 的督查计划中 (只安排贫困村)")
    sub = session.get(InspectionSubgroup, subgroup_id)
    if sub is None:
        raise LookupError(f"督查小组 {subgroup_id} 不存在")
    village = session.get(Region, village_code)
    town_name = session.scalar(select(Region.name).where(Region.code == sub.town_code)) if sub.town_code else ""
    why = assignment_problem(month, SubGroupRef(sub.id, sub.town_code), VillageRef(village_code, village.parent_code),
                             f"{town_name}" if town_name else "")
    if why:
        raise PlanRuleError(why)
    row.subgroup_id, row.edited = sub.id, True
    plan.edited_at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.flush()
    return row
