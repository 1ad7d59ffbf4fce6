"""Phone enrolment: one-time invites (72 h) that bind a device to a cadre or a leader; devices listed and revoked.

A device's credential is an ordinary API token (hashed, revocable, last use recorded): revoking a
device revokes its token, and the API's token cache sees that on the next request. The invite is
spent with one conditional UPDATE, so two phones opening the same link at once bind one device.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.store.checkins import CADRE_LABEL
from sandbox.store.models import ApiToken, Cadre, FieldDevice, FieldInvite, Region
from sandbox.store.tokens import create_token, hash_token, utcnow

__all__ = ["INVITE_TTL", "BadInvite", "create_invite", "redeem_invite", "DeviceInfo", "list_devices",
           "revoke_devices"]

INVITE_TTL = dt.timedelta(hours=72)
ENROL_ROLES = (Role.cadre.value, Role.leader.value)


class BadInvite(ValueError):
    """An invite that cannot bind a device (unknown, used, expired); the message is Chinese."""


def create_invite(session: Session, role: str = "cadre", cadre_id: int | None = None, region: str | None = None,
                  label: str | None = None, now: dt.datetime | None = None) -> tuple[str, FieldInvite]:
    """A new one-time invite (the plain code is returned once). ValueError (Chinese) for an unknown
    cadre or region, or a leader invite without a scope."""
    if role not in ENROL_ROLES:
        raise ValueError(f"只能为帮扶干部 (cadre) 或领导 (leader) 生成邀请, 不是 {role!r}")
    region_code = None
    if role == Role.cadre.value:
        cadre = session.get(Cadre, cadre_id) if cadre_id is not None else None
        if cadre is None:
            raise ValueError(f"帮扶干部 {cadre_id} 不存在, 邀请未生成")
        label = label or cadre.name
    else:
        if not region:
            raise ValueError("领导的邀请须给出辖区 --region (县、乡镇或村的区划代码)")
        region_code = RegionCode.parse(region).value
        if session.get(Region, region_code) is None:
            raise ValueError(f"未找到区划代码为 {region_code} 的地区, 邀请未生成")
    now = now or utcnow()
    plain = secrets.token_urlsafe(24)
    invite = FieldInvite(token_hash=hash_token(plain), role=role, cadre_id=cadre_id if role == "cadre" else None,
                         region_code=region_code, label=(label or "")[:128] or None, created_at=now,
                         expires_at=now + INVITE_TTL)
    session.add(invite)
    session.flush()
    return plain, invite


def redeem_invite(session: Session, plain: str, user_agent: str | None = None,
                  now: dt.datetime | None = None) -> tuple[str, FieldDevice]:
    """Spend the invite: a new device and its token (plain, for the cookie). BadInvite otherwise.
    Flushes; the caller commits."""
    now = now or utcnow()
    invite = session.scalar(select(FieldInvite).where(FieldInvite.token_hash == hash_token(plain or ""))) \
        if plain and len(plain) <= 128 else None
    if invite is None:
        raise BadInvite("邀请链接无效: 请向管理员索取新的邀请链接")
    if invite.used_at is not None:
        raise BadInvite("该邀请链接已使用过 (每个链接只能绑定一部手机): 请向管理员索取新的邀请链接")
    if invite.expires_at <= now:
        raise BadInvite(f"该邀请链接已过期 (有效期 {INVITE_TTL.days * 24} 小时): 请向管理员索取新的邀请链接")
    spent = session.execute(update(FieldInvite).where(FieldInvite.id == invite.id, FieldInvite.used_at.is_(None))
                            .values(used_at=now))
    if spent.rowcount != 1:  # another phone took it between the read and the write
        raise BadInvite("该邀请链接已使用过 (每个链接只能绑定一部手机): 请向管理员索取新的邀请链接")
    if invite.role == Role.cadre.value:
        token = create_token(session, "cadre", None, f"{CADRE_LABEL.format(id=invite.cadre_id)} 手机")
    else:
        token = create_token(session, invite.role, invite.region_code, f"手机 {invite.label or ''}".strip())
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token)))
    device = FieldDevice(token_id=token_id, invite_id=invite.id, cadre_id=invite.cadre_id,
                         user_agent=(user_agent or "")[:256] or None, enrolled_at=now)
    session.add(device)
    session.flush()
    return token, device


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    cadre_id: int | None
    name: str | None  # the cadre's name, or the leader invite's label
    role: str
    region_code: str | None
    user_agent: str | None
    enrolled_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def list_devices(session: Session, cadre_id: int | None = None) -> list[DeviceInfo]:
    q = (select(FieldDevice, ApiToken, Cadre.name, FieldInvite.label)
         .join(ApiToken, ApiToken.id == FieldDevice.token_id)
         .outerjoin(Cadre, Cadre.id == FieldDevice.cadre_id)
         .outerjoin(FieldInvite, FieldInvite.id == FieldDevice.invite_id)
         .order_by(FieldDevice.id))
    if cadre_id is not None:
        q = q.where(FieldDevice.cadre_id == cadre_id)
    return [DeviceInfo(d.id, d.cadre_id, name or label, t.role, t.region_code, d.user_agent, d.enrolled_at,
                       t.last_used_at, t.revoked_at) for d, t, name, label in session.execute(q)]


def revoke_devices(session: Session, device_id: int | None = None, cadre_id: int | None = None) -> list[int]:
    """Revoke one device, or every device of a cadre; the device ids revoked now (already revoked ones
    are left). LookupError (Chinese) when nothing matches. Flushes; the caller commits."""
    if (device_id is None) == (cadre_id is None):
        raise ValueError("请给出设备编号或 --cadre 其中之一")
    q = select(FieldDevice, ApiToken).join(ApiToken, ApiToken.id == FieldDevice.token_id)
    q = q.where(FieldDevice.id == device_id) if device_id is not None else q.where(FieldDevice.cadre_id == cadre_id)
    rows = session.execute(q).all()
    if not rows:
        raise LookupError(f"没有编号为 {device_id} 的设备" if device_id is not None
                          else f"帮扶干部 {cadre_id} 没有已绑定的设备")
    now, revoked = utcnow(), []
    for device, token in rows:
        if token.revoked_at is None:
            token.revoked_at = now
            revoked.append(device.id)
    session.flush()
    return revoked
