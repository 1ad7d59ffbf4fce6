"""Inspection tables (督查): groups, sub-groups and members, the monthly plan, findings and their rectifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models import Base

__all__ = ["InspectionGroup", "InspectionSubgroup", "InspectionMember", "InspectionPlan", "InspectionAssignment",
           "Finding", "Rectification", "INSPECTION_TABLES"]

_ID = BigInteger().with_variant(Integer, "sqlite")


class InspectionGroup(Base):
    """督查组: the county has eight, one linked to each town."""

    __tablename__ = "inspection_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    town_code: Mapped[str | None] = mapped_column(String(12))  # its 联系乡镇; None: county-wide
    leader_name: Mapped[str | None] = mapped_column(String(32))  # 组长


class InspectionSubgroup(Base):
    """督查小组: the unit the monthly plan sends to a village."""

    __tablename__ = "inspection_subgroups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("inspection_groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    town_code: Mapped[str | None] = mapped_column(String(12))  # the town it belongs to (cross-inspection rule)


class InspectionMember(Base):
    """A sub-group's member: a cadre on the register, a leader's phone, or simply a named person."""

    __tablename__ = "inspection_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subgroup_id: Mapped[int] = mapped_column(ForeignKey("inspection_subgroups.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(64))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("field_devices.id"), index=True)  # a leader's phone


class InspectionPlan(Base):
    """A month's plan: generated once (seeded), then edited assignment by assignment."""

    __tablename__ = "inspection_plans"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    cross_inspection: Mapped[bool] = mapped_column(Boolean)  # 季度交叉巡查 ("cross" is reserved in PostgreSQL)
    seed: Mapped[int] = mapped_column(Integer)
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class InspectionAssignment(Base):
    __tablename__ = "inspection_assignments"
    __table_args__ = (UniqueConstraint("month", "village_code", name="uq_inspection_assignment_month_village"),)
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    month: Mapped[str] = mapped_column(ForeignKey("inspection_plans.month"), index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    subgroup_id: Mapped[int] = mapped_column(ForeignKey("inspection_subgroups.id"), index=True)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)


class Finding(Base):
    """问题: what an inspector found in a village (about a household or a project, or the village itself)."""

    __tablename__ = "inspection_findings"
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    subgroup_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_subgroups.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_members.id"))  # None: an admin entered it
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    household_id: Mapped[int | None] = mapped_column(_ID)
    project_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    photos: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of stored photo names
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive


class Rectification(Base):
    """整改: one per finding; the responsible unit submits evidence, the inspector accepts (销号) or sends it back."""

    __tablename__ = "inspection_rectifications"
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspection_findings.id"), unique=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)  # the finding's, for region filters
    responsible_unit: Mapped[str] = mapped_column(String(64))
    responsible_cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    deadline: Mapped[dt.date] = mapped_column(Date)  # Beijing date: overdue from the day after
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_photos: Mapped[str] = mapped_column(Text, default="[]")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive: the latest evidence
    review_comment: Mapped[str | None] = mapped_column(Text)  # why the last acceptance was refused
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive: accepted
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)  # the accepted evidence came by the deadline


# Children before parents (records.py clears them in this order)
INSPECTION_TABLES = (Rectification, Finding, InspectionAssignment, InspectionPlan, InspectionMember,
                     InspectionSubgroup, InspectionGroup)
