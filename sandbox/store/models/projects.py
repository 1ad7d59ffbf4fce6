"""Projects, their progress reports, the households that share in them, and the site cameras."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["Project", "ProjectProgress", "ProjectBeneficiary", "Camera"]


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    industry: Mapped[str] = mapped_column(String(24))
    batch: Mapped[str] = mapped_column(String(24))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    budget: Mapped[float] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    planned_year: Mapped[int] = mapped_column(Integer)
    started_year: Mapped[int | None] = mapped_column(Integer)  # entered 实施中; None if not yet
    description: Mapped[str | None] = mapped_column(Text)


class ProjectProgress(Base):
    __tablename__ = "project_progress"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)


class ProjectBeneficiary(Base):
    """利益联结: households that share in a project's benefits."""

    __tablename__ = "project_beneficiaries"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    # what the household gets from the project (the 明白卡's line): sandbox.domain.public.LinkMode, yuan a
    # year; None where the register does not say
    link_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    yearly_income: Mapped[float | None] = mapped_column(Float, nullable=True)


class Camera(Base):
    __tablename__ = "cameras"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(128))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    stream_url: Mapped[str] = mapped_column(String(512))  # relative URLs resolve against the API
    # the platform's sub-stream (NVRs give each camera a main and a low-resolution sub-stream): wall
    # tiles play it, full screen plays `stream_url`; none: tiles play the main stream too
    sub_stream_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="online")
