"""The 村情/镇情 briefing PDF: gathered from the store and masked by the caller's role here, drawn by sandbox.reports.

GET /regions/{code}/brief.pdf?year= serves it; `sandbox brief` writes the same document from the command line.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.domain.enums import HouseholdAttribute, HouseholdStatus, PovertyCause, Role
from sandbox.domain.indicators import compute_indicators, get
from sandbox.domain.masking import person_view
from sandbox.domain.regions import RegionCode, RegionLevel
from sandbox.reports.brief import MAX_HOUSEHOLD_ROWS, render_brief
from sandbox.reports.brief_data import BriefChild, BriefData, BriefHousehold, BriefItem
from sandbox.server.command.duty import ITEM_ROLES, beijing_today, board_of, item_out
from sandbox.server.core.dataset import dataset_info
from sandbox.server.core.geometry import GeometryCache
from sandbox.server.deps import AGGREGATE_ROLES, Caller, PathRegionDep, SessionDep, YearQuery, allow, resolve_year
from sandbox.store import queries
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.models import Household, HouseholdYear, Region
from sandbox.store.queries import within

__all__ = ["router", "gather_brief", "brief_pdf"]

router = APIRouter(tags=["command"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]

FIGURES = ("poverty_incidence", "poor_population", "poor_households", "registered_households", "exited_population",
           "exits_in_year", "relapse_rate", "help_coverage", "visit_rate", "income_ok_rate", "fund_arrival_rate",
           "fund_spend_rate", "project_start_rate", "satisfaction_rate")
# 两不愁三保障 and income: (indicator, what a household short of it lacks)
GAPS = ("income_ok_rate", "housing_safe_rate", "water_safe_rate", "education_ok_rate", "medical_ok_rate")
MAX_ITEMS = 300
_LEVEL_ZH = {"county": "县", "town": "镇", "village": "村"}  # 县情 / 镇情 / 村情


def _value(key: str, v) -> str:
    if v is None:
        return "无数据"
    unit = get(key).unit
    return f"{v:.2f}%" if unit == "%" else f"{v:,}{unit}"


def _figures(facts: dict, region: Region, level: RegionLevel) -> list[tuple[str, str]]:
    values = compute_indicators(facts)
    out = [(get(k).label_zh, _value(k, values.get(k))) for k in FIGURES]
    if level is not RegionLevel.village:
        out[3:3] = [("行政村", f"{int(facts.get('villages') or 0)} 个"),
                    ("贫困村", f"{int(facts.get('poor_villages') or 0)} 个, 已出列 "
                              f"{int(facts.get('exited_poor_villages') or 0)} 个")]
    elif region.is_poor_village is not None:
        exit_year = f", {region.poor_village_exit_year} 年出列" if region.poor_village_exit_year else ""
        out.insert(3, ("贫困村", ("是" + exit_year) if region.is_poor_village else "否"))
    return out


def _gaps(facts: dict) -> list[tuple[str, str, str]]:
    out = []
    for key in GAPS:
        ind = get(key)
        num, den = facts.get(ind.numerator), facts.get(ind.denominator)
        rate = ind.value(facts)
        short = "—" if num is None or den is None else f"{int(den - num):,} 户"
        out.append((ind.label_zh, "无数据" if rate is None else f"{rate:.2f}%", short))
    return out


def _households(session: Session, rc: RegionCode, year: int | None, role: Role,
                names: dict[str, str]) -> tuple[list[BriefHousehold], int]:
    view = person_view(role)
    where = [within(Household.village_code, rc, db=session), HouseholdYear.year == year,
             HouseholdYear.status.in_(HouseholdStatus.counted_poor())]
    total = session.scalar(select(func.count()).select_from(Household).join(
        HouseholdYear, HouseholdYear.household_id == Household.id).where(*where)) or 0
    # Plain columns, not ORM objects: a town's 2014 list is thousands of rows.
    rows = session.execute(select(Household.village_code, Household.household_number, Household.head_name,
                                  Household.id_number, HouseholdYear.members, Household.attribute,
                                  Household.main_cause, HouseholdYear.status)
                           .join(HouseholdYear, HouseholdYear.household_id == Household.id)
                           .where(*where).order_by(Household.village_code, Household.household_number)
                           .limit(MAX_HOUSEHOLD_ROWS)).all()
    attrs = {a.value: a.label_zh for a in HouseholdAttribute}
    causes = {c.value: c.label_zh for c in PovertyCause}
    statuses = {s.value: s.label_zh for s in HouseholdStatus}
    out = [BriefHousehold(
        village=names.get(village, village), number=number, head_name=view.name(head), id_number=view.id_number(idn),
        members=members, attribute_zh=attrs.get(attr, attr), cause_zh=causes.get(cause, cause),
        status_zh=statuses.get(status, status))
        for village, number, head, idn, members, attr, cause, status in rows]
    return out, int(total)


def gather_brief(session: Session, rc: RegionCode, region: Region, year: int | None, role: Role,
                 geometry: GeometryCache) -> BriefData:
    """Everything the brief prints, as `role` may see it."""
    info = dataset_info(session)
    level = RegionLevel(region.level)
    years = queries.years(session)
    facts = queries.summed_facts(session, rc, year) if year is not None else {}
    today = beijing_today()
    board, _, names = board_of(session, rc, today)
    by_child = queries.facts_by_child(session, rc, year) if year is not None else {}
    children = []
    for c in queries.child_regions(session, rc):
        geom_text, _ = geometry.get(info["build"] or "", c)
        values = compute_indicators(by_child.get(c.code, {}))
        counts = board.children.get(c.code)
        children.append(BriefChild(
            c.code, c.name, json.loads(geom_text) if geom_text != "null" else None,
            (c.label_lon, c.label_lat) if c.label_lon is not None else None,
            values.get("poverty_incidence"), values.get("poor_households"),
            counts.open if counts else 0, counts.overdue if counts else 0))
    trend_facts = queries.facts_by_year(session, rc, years[0], years[-1]) if years else {}
    trend = [(y, compute_indicators(trend_facts[y])["poverty_incidence"] if y in trend_facts else None) for y in years]
    name = region.name
    if region.parent_code and level is not RegionLevel.county:
        parent = session.get(Region, region.parent_code)
        if parent is not None and parent.level == "town":
            name = f"{parent.name} {region.name}"
    items = None
    if role in ITEM_ROLES:
        open_items = [i for i in _open_first(board) if i.open]
        items = [_item(item_out(i, names, today, role)) for i in open_items[:MAX_ITEMS]]
        items_total = len(open_items)
    else:
        items_total = board.total.open
    households, households_total = (None, 0)
    if person_view(role).records and year is not None:
        households, households_total = _households(session, rc, year, role, names)
    meta = queries.meta(session)
    return BriefData(
        county=meta.get("county_name") or "", code=rc.value, name=name, level_zh=_LEVEL_ZH.get(level.value, level.label_zh),
        year=year, as_of=_as_of(info["as_of"]), generated_at=dt.datetime.now(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        role_zh=role.label_zh, demo=info["demo"], figures=_figures(facts, region, level), children=children,
        child_level_zh=level.child.label_zh if level.child is not None else "",
        trend=trend, gaps=_gaps(facts), duty_counts=board.total.as_dict(), items=items, items_total=items_total,
        households=households, households_total=households_total)


def _as_of(text: str | None) -> str | None:
    """"2020年12月31日" as the brief prints the data's as-of."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).strftime("%Y年%-m月%-d日")
    except ValueError:
        return text


