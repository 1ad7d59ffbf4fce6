"""What the public reaches: QR page slugs and the complaints made through them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["PublicSlug", "Complaint"]


class PublicSlug(Base):
    """The unguessable part of a public QR page's address (/q/<slug>) for one project or household.

    No foreign key: a slug outlives a rebuild of the records it points at (the page then answers 404),
    and a complaint keeps the slug it came through."""

    __tablename__ = "public_slugs"
    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "project" or "household"
    subject_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_public_slugs_subject", "kind", "subject_id"),)


class Complaint(Base):
    """A complaint from the public, made through a QR page's form; triage comes later (status)."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # shown to the complainant
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)  # the form's nonce: stored once
    slug: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    subject_name: Mapped[str] = mapped_column(String(128))  # as the page showed it (masked for a household)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    text: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # for a call back; never shown publicly
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    status: Mapped[str] = mapped_column(String(16), default="new")  # sandbox.domain.complaints.ComplaintStatus
    # triage (issue 16): the town that answers, by when (working days), and what it answered
    category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    town_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    photos: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of stored file names
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the unit or person it went to
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)  # shown to the complainant
    replied_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # sent to the county by hand
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the last token that acted
