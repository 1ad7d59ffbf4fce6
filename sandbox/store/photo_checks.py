"""Check-ins whose photos are checked after the answer: which wait, claiming one, recording its verdict."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox.store.models import Checkin

__all__ = ["utc_now", "stale_pending", "claim", "record_verdict"]


def utc_now() -> dt.datetime:
    """Naive UTC, as `photo_check_at` is stored (every API host compares it with its own clock)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def stale_pending(session: Session, older_than: dt.timedelta, limit: int = 200) -> list[tuple[int, dt.datetime, str]]:
    """(id, claimed at, photo names as JSON) of check-ins still pending whose check was queued or claimed longer
    ago than `older_than`: their worker stopped before it ran (restarted, killed), so another takes them."""
    cutoff = utc_now() - older_than
    q = (select(Checkin.id, Checkin.photo_check_at, Checkin.photos)
         .where(Checkin.photo_check == "pending", Checkin.photo_check_at < cutoff).order_by(Checkin.id).limit(limit))
    return [tuple(r) for r in session.execute(q)]


def claim(session: Session, checkin_id: int, claimed_at: dt.datetime) -> bool:
    """Take a stale check for this worker: True for the one worker whose update found it as it was read."""
    done = session.execute(update(Checkin).where(Checkin.id == checkin_id, Checkin.photo_check == "pending",
                                                 Checkin.photo_check_at == claimed_at)
                           .values(photo_check_at=utc_now()))
    session.commit()
    return done.rowcount == 1


def record_verdict(session: Session, checkin_id: int, hashes: list[str], problems: list[str]) -> bool:
    """Store a pending check-in's verdict ("ok", or "bad" with the problems) and its photos' hashes; False when
    it was no longer pending (another worker's check of it came first)."""
    done = session.execute(update(Checkin).where(Checkin.id == checkin_id, Checkin.photo_check == "pending")
                           .values(photo_check="bad" if problems else "ok",
                                   photo_problem="; ".join(problems) if problems else None,
                                   photo_hashes=json.dumps(hashes) if hashes else None))
    session.commit()
    return done.rowcount == 1