def _open_first(board) -> list:
    """Overdue items first (oldest first), then the other open ones, newest last."""
    return board.overdue + sorted((i for i in board.items if i.open and not i.overdue),
                                  key=lambda i: (i.opened_at, i.kind, i.id))


def _item(d: dict) -> BriefItem:
    opened = dt.datetime.fromisoformat(d["opened_at"].rstrip("Z")) + dt.timedelta(hours=8)
    return BriefItem(d["kind_zh"], d["region_name"] or d["region_code"] or "", d["title"] or "",
                     opened.strftime("%Y-%m-%d"), d["deadline"], d["overdue_days"])


def brief_pdf(data: BriefData) -> tuple[bytes, int]:
    """(the PDF, its pages)."""
    buf = io.BytesIO()
    pages = render_brief(buf, data)
    return buf.getvalue(), pages


@router.get("/regions/{code}/brief.pdf", summary="村情/镇情简报 PDF (按调用者角色脱敏)",
            responses={200: {"content": {"application/pdf": {}}}})
def get_brief(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep,
              year: YearQuery = None) -> Response:
    rc, region = scope.load(session)
    y = resolve_year(session, year)
    data = gather_brief(session, rc, region, y, caller.role, request.app.state.geometry)
    body, _ = brief_pdf(data)
    filename = f"{data.name}{data.level_zh}情简报-{y or ''}.pdf".replace(" ", "")
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=brief-{rc.value}.pdf; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})
