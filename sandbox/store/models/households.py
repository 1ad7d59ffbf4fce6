"""The register (建档立卡): households, their state at the end of each year, their members."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["Household", "HouseholdYear", "Member"]


class Household(Base):
    __tablename__ = "households"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    household_number: Mapped[str] = mapped_column(String(32), unique=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    head_name: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    bank_account: Mapped[str | None] = mapped_column(String(32))
    attribute: Mapped[str] = mapped_column(String(16))
    identified_year: Mapped[int] = mapped_column(Integer)
    main_cause: Mapped[str] = mapped_column(String(2))
    exit_batch: Mapped[str | None] = mapped_column(String(24))  # None: the register has no 脱贫路径
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class HouseholdYear(Base):
    """A household's state at the end of a year: status, members, income, 两不愁三保障 checks."""

    __tablename__ = "household_years"
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    exited_this_year: Mapped[bool] = mapped_column(Boolean, default=False)
    members: Mapped[int] = mapped_column(Integer)
    income_wage: Mapped[float] = mapped_column(Float, default=0)
    income_business: Mapped[float] = mapped_column(Float, default=0)
    income_transfer: Mapped[float] = mapped_column(Float, default=0)
    income_property: Mapped[float] = mapped_column(Float, default=0)
    production_cost: Mapped[float] = mapped_column(Float, default=0)
    net_income: Mapped[float] = mapped_column(Float, default=0)
    per_capita_net_income: Mapped[float] = mapped_column(Float, default=0)
    food_clothing_ok: Mapped[bool | None] = mapped_column(Boolean, default=True)  # None: not in the register
    school_age_children: Mapped[bool | None] = mapped_column(Boolean, default=False)
    dropout: Mapped[bool] = mapped_column(Boolean, default=False)
    all_insured: Mapped[bool] = mapped_column(Boolean, default=True)
    housing_grade: Mapped[str] = mapped_column(String(1))
    relocated: Mapped[bool | None] = mapped_column(Boolean, default=False)
    water_safe: Mapped[bool] = mapped_column(Boolean, default=True)
    survey_satisfied: Mapped[bool | None] = mapped_column(Boolean)  # None: not surveyed

    __table_args__ = (Index("ix_household_years_year_status", "year", "status"),)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(18))
    relation: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(2))
    ethnicity: Mapped[str] = mapped_column(String(16))
    education: Mapped[str] = mapped_column(String(16))
    health: Mapped[str] = mapped_column(String(16))
    labour_capacity: Mapped[str] = mapped_column(String(16))
    migrant_work: Mapped[bool] = mapped_column(Boolean, default=False)
