"""Cadres, their 结对 with households, and their check-ins (工作签到)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["Cadre", "Assignment", "Checkin"]


class Cadre(Base):
    __tablename__ = "cadres"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(24))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)  # first year no longer active
    id_number: Mapped[str | None] = mapped_column(String(18), nullable=True)  # for the funds rules (issue 17)


class Assignment(Base):
    """结对: one cadre helps a household from start_year until (not including) end_year."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)


class Checkin(Base):
    """工作签到: stored in WGS-84 whatever the phone sent; `effective` when near the household."""

    __tablename__ = "checkins"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    source_crs: Mapped[str] = mapped_column(String(16))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    effective: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[str | None] = mapped_column(Text)  # JSON list of stored photo names
    # the phone's own id for the check-in (UUID): a retried upload finds the stored one (issue 15)
    client_id: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    # read at ingest for the risk rules (issue 17): the photos' perceptual hashes (JSON list of hex) and the
    # first photo's EXIF time (Beijing, naive) before the EXIF is stripped; never the EXIF GPS
    photo_hashes: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # the photos' full decode runs after the answer (load test, issue 18): "pending" until it ran, then "ok" or
    # "bad" with the problem in Chinese; NULL for a check-in without photos or checked before it was answered.
    # `photo_check_at` (naive UTC): when the check was queued or last claimed, so a check lost with its worker
    # is claimed again by another
    photo_check: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    photo_problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
