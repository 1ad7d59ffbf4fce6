"""我的帮扶户: the cards of a cadre's households (结对 in force), masked as a cadre may see them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sandbox.domain.enums import ExitBatch, HouseholdStatus, PovertyCause, Role
from sandbox.domain.masking import person_view
from sandbox.server.core.access import note_read
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.models import (
    Assignment,
    Checkin,
    Household,
    HouseholdYear,
    Member,
    PovertyLine,
    Region,
)

__all__ = ["my_households", "gaps_zh", "note_cards_read"]

INCOME_ZH = {"wage": "工资性收入", "business": "生产经营性收入", "transfer": "转移性收入", "property": "财产性收入"}


def gaps_zh(hy: HouseholdYear) -> list[str]:
    """两不愁三保障: what is not yet assured, in the words of the register."""
    out = []
    if hy.food_clothing_ok is False:
        out.append("吃穿未达标")
    if hy.school_age_children and hy.dropout:
        out.append("义务教育: 有辍学")
    if not hy.all_insured:
        out.append("基本医疗: 未全员参保")
    if hy.housing_grade not in ("A", "B") and not hy.relocated:
        out.append(f"住房安全: {hy.housing_grade}级危房")
    if not hy.water_safe:
        out.append("饮水安全未达标")
    return out


def my_households(session: Session, cadre_id: int, now: dt.datetime | None = None) -> list[dict]:
    """One card per household the cadre helps now (结对 started and not ended)."""
    year = (now or dt.datetime.now(CHINA_TZ)).year
    view = person_view(Role.cadre)
    households = list(session.scalars(
        select(Household).join(Assignment, Assignment.household_id == Household.id)
        .where(Assignment.cadre_id == cadre_id, Assignment.start_year <= year,
               or_(Assignment.end_year.is_(None), Assignment.end_year > year))
        .distinct().order_by(Household.id)))
    if not households:
        return []
    ids = [h.id for h in households]
    latest = dict(session.execute(select(HouseholdYear.household_id, func.max(HouseholdYear.year))
                                  .where(HouseholdYear.household_id.in_(ids)).group_by(HouseholdYear.household_id)).all())
    years = {hy.household_id: hy for hy in session.scalars(select(HouseholdYear).where(
        HouseholdYear.household_id.in_(ids), HouseholdYear.year.in_(set(latest.values()) or {0})))
        if latest.get(hy.household_id) == hy.year}
    lines = dict(session.execute(select(PovertyLine.year, PovertyLine.line_yuan)).all())
    members: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.household_id.in_(ids)).order_by(Member.id)):
        members.setdefault(m.household_id, []).append(m)
    last = dict(session.execute(select(Checkin.household_id, func.max(Checkin.at))
                                .where(Checkin.household_id.in_(ids)).group_by(Checkin.household_id)).all())
    villages = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({h.village_code for h in households}))).all())
    out = []
    for h in households:
        hy = years.get(h.id)
        card = {
            "id": h.id, "household_number": h.household_number, "head_name": view.name(h.head_name),
            "phone": view.phone(h.phone), "village_code": h.village_code, "village": villages.get(h.village_code),
            "cause": PovertyCause(h.main_cause).label_zh,
            "exit_path": ExitBatch(h.exit_batch).label_zh if h.exit_batch else None,
            "lon": h.lon, "lat": h.lat, "crs": "WGS-84",
            "members": [{"name": view.name(m.name), "id_number": view.id_number(m.id_number), "relation": m.relation,
                         "sex": m.sex, "health": m.health, "labour_capacity": m.labour_capacity,
                         "migrant_work": m.migrant_work} for m in members.get(h.id, [])],
            "last_visit": last[h.id].replace(tzinfo=CHINA_TZ).isoformat() if h.id in last else None,
        }
        if hy is not None:
            card.update(
                year=hy.year, status=HouseholdStatus(hy.status).label_zh, gaps=gaps_zh(hy),
                income={k: round(getattr(hy, f"income_{k}") or 0, 2) for k in INCOME_ZH},
                per_capita_net_income=round(hy.per_capita_net_income or 0, 2), line=lines.get(hy.year),
            )
        out.append(card)
    return out


def note_cards_read(session: Session, request, caller, cards: list[dict]) -> None:
    """The access log's row for a cadre's cards (names and phones of the households they help)."""
    if cards:
        note_read(session, request, caller, "my_households", f"{len(cards)} 户", None, channel="field")
