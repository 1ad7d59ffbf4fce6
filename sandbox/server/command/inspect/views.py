"""A finding and its rectification as a role may read them: names masked, free text scrubbed."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from sandbox.domain.enums import Role
from sandbox.domain.inspection import FindingCategory, RectificationStatus, Severity
from sandbox.domain.masking import person_view, scrub_fields
from sandbox.store.command.findings import is_overdue
from sandbox.store.command.inspection import Finding, InspectionMember, InspectionSubgroup, Rectification
from sandbox.store.models import Cadre, Household, Region

__all__ = ["finding_views", "iso", "PHOTO_URL"]

PHOTO_URL = "/api/v1/inspections/photos/{name}"
CHINA = dt.timezone(dt.timedelta(hours=8))


def iso(at_utc: dt.datetime | None) -> str | None:
    """A stored UTC time as Beijing ISO-8601."""
    return None if at_utc is None else at_utc.replace(tzinfo=dt.UTC).astimezone(CHINA).isoformat(timespec="seconds")


def _photos(text: str | None) -> list[str]:
    return [PHOTO_URL.format(name=n) for n in json.loads(text or "[]")]


def finding_views(session: Session, rows: list[tuple[Finding, Rectification]], role: Role,
                  today: dt.date) -> list[dict]:
    """The rows as `role` reads them, in the given order (a few queries for the whole page)."""
    view = person_view(role)
    village_ids = {f.village_code for f, _ in rows}
    town_ids = {c[:9] + "000" for c in village_ids}
    names = dict(session.execute(select(Region.code, Region.name)
                                 .where(Region.code.in_(village_ids | town_ids))).all()) if rows else {}
    member_ids = {f.member_id for f, _ in rows if f.member_id}
    sub_ids = {f.subgroup_id for f, _ in rows if f.subgroup_id}
    cadre_ids = {r.responsible_cadre_id for _, r in rows if r.responsible_cadre_id}
    household_ids = {f.household_id for f, _ in rows if f.household_id}
    members = dict(session.execute(select(InspectionMember.id, InspectionMember.name)
                                   .where(InspectionMember.id.in_(member_ids))).all()) if member_ids else {}
    subs = dict(session.execute(select(InspectionSubgroup.id, InspectionSubgroup.name)
                                .where(InspectionSubgroup.id.in_(sub_ids))).all()) if sub_ids else {}
    cadres = dict(session.execute(select(Cadre.id, Cadre.name).where(Cadre.id.in_(cadre_ids))).all()) \
        if cadre_ids else {}
    heads = dict(session.execute(select(Household.id, Household.head_name)
                                 .where(Household.id.in_(household_ids))).all()) if household_ids else {}
    out = []
    for f, r in rows:
        people = [n for n in (members.get(f.member_id), cadres.get(r.responsible_cadre_id), heads.get(f.household_id))
                  if n]
        finding = {
            "id": f.id, "month": f.month, "village_code": f.village_code, "village": names.get(f.village_code),
            "town_code": f.village_code[:9] + "000", "town": names.get(f.village_code[:9] + "000"),
            "category": f.category, "category_zh": FindingCategory(f.category).label_zh,
            "severity": f.severity, "severity_zh": Severity(f.severity).label_zh,
            "text": f.text, "household_id": f.household_id,
            "household_head": view.name(heads.get(f.household_id)) if f.household_id else None,
            "project_id": f.project_id, "photos": _photos(f.photos), "created_at": iso(f.created_at),
            "subgroup_id": f.subgroup_id, "subgroup": subs.get(f.subgroup_id),
            "inspector": view.name(members.get(f.member_id)) if f.member_id else None,
        }
        rect = {
            "id": r.id, "status": r.status, "status_zh": RectificationStatus(r.status).label_zh,
            "responsible_unit": r.responsible_unit, "responsible_cadre_id": r.responsible_cadre_id,
            "responsible_cadre": view.name(cadres.get(r.responsible_cadre_id)) if r.responsible_cadre_id else None,
            "deadline": r.deadline.isoformat(), "overdue": is_overdue(r, today),
            "days_overdue": (today - r.deadline).days if is_overdue(r, today) else 0,
            "note": r.evidence_note, "evidence_photos": _photos(r.evidence_photos),
            "submitted_at": iso(r.submitted_at), "comment": r.review_comment, "rejections": r.rejections,
            "closed_at": iso(r.closed_at), "closed_on_time": r.closed_on_time,
        }
        finding = scrub_fields(finding, view, people)
        finding["rectification"] = scrub_fields(rect, view, people)
        out.append(finding)
    return out


def rows_by_ids(session: Session, finding_ids: list[int]) -> list[tuple[Finding, Rectification]]:
    if not finding_ids:
        return []
    r = aliased(Rectification)
    got = {f.id: (f, rect) for f, rect in session.execute(
        select(Finding, r).join(r, r.finding_id == Finding.id).where(Finding.id.in_(finding_ids)))}
    return [got[i] for i in finding_ids if i in got]
