"""Who may call the API: bearer tokens, phone enrolment invites, enrolled phones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base

__all__ = ["ApiToken", "FieldInvite", "FieldDevice"]


class ApiToken(Base):
    """Bearer tokens, stored as SHA-256 hashes; the plain token is shown once at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive; None: never
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive; updated at most once a minute


class FieldInvite(Base):
    """A one-time enrolment link for the phone app: a cadre's (role cadre) or a leader's (with a scope);
    only its SHA-256 hash is stored."""

    __tablename__ = "field_invites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class FieldDevice(Base):
    """A phone bound by an invite: its token is an api_tokens row (hashed, revocable, last use)."""

    __tablename__ = "field_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), unique=True)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("field_invites.id"))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    user_agent: Mapped[str | None] = mapped_column(String(256))
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
