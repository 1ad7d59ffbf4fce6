"""Workbench 打印: the PDFs the CLIs make (`sandbox brief`, `sandbox qr cards`, `sandbox qr board`) as downloads,
for places within the account's region; the brief masked as the signed-in role sees it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import func, select

from sandbox.domain.masking import person_view
from sandbox.domain.public import SlugKind
from sandbox.domain.regions import RegionCode
from sandbox.reports.board import PAPERS, render_board
from sandbox.reports.cards import render_cards
from sandbox.server.command.brief import brief_pdf, gather_brief
from sandbox.server.console.desk.scopes import place_of, places
from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.guard import staff_form, staff_page
from sandbox.server.console.render import page
from sandbox.server.console.session import StaffUser, client_address
from sandbox.server.public.views import project_view, site_of, village_cards
from sandbox.store import queries
from sandbox.store.models import Household, Project, ProjectBeneficiary, Region
from sandbox.store.office import access_log
from sandbox.store.public import ensure_slugs

__all__ = ["router", "attachment"]

router = APIRouter()
BASE = "/console/command/prints"
register(Section("prints", "打印", "生成村情/镇情简报、村的利益联结明白卡、项目的扶贫信息榜 (PDF 下载)"))


class Refused(Exception):
    """A print that cannot be made as asked: (status, Chinese reason, the form's name)."""

    def __init__(self, status: int, why: str, which: str):
        super().__init__(why)
        self.status, self.why, self.which = status, why, which


def attachment(body: bytes, filename: str, ascii_name: str) -> Response:
    """A PDF download under a Chinese file name (RFC 5987 `filename*`, an ASCII `filename` for old browsers)."""
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


def _base_url(request: Request) -> str:
    """Where printed QR codes point: SANDBOX_PUBLIC_BASE_URL, else the address the clerk reached the console at."""
    return request.app.state.settings.public_base_url or str(request.base_url).rstrip("/")


def _form_data(request: Request, user: StaffUser) -> dict:
    with request.app.state.sessions() as session:
        scopes = places(session, user)
        years = queries.years(session)
        prefix = user.region.prefix if user.region is not None else ""
        linked = dict(session.execute(
            select(Household.village_code, func.count(func.distinct(Household.id)))
            .join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
            .where(Household.village_code.startswith(prefix)).group_by(Household.village_code)).all())
        names = {p.code: p.name for p in scopes}
        projects = [{"id": i, "name": n, "place": names.get(c, c), "town": names.get(c[:9] + "000", "")}
                    for i, n, c in session.execute(select(Project.id, Project.name, Project.region_code)
                                                   .where(Project.region_code.startswith(prefix))
                                                   .order_by(Project.region_code, Project.id))]
    villages = [{"code": p.code, "name": p.name, "town": p.town, "cards": linked[p.code]}
                for p in scopes if p.level == "village" and p.code in linked]
    return {"scopes": [p for p in scopes if p.level != "village"] + [p for p in scopes if p.level == "village"],
            "years": years, "villages": villages, "projects": projects, "papers": list(PAPERS),
            "base_url": _base_url(request), "configured": bool(request.app.state.settings.public_base_url)}


def _page(request: Request, user: StaffUser, *, form: dict | None = None, error: Refused | None = None) -> Response:
    return page(request, "desk_prints.html", user, status=error.status if error else 200, title="打印",
                form=form or {}, error=error.why if error else None, which=error.which if error else "",
                masked_as=user.role.label_zh, **_form_data(request, user))


@router.get("/command/prints")
def prints(request: Request) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    return _page(request, user)


def _text(form, name: str) -> str:
    v = form.get(name)
    return v.strip() if isinstance(v, str) else ""


def _brief(request: Request, user: StaffUser, form: dict) -> Response:
    with request.app.state.sessions() as session:
        region = place_of(session, user, form["region"], ("county", "town", "village"), "简报范围")
        if isinstance(region, str):
            raise Refused(403 if "不在您的辖区" in region else 422, region, "brief")
        years = queries.years(session)
        year = years[-1] if years else None
        if form["year"]:
            if not (form["year"].isascii() and form["year"].isdigit() and int(form["year"]) in years):
                span = f"{years[0]}-{years[-1]}" if years else "无"
                raise Refused(422, f"年份 {form['year']!r} 超出数据范围 ({span})", "brief")
            year = int(form["year"])
        data = gather_brief(session, RegionCode(region.code), region, year, user.role, request.app.state.geometry)
        if person_view(user.role).names == "full":  # the households still poor, by name: on record
            access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ, what="brief",
                              subject=f"{data.name}{data.level_zh}情简报 {year or ''} 年", region_code=region.code,
                              address=client_address(request), channel="console")
            session.commit()
    body, _ = brief_pdf(data)
    return attachment(body, f"{data.name}{data.level_zh}情简报-{year or ''}.pdf".replace(" ", ""),
                      f"brief-{region.code}-{year or ''}.pdf")


