"""Facts rolled up from the records per region and year: what one request reads in one row."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.domain.indicators import FACTS
from sandbox.store.models.base import Base

__all__ = ["RegionYearFacts", "RegionYearTotals", "RegionYearBreakdown"]


def _facts_columns() -> dict:
    cols = {name: mapped_column(Float, nullable=True) for name in FACTS}
    return cols


class RegionYearFacts(Base):
    """Additive facts per region and year, rolled up in SQL from the records (sandbox.store.rollup)."""

    __tablename__ = "region_year_facts"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    locals().update(_facts_columns())

    __table_args__ = (Index("ix_region_year_facts_year_code", "year", "region_code"),)


class RegionYearTotals(Base):
    """Facts summed for every region (village, town, county) and year: one row answers a request."""

    __tablename__ = "region_year_totals"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    locals().update(_facts_columns())
    first_secretary_villages: Mapped[int] = mapped_column(Integer, default=0)
    villages: Mapped[int] = mapped_column(Integer, default=0)
    poor_villages: Mapped[int] = mapped_column(Integer, default=0)
    exited_poor_villages: Mapped[int] = mapped_column(Integer, default=0)


class RegionYearBreakdown(Base):
    """Poor households and people per category (五个一批 batch, 致贫原因, 两不愁三保障 gap), per
    village and, summed from those, per town and county."""

    __tablename__ = "region_year_breakdowns"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
