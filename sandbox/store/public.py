"""Public QR slugs (create on demand, resolve, revoke) and the complaints made through them, stored once."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox.domain.complaints import reply_deadline
from sandbox.domain.public import SlugKind
from sandbox.store.models import Complaint, Household, Project, ProjectBeneficiary, PublicSlug

__all__ = ["SLUG_PATTERN", "new_slug", "ensure_slugs", "ensure_all_slugs", "active_slugs", "resolve_slug",
           "revoke_slug", "slug_info", "subject_exists", "store_complaint", "town_of", "utcnow"]

# 12 random bytes: 96 bits, 16 URL-safe characters (a short QR code that nobody can guess or walk)
SLUG_BYTES = 12
SLUG_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
_BEIJING = dt.timezone(dt.timedelta(hours=8))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_slug() -> str:
    return secrets.token_urlsafe(SLUG_BYTES)


def active_slugs(conn, kind: SlugKind | str, ids=None) -> dict[int, str]:
    """{subject id: its active slug} for `kind` (all of them, or those in `ids`)."""
    q = select(PublicSlug.subject_id, PublicSlug.slug).where(PublicSlug.kind == SlugKind(kind).value,
                                                            PublicSlug.revoked_at.is_(None))
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        q = q.where(PublicSlug.subject_id.in_(ids))
    return {int(i): s for i, s in conn.execute(q.order_by(PublicSlug.created_at, PublicSlug.slug)).all()}


def ensure_slugs(conn, kind: SlugKind | str, ids) -> dict[int, str]:
    """The active slug of each subject in `ids`, a new one made for each that has none (on demand:
    a card printed for a household linked since the last print)."""
    kind = SlugKind(kind)
    ids = sorted({int(i) for i in ids})
    have = active_slugs(conn, kind, ids) if ids else {}
    missing = [i for i in ids if i not in have]
    if missing:
        now = utcnow()
        rows = [{"slug": new_slug(), "kind": kind.value, "subject_id": i, "created_at": now} for i in missing]
        for start in range(0, len(rows), 5000):
            conn.execute(PublicSlug.__table__.insert(), rows[start:start + 5000])
        have.update({r["subject_id"]: r["slug"] for r in rows})
    return have


def ensure_all_slugs(conn) -> int:
    """Slugs for every project and every household with a 利益联结; returns how many were made."""
    projects = [i for (i,) in conn.execute(select(Project.id)).all()]
    households = [i for (i,) in conn.execute(select(ProjectBeneficiary.household_id).distinct()).all()]
    before = conn.execute(select(func.count()).select_from(PublicSlug).where(PublicSlug.revoked_at.is_(None))).scalar()
    ensure_slugs(conn, SlugKind.project, projects)
    ensure_slugs(conn, SlugKind.household, households)
    after = conn.execute(select(func.count()).select_from(PublicSlug).where(PublicSlug.revoked_at.is_(None))).scalar()
    return int(after) - int(before)


def resolve_slug(conn, slug: str) -> tuple[SlugKind, int] | None:
    """(kind, subject id) of an active slug; None for a malformed, unknown or revoked one."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return None
    row = conn.execute(select(PublicSlug.kind, PublicSlug.subject_id)
                       .where(PublicSlug.slug == slug, PublicSlug.revoked_at.is_(None))).first()
    if row is None:
        return None
    try:
        return SlugKind(row[0]), int(row[1])
    except ValueError:
        return None


def slug_info(conn, slug: str):
    """The slug's row (slug, kind, subject_id, created_at, revoked_at), revoked or not; None unknown."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return None
    return conn.execute(select(PublicSlug.slug, PublicSlug.kind, PublicSlug.subject_id, PublicSlug.created_at,
                               PublicSlug.revoked_at).where(PublicSlug.slug == slug)).first()


def revoke_slug(conn, slug: str) -> bool | None:
    """Revoke a slug at once (its page answers 404 from the next request); True revoked now, False it
    already was, None no such slug. The subject gets a new slug the next time one is asked for."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return None
    row = conn.execute(select(PublicSlug.revoked_at).where(PublicSlug.slug == slug)).first()
    if row is None:
        return None
    if row[0] is not None:
        return False
    conn.execute(update(PublicSlug).where(PublicSlug.slug == slug).values(revoked_at=utcnow()))
    return True


def subject_exists(conn, kind: SlugKind, subject_id: int) -> bool:
    model = Project if kind is SlugKind.project else Household
    return conn.execute(select(model.id).where(model.id == subject_id)).first() is not None


def town_of(region_code: str | None) -> str | None:
    """The town a complaint about `region_code` goes to (the county's own code stays the county's)."""
    if not region_code or len(region_code) != 12:
        return None
    return region_code[:9] + "000" if region_code[6:9] != "000" else region_code


def _reference(now: dt.datetime) -> str:
    day = now.replace(tzinfo=dt.UTC).astimezone(_BEIJING).strftime("%Y%m%d")
    return f"TS{day}-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))


def store_complaint(session: Session, *, submission_id: str, slug: str, kind: SlugKind | str, subject_id: int,
                    subject_name: str, region_code: str | None, text: str, phone: str | None,
                    category: str | None = None, photos: list[str] | None = None) -> tuple[str, bool]:
    """Store a complaint once per `submission_id` (the form's nonce: a double tap, a reload or a retry
    of the same form sends it again); returns (reference number, whether it was stored now). It goes to
    the town of `region_code`, to answer within the working days of sandbox.domain.complaints."""
    known = session.scalar(select(Complaint.reference).where(Complaint.submission_id == submission_id))
    if known is not None:
        return known, False
    for _ in range(5):
        now = utcnow()
        reference = _reference(now)
        received = now.replace(tzinfo=dt.UTC).astimezone(_BEIJING).date()
        session.add(Complaint(reference=reference, submission_id=submission_id, slug=slug, kind=getattr(kind, "value", kind),
                              subject_id=subject_id, subject_name=subject_name[:128], region_code=region_code,
                              text=text, phone=phone, created_at=now, status="new", category=category,
                              town_code=town_of(region_code), deadline=reply_deadline(received),
                              photos=json.dumps(photos) if photos else None))
        try:
            session.commit()
            return reference, True
        except IntegrityError:
            session.rollback()
            known = session.scalar(select(Complaint.reference).where(Complaint.submission_id == submission_id))
            if known is not None:  # the same form sent twice at once: the other request stored it
                return known, False
            # else: the reference collided with another's (1 in 10^9 a day): draw again
    raise RuntimeError("could not draw a free complaint reference")
