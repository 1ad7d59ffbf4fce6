"""ORM tables of the risk register: the rules' hits (one row per rule, subject and subject id) and their cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models import Base

__all__ = ["RiskHit", "RiskCase", "RiskCaseMove", "RISK_TABLES"]

_ID = BigInteger().with_variant(Integer(), "sqlite")


class RiskHit(Base):
    """What a rule found on one subject. Running the rules again updates the row (same key); a hit the rule
    no longer finds is marked inactive (`cleared_at`), never deleted, so its case and outcome stay."""

    __tablename__ = "risk_hits"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of {source, row, fields, person_fields}
    score: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (UniqueConstraint("rule", "subject", "subject_id", name="uq_risk_hits_key"),
                      Index("ix_risk_hits_rule_active", "rule", "active"))


class RiskCase(Base):
    """The case opened on a hit: assigned → 核实属实 (confirmed) / 排除 (excluded) → closed; the outcome is kept."""

    __tablename__ = "risk_cases"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("risk_hits.id"), unique=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)  # the hit's, for precision without a join
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    state: Mapped[str] = mapped_column(String(16))  # sandbox.store.risk.cases.CaseState
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # confirmed | excluded
    assignee: Mapped[str] = mapped_column(String(64))
    assigned_by: Mapped[str] = mapped_column(String(96))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(96), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # what the check found
    closed_by: Mapped[str | None] = mapped_column(String(96), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class RiskCaseMove(Base):
    """Every move of a case, in order: who, when, what, with what note."""

    __tablename__ = "risk_case_moves"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(96))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


# Children first: what a demo rebuild clears (the hits point at records it replaces).
RISK_TABLES = (RiskCaseMove, RiskCase, RiskHit)