def _cards(request: Request, user: StaffUser, form: dict) -> Response:
    base = _base_url(request)
    with request.app.state.sessions() as session:
        region = place_of(session, user, form["village"], ("village",), "明白卡的村")
        if isinstance(region, str):
            raise Refused(403 if "不在您的辖区" in region else 422, region, "cards")
        cards = village_cards(session, region.code)
        if not cards:
            raise Refused(422, f"{region.name} 没有与产业项目有利益联结的农户, 没有明白卡可打印", "cards")
        session.commit()  # slugs made for households linked since the last print: before they are printed
        site = site_of(session)
        town = session.get(Region, region.parent_code) if region.parent_code else None
    village = f"{town.name} {region.name}" if town is not None and town.level == "town" else region.name
    with tempfile.TemporaryDirectory(prefix="cards-") as folder:
        path = Path(folder) / "cards.pdf"
        render_cards(str(path), cards, lambda slug: f"{base}/q/{slug}", county=site.county, village=village,
                     as_of=site.as_of, demo=site.demo)
        body = path.read_bytes()
    return attachment(body, f"{village}利益联结明白卡.pdf".replace(" ", ""), f"cards-{region.code}.pdf")


def _board(request: Request, user: StaffUser, form: dict) -> Response:
    base = _base_url(request)
    paper = form["paper"] or "A3"
    if paper not in PAPERS:
        raise Refused(422, f"纸张应为 {' / '.join(PAPERS)}", "board")
    pid = form["project"]
    if not (pid.isascii() and pid.isdigit() and 0 < int(pid) < 2**31):
        raise Refused(422, f"请选择项目 (编号 {pid!r} 无效)", "board")
    with request.app.state.sessions() as session:
        project = session.get(Project, int(pid))
        if project is None:
            raise Refused(404, f"没有编号为 {pid} 的项目", "board")
        if not user.may_see(project.region_code):
            raise Refused(403, f"项目 {project.name} 不在您的辖区 ({user.region_zh}) 内", "board")
        view = project_view(session, project.id, "")
        view.slug = ensure_slugs(session, SlugKind.project, [project.id])[project.id]
        session.commit()
        site = site_of(session)
    url = f"{base}/q/{view.slug}"
    with tempfile.TemporaryDirectory(prefix="board-") as folder:
        path = Path(folder) / "board.pdf"
        render_board(str(path), view, url, county=site.county, as_of=site.as_of, demo=site.demo, paper=paper)
        body = path.read_bytes()
    return attachment(body, f"{view.name}扶贫信息榜-{paper}.pdf".replace(" ", ""), f"board-{project.id}-{paper}.pdf")


_MAKERS = {"brief": (_brief, ("region", "year")), "cards": (_cards, ("village",)),
           "board": (_board, ("project", "paper"))}


@router.post("/command/prints/{what}")
async def make(request: Request, what: str) -> Response:
    got = await staff_form(request)
    if isinstance(got, Response):
        return got
    user, raw = got
    if what not in _MAKERS:
        return await run_in_threadpool(_page, request, user, error=Refused(404, f"没有这种打印: {what}", ""))
    maker, fields = _MAKERS[what]
    form = {k: _text(raw, k) for k in fields}
    try:
        return await run_in_threadpool(maker, request, user, form)
    except Refused as exc:
        refused = exc
    return await run_in_threadpool(lambda: _page(request, user, form=form, error=refused))
