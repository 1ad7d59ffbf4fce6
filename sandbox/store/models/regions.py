"""The region tree and the figures given per region or year: rural population, the poverty line."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["Region", "RegionPopulation", "PovertyLine"]


class Region(Base):
    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    is_poor_village: Mapped[bool] = mapped_column(Boolean, default=False)
    poor_village_exit_year: Mapped[int | None] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)  # demo partitions say so
    # GeoJSON geometry, WGS-84; deferred: most queries need only names and codes
    boundary: Mapped[str | None] = mapped_column(Text, deferred=True)
    boundary_source_crs: Mapped[str | None] = mapped_column(String(32))
    label_lon: Mapped[float | None] = mapped_column(Float)
    label_lat: Mapped[float | None] = mapped_column(Float)


class RegionPopulation(Base):
    """Rural registered population (农村户籍人口) per village and year: the incidence denominator."""

    __tablename__ = "region_populations"
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rural_population: Mapped[int] = mapped_column(Integer)


class PovertyLine(Base):
    """One row per year: the income line (yuan per person per year, current prices)."""

    __tablename__ = "poverty_lines"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_yuan: Mapped[float] = mapped_column(Float)
