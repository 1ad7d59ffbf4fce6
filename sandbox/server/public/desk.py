"""The public complaint form not tied to a QR page (/q/complaint, with a town picker) and the tracking page
(/q/track?code=…): HTML, no token, rate-limited like the QR pages. Included before /q/<slug>.

The tracking page shows what the complainant needs: the category, the dates, the town, the status and
the reply. Never the text they wrote, their phone or photos (a guessed code must not open anyone's
complaint), and nothing of anyone else's.
"""

from __future__ import annotations

import datetime as dt
import re

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from sandbox.domain.complaints import ComplaintStatus
from sandbox.server.public.complaint import ROUTE_BODY_BYTES, ComplaintForm, new_nonce, read_form
from sandbox.server.public.intake import BadPhotos, Stored, date_zh, store_with_photos
from sandbox.server.public.pages import render_complaint_done, render_complaint_form, render_track
from sandbox.server.public.routes import complaint_rate, form_page, html_page, limited, page_rate, too_many
from sandbox.server.public.views import site_of
from sandbox.store.command.complaints import beijing_today, category_zh, is_overdue, towns, track

__all__ = ["router"]

router = APIRouter(prefix="/q", include_in_schema=False)
_CODE = re.compile(r"^TS\d{8}-[2-9A-HJ-NP-Z]{6}$")
_BEIJING_HOURS = 8


def _site_and_towns(app):
    with app.state.sessions() as session:
        return site_of(session), towns(session)


@router.get("/complaint")
async def public_form(request: Request) -> HTMLResponse:
    if (hit := await limited(request, page_rate)) is not None:
        return too_many(hit)
    site, town_list = await run_in_threadpool(_site_and_towns, request.app)
    return form_page(render_complaint_form(None, site, new_nonce(), towns=town_list))


def _store(app, form: ComplaintForm, town_name: str) -> Stored:
    with app.state.sessions() as session:
        return store_with_photos(app, session, form, slug="", kind="form", subject_id=0,
                                 subject_name=town_name, region_code=form.town)


@router.post("/complaint", max_body_size=ROUTE_BODY_BYTES)
async def public_submit(request: Request) -> HTMLResponse:
    if (hit := await limited(request, page_rate)) is not None:
        return too_many(hit)
    form = await read_form(request)
    site, town_list = await run_in_threadpool(_site_and_towns, request.app)
    names = dict(town_list)

    def again(error: str, status: int, headers: dict | None = None) -> HTMLResponse:
        return form_page(render_complaint_form(None, site, form.nonce, text=form.text, phone=form.phone, error=error,
                                               category=form.category, towns=town_list, town=form.town),
                         status, headers)

    if not form.error and form.town not in names:
        form.error = "请选择问题所在的乡镇"
    if form.error:
        return again(form.error, 422)
    if (hit := await limited(request, complaint_rate)) is not None:
        wait = (hit.headers or {}).get("Retry-After", "60")
        return again(f"提交过于频繁, 请 {wait} 秒后再提交 (您填写的内容已保留)", 429, {"Retry-After": wait})
    try:
        stored = await run_in_threadpool(_store, request.app, form, names[form.town])
    except BadPhotos as exc:
        return again(str(exc), 422)
    return html_page(render_complaint_done(None, site, stored.reference, form.phone_digits is not None,
                                           stored.deadline))


def _lookup(app, code: str):
    with app.state.sessions() as session:
        site = site_of(session)
        c = track(session, code)
        if c is None:
            return site, None
        town = dict(towns(session)).get(c.town_code or "", "县扶贫办")
        today = beijing_today()
        overdue = is_overdue(c, today)
        status = ComplaintStatus(c.status).label_zh if c.status in ComplaintStatus.labels() else c.status
        if overdue:
            status += " (已超期, 县级督办)"
        elif c.escalated_at is not None and c.status != ComplaintStatus.closed.value and not c.reply:
            status += " (县级督办)"
        received = c.created_at + dt.timedelta(hours=_BEIJING_HOURS)
        return site, {
            "reference": c.reference, "category": category_zh(c.category), "received": date_zh(received.date()),
            "town": town, "deadline": date_zh(c.deadline) or "-", "status": status, "overdue": overdue,
            "reply": c.reply,
            "replied": date_zh((c.replied_at + dt.timedelta(hours=_BEIJING_HOURS)).date())
            if c.replied_at else None,
        }


@router.api_route("/track", methods=["GET", "HEAD"])
async def tracking(request: Request, code: str = "") -> HTMLResponse:
    if (hit := await limited(request, page_rate)) is not None:
        return too_many(hit)
    code = code.strip().upper()[:40]
    if not code:
        site, _ = await run_in_threadpool(_site_and_towns, request.app)
        return html_page(render_track(site))
    if not _CODE.match(code):
        site, _ = await run_in_threadpool(_site_and_towns, request.app)
        return html_page(render_track(site, code=code, error="受理编号格式不对: 应为 TS 加 8 位日期、横线和 6 位字母数字, "
                                                                "如 TS20190930-ABC234"), 422)
    site, found = await run_in_threadpool(_lookup, request.app, code)
    if found is None:
        return html_page(render_track(site, code=code, error="没有找到这个受理编号, 请核对后重新输入"), 404)
    return html_page(render_track(site, code=code, found=found))
