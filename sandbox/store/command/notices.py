"""通知公告 and 办事指南: posted by the centre to a scope (county, town or village), read receipts per cadre,
read rate per town (issue 16 item 4).

A notice reaches every cadre in post whose region lies in its scope; a receipt is written the first time
the cadre opens it. The read rate of a town is its receipts over its cadres the notice reaches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sandbox.domain.regions import InvalidRegionCode, RegionCode, RegionLevel
from sandbox.store.models import Base, Cadre, Region

__all__ = ["Notice", "NoticeRead", "KINDS", "BadNotice", "post_notice", "notices_for_cadre", "mark_read",
           "read_rates", "unread_cadres", "reaches"]

_ID = BigInteger().with_variant(Integer, "sqlite")
KINDS = {"notice": "通知公告", "guide": "办事指南"}
MAX_TITLE, MAX_BODY = 64, 20_000


class Notice(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # notice, guide
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # the scope: county, town or village
    title: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))  # the posting office, as the cadres see it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive


class NoticeRead(Base):
    """A read receipt: the first time a cadre opened the notice."""

    __tablename__ = "notice_reads"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), primary_key=True, index=True)
    read_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive


class BadNotice(ValueError):
    """A notice that cannot be posted as given; the message is Chinese."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def post_notice(session: Session, kind: str, region: str, title: str, content: str, author: str | None = None,
                now: dt.datetime | None = None) -> Notice:
    """Check and add a notice (flushes; the caller commits). BadNotice for anything wrong."""
    if kind not in KINDS:
        raise BadNotice(f"类型 kind 应为 {' / '.join(KINDS)} 之一 ({' / '.join(KINDS.values())})")
    try:
        rc = RegionCode.parse(region)
    except InvalidRegionCode as exc:
        raise BadNotice(f"范围 region: {exc}") from None
    if rc.level not in (RegionLevel.county, RegionLevel.town, RegionLevel.village):
        raise BadNotice("范围 region 应为县、乡镇或村的区划代码")
    if session.get(Region, rc.value) is None:
        raise BadNotice(f"未找到区划代码为 {rc.value} 的地区")
    title, content = (title or "").strip(), (content or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise BadNotice(f"标题 title 应为 1-{MAX_TITLE} 个字")
    if not content or len(content) > MAX_BODY:
        raise BadNotice(f"正文 content 应为 1-{MAX_BODY} 个字")
    row = Notice(kind=kind, region_code=rc.value, title=title, content=content,
                 author=((author or "").strip() or "县脱贫攻坚指挥部")[:64], created_at=now or _utcnow())
    session.add(row)
    session.flush()
    return row


def _scopes_of(code: str) -> list[str]:
    """The notice scopes that reach a cadre of region `code`: the village, its town, its county."""
    rc = RegionCode(code)
    out = []
    while rc is not None and rc.level in (RegionLevel.county, RegionLevel.town, RegionLevel.village):
        out.append(rc.value)
        rc = rc.parent
    return out


def reaches(notice_region: str, cadre_region: str) -> bool:
    return cadre_region.startswith(RegionCode(notice_region).prefix)


@dataclass(frozen=True)
class CadreNotice:
    notice: Notice
    read_at: dt.datetime | None


def notices_for_cadre(session: Session, cadre: Cadre, kind: str | None, limit: int, offset: int
                      ) -> tuple[int, int, list[CadreNotice]]:
    """(total, unread, a page): the notices that reach the cadre, unread first, newest first within."""
    scope = Notice.region_code.in_(_scopes_of(cadre.region_code))
    read = (select(NoticeRead.read_at).where(NoticeRead.notice_id == Notice.id, NoticeRead.cadre_id == cadre.id)
            .scalar_subquery())
    where = [scope, Notice.created_at >= _start_of(cadre)]
    if kind is not None:
        where.append(Notice.kind == kind)
    total = session.scalar(select(func.count()).select_from(Notice).where(*where)) or 0
    unread = session.scalar(select(func.count()).select_from(Notice).where(*where, read.is_(None))) or 0
    q = (select(Notice, read.label("read_at")).where(*where)
         .order_by(read.is_not(None), Notice.created_at.desc(), Notice.id.desc()).limit(limit).offset(offset))
    return total, unread, [CadreNotice(n, r) for n, r in session.execute(q)]


def _start_of(cadre: Cadre) -> dt.datetime:
    """A cadre is reached by what was posted from the year they took up the post."""
    return dt.datetime(max(cadre.start_year or 1900, 1900), 1, 1)


def mark_read(session: Session, notice: Notice, cadre: Cadre, now: dt.datetime | None = None) -> dt.datetime:
    """The cadre's receipt (written the first time; later openings keep the first time)."""
    row = session.get(NoticeRead, (notice.id, cadre.id))
    if row is None:
        row = NoticeRead(notice_id=notice.id, cadre_id=cadre.id, read_at=now or _utcnow())
        session.add(row)
        session.flush()
    return row.read_at


def _reached(notice: Notice, prefix: str):
    """The cadres a notice reaches under `prefix`: in post in its year, having taken up the post by then."""
    year = notice.created_at.year
    return (Cadre.region_code.like(prefix + "%"), or_(Cadre.end_year.is_(None), Cadre.end_year > year),
            Cadre.start_year <= year)


def _within(notice: Notice, under: str) -> str | None:
    """The narrower of the notice's scope and `under` as a code prefix; None when they do not meet."""
    prefix = RegionCode(notice.region_code).prefix
    if under.startswith(prefix):
        return under
    return prefix if prefix.startswith(under) else None


def read_rates(session: Session, notice: Notice, under: str = "", depth: int = 9) -> list[dict]:
    """Per town the notice reaches (and under the `under` prefix): cadres reached, read, the rate in %.
    `depth` 12 counts per village instead (the cadres of a town's own offices under the town's code)."""
    prefix = _within(notice, under)
    if prefix is None:
        return []
    town = func.substr(Cadre.region_code, 1, depth)
    reached = (select(town.label("town"), func.count().label("n"), func.count(NoticeRead.cadre_id).label("read"))
               .select_from(Cadre)
               .outerjoin(NoticeRead, (NoticeRead.cadre_id == Cadre.id) & (NoticeRead.notice_id == notice.id))
               .where(*_reached(notice, prefix))
               .group_by(town).order_by(town))
    rows = session.execute(reached).all()
    codes = [r.town.ljust(12, "0") for r in rows]
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return [{"code": c, "name": names.get(c), "cadres": int(r.n), "read": int(r.read),
             "read_rate": round(100.0 * r.read / r.n, 1) if r.n else None} for c, r in zip(codes, rows)]


def unread_cadres(session: Session, notice: Notice, under: str, limit: int, offset: int) -> tuple[int, list[Cadre]]:
    """(total, a page): the cadres the notice reaches under `under` who have not opened it, by region and name."""
    prefix = _within(notice, under)
    if prefix is None:
        return 0, []
    read = select(NoticeRead.cadre_id).where(NoticeRead.notice_id == notice.id)
    where = (*_reached(notice, prefix), Cadre.id.not_in(read))
    total = session.scalar(select(func.count()).select_from(Cadre).where(*where)) or 0
    rows = session.scalars(select(Cadre).where(*where).order_by(Cadre.region_code, Cadre.name, Cadre.id)
                           .limit(limit).offset(offset))
    return total, list(rows)
