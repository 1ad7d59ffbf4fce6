"""A complaint taken in: its photos checked and stored without EXIF, the record written once, the 督办 event sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.domain.complaints import ComplaintCategory
from sandbox.server.checkins.photos import remove_photos, save_photos
from sandbox.server.deps import settings_of
from sandbox.server.public.complaint import ComplaintForm, check_photos
from sandbox.store.models import Complaint
from sandbox.store.public import store_complaint

__all__ = ["BadPhotos", "Stored", "store_with_photos", "photo_dir", "date_zh"]


class BadPhotos(ValueError):
    """A photo that cannot be taken; the message is Chinese, for the form."""


@dataclass(frozen=True)
class Stored:
    reference: str
    deadline: str | None  # "2019年10月12日"


def photo_dir(app):
    return settings_of(app).data_dir / "complaint-photos"


def date_zh(day: dt.date | None) -> str | None:
    return f"{day.year}年{day.month}月{day.day}日" if day is not None else None


def store_with_photos(app, session: Session, form: ComplaintForm, *, slug: str, kind: str, subject_id: int,
                      subject_name: str, region_code: str | None) -> Stored:
    """Store the complaint once per form (its nonce): photos first (a failure stores nothing), removed
    again when the same form had been stored before. A new complaint is published as a `duty` event
    that names its category and region only: never its text, its photos or its contact."""
    known = session.scalar(select(Complaint.reference).where(Complaint.submission_id == form.nonce))
    if known is None and form.uploads:
        photos = check_photos(form.uploads)
        if isinstance(photos, str):
            raise BadPhotos(photos)
        names = save_photos(photo_dir(app), photos)
    else:
        names = []
    try:
        reference, new = store_complaint(
            session, submission_id=form.nonce, slug=slug, kind=kind, subject_id=subject_id, subject_name=subject_name,
            region_code=region_code, text=form.text, phone=form.phone_digits, category=form.category, photos=names)
    except BaseException:
        remove_photos(photo_dir(app), names)
        raise
    if not new:
        remove_photos(photo_dir(app), names)
    c = session.scalar(select(Complaint).where(Complaint.reference == reference))
    if new and c is not None:
        events = getattr(app.state, "events", None)
        if events is not None:
            events.publish("duty", {
                "kind": "complaint", "id": c.id, "region_code": c.region_code or c.town_code,
                "title": f"新投诉: {ComplaintCategory(c.category or 'other').label_zh}",
                "at": c.created_at.replace(tzinfo=dt.UTC).isoformat()})
    return Stored(reference, date_zh(c.deadline) if c is not None else None)
