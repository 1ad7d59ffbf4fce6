"""ORM tables of the back office: staff accounts, the console's signing key, the access log, import jobs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models import Base

__all__ = ["StaffAccount", "ConsoleKey", "AccessLogEntry", "ConsoleImport", "ConsoleDraft"]

_ID = BigInteger().with_variant(Integer(), "sqlite")


class StaffAccount(Base):
    """A named person who signs in to the console: role, region scope, an argon2 password hash."""

    __tablename__ = "staff_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # admin, leader or display (sandbox.domain.enums.Role)
    region_code: Mapped[str | None] = mapped_column(String(12))  # None: the whole county
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32; None: no second factor
    # Bumped by every password change or reset: sessions signed with an older epoch stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ConsoleKey(Base):
    """Secrets the console signs with (its session cookies), made on first use and kept in the database
    so every API worker and every restart agrees."""

    __tablename__ = "console_keys"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AccessLogEntry(Base):
    """One read of person-level data or one change: who, when, what, from where. Append-only (the
    migration adds triggers that refuse UPDATE and DELETE)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    actor: Mapped[str] = mapped_column(String(96))  # "账号 alice (张三)" or "令牌 #12 (标签)"
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(8))  # read | change
    what: Mapped[str] = mapped_column(String(32))  # household, household_list, account, token, import …
    subject: Mapped[str | None] = mapped_column(String(128))
    region_code: Mapped[str | None] = mapped_column(String(12))
    address: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # api, console, field, cli
    detail: Mapped[str | None] = mapped_column(String(500))


class ConsoleImport(Base):
    """A file uploaded in the console: its check (dry run), the confirmation and the import."""

    __tablename__ = "console_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # households, villages, boundaries
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(1024))
    size_bytes: Mapped[int] = mapped_column(_ID)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16))  # checking, checked, failed, importing, done, cancelled
    phase: Mapped[str | None] = mapped_column(String(64))  # what it is doing now, for the progress line
    check_summary: Mapped[str | None] = mapped_column(Text)  # JSON
    replaces: Mapped[str | None] = mapped_column(Text)  # what confirming would replace, in Chinese
    report_path: Mapped[str | None] = mapped_column(String(1024))
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    result_summary: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)


class ConsoleDraft(Base):
    """A form's typed values kept through a sign-in (a session expired mid-form): the page after the sign-in is
    addressed by this row's random id, so a long notice does not have to fit in a URL (a server refuses a
    request line past ~16 KB: about 12,000 Chinese characters, sealed). Kept 24 hours."""

    __tablename__ = "console_drafts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # unguessable: whoever holds it may read it
    path: Mapped[str] = mapped_column(String(255))
    fields: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive
