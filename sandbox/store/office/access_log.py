"""The access log (PIPL art. 51/55 style): who read which person-level record or changed what, when, from where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store.importers.report import _LONG_NUMBER
from sandbox.store.office.tables import AccessLogEntry
from sandbox.store.tokens import utcnow

__all__ = ["READ", "CHANGE", "WHAT_ZH", "append", "entries", "count_entries", "LogFilter"]

READ, CHANGE = "read", "change"
WHAT_ZH = {
    "household": "户详情", "household_list": "户列表", "my_households": "我的帮扶户", "complaint_contact": "投诉人联系方式",
    "account": "账号", "token": "访问令牌", "import": "数据导入", "access_log": "访问日志", "password": "密码",
    "totp": "动态验证码", "sign_in": "登录",
    "notice": "通知公告", "inspection_plan": "督查计划", "brief": "简报", "cadre_list": "干部名单",
    "complaint": "投诉办理", "call_list": "回访名单", "callbacks": "回访结果", "followup": "督办清单",
    "risk_hits": "风险线索列表", "risk_hit": "风险线索详情", "risk_case": "风险线索办理",
}


def _clean(text: str | None, limit: int) -> str | None:
    # Never an ID or bank account number in the log itself: it would make the log a copy of the records.
    if text is None:
        return None
    return _LONG_NUMBER.sub("[号码]", str(text))[:limit]


def append(session: Session, *, actor: str, role: str, action: str, what: str, subject: str | None = None,
           region_code: str | None = None, address: str | None = None, channel: str = "api",
           detail: str | None = None, at: dt.datetime | None = None) -> None:
    """Add one entry to the session (the caller commits, with the change it records when there is one)."""
    session.add(AccessLogEntry(at=at or utcnow(), actor=actor[:96], role=role[:16], action=action, what=what[:32],
                               subject=_clean(subject, 128), region_code=region_code, address=(address or "")[:64] or None,
                               channel=channel[:16], detail=_clean(detail, 500)))


@dataclass(frozen=True)
class LogFilter:
    actor: str | None = None
    action: str | None = None
    what: str | None = None
    since: dt.datetime | None = None  # UTC, naive
    until: dt.datetime | None = None

    def where(self) -> list:
        out = []
        if self.actor:
            out.append(AccessLogEntry.actor.contains(self.actor, autoescape=True))
        if self.action:
            out.append(AccessLogEntry.action == self.action)
        if self.what:
            out.append(AccessLogEntry.what == self.what)
        if self.since:
            out.append(AccessLogEntry.at >= self.since)
        if self.until:
            out.append(AccessLogEntry.at < self.until)
        return out


def entries(session: Session, flt: LogFilter = LogFilter(), *, limit: int | None = 200, offset: int = 0
            ) -> list[AccessLogEntry]:
    q = select(AccessLogEntry).where(*flt.where()).order_by(AccessLogEntry.id.desc()).offset(offset)
    return list(session.scalars(q.limit(limit) if limit else q))


def count_entries(session: Session, flt: LogFilter = LogFilter()) -> int:
    return int(session.scalar(select(func.count()).select_from(AccessLogEntry).where(*flt.where())) or 0)
