"""Bearer tokens: created with a role (and optional region, expiry), stored only as SHA-256 hashes;
listed and revoked by id or label.

A revocation takes effect at once in a running API: the API caches who a token is, keyed by the
tokens table's *fingerprint* (`tokens_fingerprint`: rows, revoked rows, highest id), which it reads
per request with one small query; creating, revoking or deleting a token changes it, so every cached
entry is stale from then on. An edit in place (a role, region or expiry changed by hand in the
database) does not change it: the API's cache entries also expire after a short time for that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.store.models import ApiToken, Cadre, Region

__all__ = [
    "create_token", "find_token", "hash_token", "list_tokens", "revoke_tokens", "tokens_fingerprint",
    "touch_token", "parse_expiry", "TokenInfo", "utcnow",
]

_CADRE_LABEL = re.compile(r"^\s*cadre:(\d{1,12})(?:\s|$)")  # the form of sandbox.store.checkins.CADRE_LABEL


def utcnow() -> dt.datetime:
    """Now in UTC, naive: how the tokens table stores its times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def hash_token(plain: str) -> str:
    # Tokens are 256-bit random strings, so a fast unsalted hash is enough (no dictionary to attack).
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def parse_expiry(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """`30d`, `12h`, `90m`, `2w` from now, or an ISO date / date-time (a date: the end of that day,
    Beijing time; a time without offset: Beijing time) → naive UTC. ValueError (Chinese) otherwise."""
    now = now or utcnow()
    text = (text or "").strip()
    m = re.fullmatch(r"(\d{1,5})\s*([mhdw])", text, re.IGNORECASE)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        delta = {"m": dt.timedelta(minutes=n), "h": dt.timedelta(hours=n), "d": dt.timedelta(days=n),
                 "w": dt.timedelta(weeks=n)}[unit]
        if n == 0:
            raise ValueError(f"有效期 {text} 无效: 须大于 0")
        return now + delta
    beijing = dt.timezone(dt.timedelta(hours=8))
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), beijing)
        else:
            at = dt.datetime.fromisoformat(text)
            at = at if at.tzinfo else at.replace(tzinfo=beijing)
    except ValueError:
        raise ValueError(f"有效期 {text!r} 无效: 应为 30d、12h、2w 之类的时长, 或 ISO 日期 (如 2027-06-30)") from None
    at = at.astimezone(dt.UTC).replace(tzinfo=None)
    if at <= now:
        raise ValueError(f"有效期 {text} 已经过去")
    return at


def create_token(session: Session, role: str, region: str | None = None, label: str | None = None,
                 expires_at: dt.datetime | None = None) -> str:
    """A new token (the plain text, shown once). ValueError (Chinese) for a region that is not in the
    database or a `cadre` token without an existing cadre in its label (`cadre:<id>`)."""
    role = Role(role).value
    region_code = None
    if region:
        region_code = RegionCode.parse(region).value
        if session.get(Region, region_code) is None:
            raise ValueError(f"未找到区划代码为 {region_code} 的地区, 令牌未创建")
    if role == Role.cadre.value:
        m = _CADRE_LABEL.match(label or "")
        if m is None:
            raise ValueError("帮扶干部令牌须带标签 cadre:<干部编号> (如 --label cadre:123), 令牌未创建")
        if session.get(Cadre, int(m.group(1))) is None:
            raise ValueError(f"帮扶干部 {m.group(1)} 不存在, 令牌未创建")
    plain = "sbx_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_token(plain), role=role, region_code=region_code, label=label,
                         created_at=utcnow(), expires_at=expires_at))
    session.flush()
    return plain


def find_token(session: Session, plain: str) -> ApiToken | None:
    """The token's row, revoked or expired ones included (the caller tells them apart); None if unknown."""
    if not plain or len(plain) > 256:
        return None
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))


def tokens_fingerprint(session: Session) -> tuple[int, int, int]:
    """(rows, revoked rows, highest id) of the tokens table: changes with every token created, revoked,
    un-revoked or deleted (a deleted row lowers the count; one deleted and one created moves the id)."""
    row = session.execute(select(func.count(), func.count(ApiToken.revoked_at), func.max(ApiToken.id))).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def touch_token(session: Session, token_id: int, at: dt.datetime | None = None) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at or utcnow()))


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token or its hash."""

    id: int
    label: str | None
    role: str
    region_code: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


def list_tokens(session: Session) -> list[TokenInfo]:
    return [TokenInfo(t.id, t.label, t.role, t.region_code, t.created_at, t.last_used_at, t.expires_at, t.revoked_at)
            for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_tokens(session: Session, token_id: int | None = None, label: str | None = None) -> list[int]:
    """Revoke the token with this id, or every token with this label; the ids revoked now.
    LookupError (Chinese) when nothing matches; already revoked tokens are left as they are."""
    if (token_id is None) == (label is None):
        raise ValueError("请给出令牌编号或 --label 其中之一")
    q = select(ApiToken).where(ApiToken.id == token_id) if token_id is not None else \
        select(ApiToken).where(ApiToken.label == label)
    rows = list(session.scalars(q))
    if not rows:
        what = f"编号为 {token_id}" if token_id is not None else f"标签为 {label!r}"
        raise LookupError(f"没有{what}的令牌")
    now = utcnow()
    revoked = []
    for t in rows:
        if t.revoked_at is None:
            t.revoked_at = now
            revoked.append(t.id)
    session.flush()
    return revoked
