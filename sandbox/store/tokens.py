"""Bearer tokens: created with a role (and optional region), stored only as SHA-256 hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.store.models import ApiToken

__all__ = ["create_token", "find_token", "hash_token"]


def hash_token(plain: str) -> str:
    # Tokens are 256-bit random strings, so a fast unsalted hash is enough (no dictionary to attack).
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create_token(session: Session, role: str, region: str | None = None, label: str | None = None) -> str:
    role = Role(role).value
    region_code = str(RegionCode.parse(region)) if region else None
    plain = "sbx_" + secrets.token_urlsafe(32)
    session.add(ApiToken(
        token_hash=hash_token(plain), role=role, region_code=region_code, label=label,
        created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    ))
    session.flush()
    return plain


def find_token(session: Session, plain: str) -> ApiToken | None:
    if not plain or len(plain) > 256:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if row is None or row.revoked_at is not None:
        return None
    return row
