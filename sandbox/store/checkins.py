"""Storing a cadre's check-in (工作签到) and keeping the visit rate (月走访率) in step with it.

Who is the cadre behind a token: a token created with role ``cadre`` carries the cadre's id in
its label, ``cadre:<id>`` (optionally followed by a space and a note, e.g. ``cadre:123 王明``).
`sandbox token create --role cadre --label cadre:123` makes one; `create_cadre_token` does the
same from code and checks that the cadre exists. No schema change is needed for it.

Times are stored as naive China Standard Time (UTC+8, no daylight saving), like the demo's
check-ins; `to_storage_time` converts any aware datetime.

Which check-ins move the rolled-up facts: visit facts exist per data year (one row per village
and year of household records, 2014-2020 in the demo). A check-in dated in one of those years is
stored and its village's facts and the totals are refreshed in the same transaction, so
`visit_rate` follows at once. A check-in dated outside them (a live check-in "now", after the
dataset's last year) has no fact row to land in: it is stored, shown as a map point and an
event, and the data years' indicators stay as they are; the refresh would be a no-op, so it is
skipped (it costs ~1 s per village on SQLite).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox.store.models import Assignment, Cadre, Checkin, Household, HouseholdYear, PovertyLine, Region
from sandbox.store.photo_checks import utc_now
from sandbox.store.queries import within
from sandbox.store.rollup import refresh_facts, refresh_totals
from sandbox.store.tokens import create_token

__all__ = [
    "CHINA_TZ", "CADRE_LABEL", "cadre_id_from_label", "create_cadre_token", "to_storage_time", "from_storage_time",
    "has_active_assignment", "visit_facts", "data_years", "county_boundary_geojson", "NewCheckin", "store_checkin",
    "active_pairs", "month_visits", "DuplicateCheckin", "checkin_by_client_id",
]

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")
CADRE_LABEL = "cadre:{id}"
_LABEL = re.compile(r"^\s*cadre:(\d{1,12})(?:\s|$)")

# refresh_totals rewrites every totals row: two writers at once would collide (duplicate keys on
# PostgreSQL, "database is locked" waits on SQLite), so facts refreshes run one at a time.
_refresh_lock = threading.Lock()
_PG_LOCK_KEY = 5227260004  # pg_advisory_xact_lock key: serialises refreshes across processes too


def cadre_id_from_label(label: str | None) -> int | None:
    if not label:
        return None
    m = _LABEL.match(label)
    return int(m.group(1)) if m else None


def create_cadre_token(session: Session, cadre_id: int, region: str | None = None, note: str | None = None) -> str:
    """A bearer token with role `cadre` for this cadre (the plain token is returned once)."""
    if session.get(Cadre, cadre_id) is None:
        raise ValueError(f"帮扶干部 {cadre_id} 不存在")
    label = CADRE_LABEL.format(id=cadre_id) + (f" {note}" if note else "")
    return create_token(session, "cadre", region, label)


def to_storage_time(at: dt.datetime) -> dt.datetime:
    """An aware datetime → naive China Standard Time (how check-in times are stored)."""
    if at.tzinfo is None:
        raise ValueError("time must carry a timezone")
    return at.astimezone(CHINA_TZ).replace(tzinfo=None)


def from_storage_time(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=CHINA_TZ) if at.tzinfo is None else at


def has_active_assignment(session: Session, cadre_id: int, household_id: int, year: int) -> bool:
    """结对 in force in `year`: started in or before it and not ended by it."""
    return session.scalar(
        select(func.count()).select_from(Assignment).where(
            Assignment.cadre_id == cadre_id, Assignment.household_id == household_id,
            Assignment.start_year <= year, or_(Assignment.end_year.is_(None), Assignment.end_year > year),
        )
    ) > 0


def visit_facts(session: Session, cadre_id: int, household_id: int, year: int) -> tuple[bool, Household | None, bool]:
    """(the cadre exists, the household or None, a 结对 between them in force in `year`): one query when the
    household exists (a check-in's every read is a round trip that waits for a core on a busy machine)."""
    cadre = select(Cadre.id).where(Cadre.id == cadre_id).exists()
    pair = select(Assignment.id).where(
        Assignment.cadre_id == cadre_id, Assignment.household_id == household_id,
        Assignment.start_year <= year, or_(Assignment.end_year.is_(None), Assignment.end_year > year)).exists()
    row = session.execute(select(Household, cadre, pair).where(Household.id == household_id)).first()
    if row is None:
        return bool(session.scalar(select(cadre))), None, False
    return bool(row[1]), row[0], bool(row[2])


def data_years(session: Session) -> list[int]:
    return list(session.scalars(select(PovertyLine.year).order_by(PovertyLine.year)))


def county_boundary_geojson(session: Session, county: str | None = None) -> tuple[str, str] | None:
    """(code, GeoJSON text) of a county's outline (`county`: its 6 digits; a province's database holds
    many), else of the dataset's first county, WGS-84; None if there is none."""
    row = None
    if county:
        row = session.execute(select(Region.code, Region.boundary)
                              .where(Region.code == county[:6] + "000000", Region.level == "county")).first()
    row = row or session.execute(select(Region.code, Region.boundary).where(Region.level == "county")
                                 .order_by(Region.code).limit(1)).first()
    if row is None or not row.boundary:
        return None
    return row.code, row.boundary


@dataclass
class NewCheckin:
    cadre_id: int
    household_id: int
    village_code: str
    at: dt.datetime  # aware
    lon: float  # WGS-84
    lat: float
    source_crs: str
    accuracy_m: float | None
    distance_m: float
    effective: bool
    note: str | None
    photos: list[str] = field(default_factory=list)
    client_id: str | None = None  # the phone's UUID for it: stored once per client_id
    photo_hashes: list[str] = field(default_factory=list)  # the photos' perceptual hashes (risk rules)
    photo_taken_at: dt.datetime | None = None  # the first photo's EXIF time, Beijing, naive
    photo_check: str | None = None  # "pending" when the photos' full decode runs after the answer


class DuplicateCheckin(Exception):
    """A check-in with this client_id is already stored (a retried upload); `.row` is the stored one."""

    def __init__(self, row: Checkin) -> None:
        super().__init__(row.client_id)
        self.row = row


def checkin_by_client_id(session: Session, client_id: str) -> Checkin | None:
    return session.scalar(select(Checkin).where(Checkin.client_id == client_id))


def store_checkin(session: Session, new: NewCheckin, years: list[int] | None = None) -> tuple[Checkin, int | None]:
    """Insert the check-in; when its year has facts, refresh its village and the totals in the same
    transaction. Commits. Returns (row, the data year whose facts it moved, or None). DuplicateCheckin
    when its client_id is already stored (two uploads of one check-in raced: the unique index decides).
    `years`: the data years as this transaction already read them (else read here)."""
    at = to_storage_time(new.at)
    row = Checkin(
        cadre_id=new.cadre_id, household_id=new.household_id, village_code=new.village_code, at=at,
        lon=round(new.lon, 7), lat=round(new.lat, 7), source_crs=new.source_crs, accuracy_m=new.accuracy_m,
        distance_m=round(new.distance_m, 1), effective=new.effective, note=new.note,
        photos=json.dumps(new.photos, ensure_ascii=False) if new.photos else None, client_id=new.client_id,
        photo_hashes=json.dumps(new.photo_hashes) if new.photo_hashes else None, photo_taken_at=new.photo_taken_at,
        photo_check=new.photo_check, photo_check_at=utc_now() if new.photo_check == "pending" else None,
    )
    counted = at.year if at.year in (data_years(session) if years is None else years) else None
    try:
        if counted is None:
            session.add(row)
            session.commit()
            return row, None
        with _refresh_lock:
            try:
                conn = session.connection()
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                session.add(row)
                session.flush()
                refresh_facts(conn, new.village_code)
                refresh_totals(conn)
                session.commit()
            except BaseException:
                session.rollback()
                raise
    except IntegrityError:
        session.rollback()
        stored = checkin_by_client_id(session, new.client_id) if new.client_id else None
        if stored is None:
            raise
        raise DuplicateCheckin(stored) from None
    return row, counted


def active_pairs(session: Session, limit: int = 5000) -> list[tuple[int, int, str, float, float]]:
    """A random sample of (cadre_id, household_id, village_code, lon, lat) of 结对 still in force."""
    q = (select(Assignment.cadre_id, Assignment.household_id, Household.village_code, Household.lon, Household.lat)
         .join(Household, Household.id == Assignment.household_id)
         .join(Cadre, Cadre.id == Assignment.cadre_id)
         .where(Assignment.end_year.is_(None), Cadre.end_year.is_(None))
         .order_by(func.random()).limit(limit))
    return [tuple(r) for r in session.execute(q)]


def month_visits(session: Session, prefix: str, start: dt.datetime, end: dt.datetime, year: int,
                 poor_only: bool) -> dict[str, dict[str, int]]:
    """Per village under `prefix`, for check-ins in [start, end) (naive CST): the target households
    (结对 in force in `year`; only those 未脱贫/返贫 at the end of `year` when `poor_only`), how many
    of them had an effective check-in, and the check-ins themselves (all / effective)."""
    targets = (select(Household.id.label("hid"), Household.village_code.label("vc"))
               .join(Assignment, and_(Assignment.household_id == Household.id, Assignment.start_year <= year,
                                      or_(Assignment.end_year.is_(None), Assignment.end_year > year)))
               .where(within(Household.village_code, prefix, db=session)))
    if poor_only:
        targets = targets.join(HouseholdYear, and_(HouseholdYear.household_id == Household.id,
                                                   HouseholdYear.year == year,
                                                   HouseholdYear.status.in_(("poor", "relapsed"))))
    targets = targets.distinct().subquery()
    # the month drives (its index); the region's range would read every check-in of a county
    in_month = and_(Checkin.at >= start, Checkin.at < end, within(Checkin.village_code, prefix, use_index=False))
    visited = select(Checkin.household_id.label("hid")).where(in_month, Checkin.effective).distinct().subquery()
    out: dict[str, dict[str, int]] = {}

    def row(vc: str) -> dict[str, int]:
        return out.setdefault(vc, {"targets": 0, "visited": 0, "checkins": 0, "effective_checkins": 0})

    for vc, n, v in session.execute(
            select(targets.c.vc, func.count(), func.count(visited.c.hid))
            .select_from(targets).outerjoin(visited, visited.c.hid == targets.c.hid).group_by(targets.c.vc)):
        row(vc).update(targets=int(n), visited=int(v))
    for vc, n, e in session.execute(
            select(Checkin.village_code, func.count(), func.sum(case((Checkin.effective, 1), else_=0)))
            .where(in_month).group_by(Checkin.village_code)):
        row(vc).update(checkins=int(n), effective_checkins=int(e or 0))
    return out
