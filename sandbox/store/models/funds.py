"""The fund chain: sources (下达), allocations to projects (到位 → 备案 → 报账) and payments (支付)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["FundSource", "FundAllocation", "FundPayment"]


class FundSource(Base):
    __tablename__ = "fund_sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    fund_type: Mapped[str] = mapped_column(String(64))
    document_number: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float] = mapped_column(Float)


class FundAllocation(Base):
    """下达 → 到位 → 备案 → 报账 for one project; payments (支付) hang off it."""

    __tablename__ = "fund_allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("fund_sources.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[float] = mapped_column(Float)
    allocated_date: Mapped[dt.date] = mapped_column(Date)
    arrived: Mapped[float] = mapped_column(Float, default=0)
    arrived_date: Mapped[dt.date | None] = mapped_column(Date)
    filed: Mapped[float] = mapped_column(Float, default=0)
    reimbursed: Mapped[float] = mapped_column(Float, default=0)


class FundPayment(Base):
    __tablename__ = "fund_payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("fund_allocations.id"), index=True)
    payee: Mapped[str] = mapped_column(String(64))
    amount: Mapped[float] = mapped_column(Float)
    voucher: Mapped[str] = mapped_column(String(32))
    paid_date: Mapped[dt.date] = mapped_column(Date)
    # what the funds rules need (issue 17); None for a payment to a company or one recorded before them
    payee_id_number: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)
    bank_account: Mapped[str | None] = mapped_column(String(32), nullable=True)
    invoice_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
