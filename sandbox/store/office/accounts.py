"""Staff accounts: argon2-hashed passwords, lockout after repeated failures, a forced first change, optional TOTP."""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.store.models import Region
from sandbox.store.office.tables import StaffAccount
from sandbox.store.tokens import utcnow

__all__ = ["MAX_FAILURES", "LOCK_MINUTES", "ACCOUNT_ROLES", "SignIn", "create_account", "find_account",
           "list_accounts", "reset_account", "sign_in", "change_password", "check_new_password", "new_totp_secret",
           "enable_totp", "disable_totp", "beijing", "AccountError"]

MAX_FAILURES = 5  # wrong passwords in a row before the account locks
LOCK_MINUTES = 15
MIN_PASSWORD = 10
# Roles a person signs in with; tokens keep the device roles (display walls, cadres' phones).
ACCOUNT_ROLES = (Role.admin, Role.leader, Role.display)
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")
_hasher = PasswordHasher()  # argon2id with the library's current defaults


@functools.cache
def _dummy() -> str:
    """A hash to verify against when the username is unknown, so both answers take as long (made on first
    use: hashing costs tens of milliseconds, not something to do at import)."""
    return _hasher.hash("no such account")


class AccountError(ValueError):
    """A refused account operation; the message is Chinese, for the person who asked."""


def beijing(at: dt.datetime | None) -> str:
    return "-" if at is None else (at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def _first_password() -> str:
    # 12 characters without look-alikes (0/O, 1/l/I): read off a screen and typed once.
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def check_new_password(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"新密码至少 {MIN_PASSWORD} 个字符")
    if password.lower() == username.lower() or username.lower() in password.lower():
        raise AccountError("新密码不能包含用户名")
    if len(set(password)) < 4:
        raise AccountError("新密码过于简单, 请混用字母、数字和符号")


def find_account(session: Session, username: str) -> StaffAccount | None:
    return session.scalar(select(StaffAccount).where(StaffAccount.username == (username or "").strip()))


def list_accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.id)))


def create_account(session: Session, username: str, *, role: str = "leader", display_name: str | None = None,
                   region: str | None = None) -> tuple[StaffAccount, str]:
    """A new account and its first password (shown once; it must be changed at the first sign-in)."""
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise AccountError("用户名应为 2-32 个字母、数字或 _ . - (如 zhangsan)")
    try:
        role = Role(role).value
    except ValueError:
        raise AccountError(f"角色应为 {'、'.join(r.value for r in ACCOUNT_ROLES)}") from None
    if Role(role) not in ACCOUNT_ROLES:
        raise AccountError(f"账号角色应为 {'、'.join(r.label_zh for r in ACCOUNT_ROLES)}")
    region_code = None
    if region:
        region_code = RegionCode.parse(region).value
        if session.get(Region, region_code) is None:
            raise AccountError(f"未找到区划代码为 {region_code} 的地区, 账号未创建")
    if find_account(session, username) is not None:
        raise AccountError(f"用户名 {username} 已存在")
    password = _first_password()
    account = StaffAccount(username=username, display_name=(display_name or username).strip()[:64], role=role,
                           region_code=region_code, password_hash=_hasher.hash(password), must_change_password=True,
                           failed_logins=0, session_epoch=0, disabled=False, created_at=utcnow())
    session.add(account)
    session.flush()
    return account, password


def reset_account(session: Session, username: str) -> str:
    """A new first password; unlocks the account and removes its second factor (a lost phone), so an
    admin on the server can always get back in."""
    account = find_account(session, username)
    if account is None:
        raise AccountError(f"没有用户名为 {username} 的账号 (见 sandbox user list)")
    password = _first_password()
    account.password_hash = _hasher.hash(password)
    account.must_change_password = True
    account.failed_logins = 0
    account.locked_until = None
    account.totp_secret = None
    account.disabled = False
    account.session_epoch += 1
    session.flush()
    return password


@dataclass(frozen=True)
class SignIn:
    account: StaffAccount | None
    error: str | None = None
    needs_code: bool = False  # password right, a TOTP code is wanted (or was wrong)


def _fail(account: StaffAccount, now: dt.datetime, what: str) -> SignIn:
    account.failed_logins += 1
    if account.failed_logins >= MAX_FAILURES:
        account.failed_logins = 0
        account.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        return SignIn(None, f"{what}已连续错误 {MAX_FAILURES} 次, 账号已锁定至 {beijing(account.locked_until)} "
                            "(北京时间); 请届时再试, 或请管理员重置")
    left = MAX_FAILURES - account.failed_logins
    return SignIn(None, f"用户名或{what}错误; 再错 {left} 次账号将锁定 {LOCK_MINUTES} 分钟")


def sign_in(session: Session, username: str, password: str, code: str | None = None,
            now: dt.datetime | None = None) -> SignIn:
    """Check a sign-in; counts failures and locks the account after MAX_FAILURES (the caller commits)."""
    now = now or utcnow()
    account = find_account(session, username)
    if account is None or account.disabled:
        try:
            _hasher.verify(_dummy(), password or "")
        except VerificationError:
            pass
        return SignIn(None, "用户名或密码错误")
    if account.locked_until is not None and account.locked_until > now:
        return SignIn(None, f"账号已锁定至 {beijing(account.locked_until)} (北京时间); 请届时再试, 或请管理员重置")
    try:
        _hasher.verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return _fail(account, now, "密码")
    if account.totp_secret:
        if not code:
            return SignIn(None, None, needs_code=True)
        if not pyotp.TOTP(account.totp_secret).verify(code.strip(), valid_window=1):
            failed = _fail(account, now, "动态验证码")
            return SignIn(None, failed.error, needs_code=account.locked_until is None or account.locked_until <= now)
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    return SignIn(account)


def change_password(session: Session, account: StaffAccount, old: str, new: str) -> None:
    try:
        _hasher.verify(account.password_hash, old or "")
    except (VerificationError, InvalidHashError):
        raise AccountError("原密码不正确") from None
    if new == old:
        raise AccountError("新密码不能与原密码相同")
    check_new_password(account.username, new or "")
    account.password_hash = _hasher.hash(new)
    account.must_change_password = False
    account.session_epoch += 1
    session.flush()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def enable_totp(account: StaffAccount, secret: str, code: str) -> None:
    """Turn the second factor on once the person shows their authenticator app reads `secret`."""
    if not pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
        raise AccountError("动态验证码不正确, 请核对手机时间后重新输入")
    account.totp_secret = secret
    account.session_epoch += 1


def disable_totp(account: StaffAccount) -> None:
    account.totp_secret = None
    account.session_epoch += 1
