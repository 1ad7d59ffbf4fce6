"""Routes: GET /q/<slug> (the page a QR code opens), GET/POST /q/<slug>/complaint; HTML, rate-limited per client.

No token: anyone with the code may read the page, so it holds only what the `public` role may see. Every
answer, errors too, is a plain Chinese page (never JSON to a phone's browser), marked not to be cached
(a revoked slug stops at once) and with a content policy that lets it fetch nothing from elsewhere.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from sandbox.server.public.complaint import ROUTE_BODY_BYTES, ComplaintForm, new_nonce, read_form
from sandbox.server.public.intake import BadPhotos, Stored, store_with_photos
from sandbox.server.public.pages import (
    render_complaint_done,
    render_complaint_form,
    render_message,
    render_subject,
)
from sandbox.server.public.picker import FORM_HEADERS
from sandbox.server.public.views import Site, page_subject, site_of
from sandbox.server.ratelimit import PUBLIC_LIMIT, rate_limited
from sandbox.store.public import resolve_slug

__all__ = ["router", "PAGE_LIMIT", "COMPLAINT_LIMIT", "HEADERS", "html_page", "form_page", "limited", "too_many", "page_rate",
           "complaint_rate"]

router = APIRouter(prefix="/q", include_in_schema=False)

PAGE_LIMIT = PUBLIC_LIMIT  # a person reading, not a script walking the slugs
COMPLAINT_LIMIT = "10/hour"  # complaints stored per client (a village's households share few addresses)
_page_rate = page_rate = rate_limited(PAGE_LIMIT, "public")
_complaint_rate = complaint_rate = rate_limited(COMPLAINT_LIMIT, "complaint")

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the slug is the page's key: never handed on to another site
}
_NO_SITE = Site("", None, False)


def _html(body: str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**HEADERS, **(headers or {})})


def _form(body: str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    """A complaint form: the pages' policy, and its photo picker's script (sandbox.server.public.picker)."""
    return _html(body, status, {**FORM_HEADERS, **(headers or {})})


def _not_found(site: Site) -> HTMLResponse:
    return _html(render_message(site, "页面不存在", "没有找到这个公示页面。",
                                "二维码可能已停用或更换, 请扫描现场最新张贴的二维码, 或向村委会、帮扶责任人咨询。"), 404)


def _too_many(exc: HTTPException) -> HTMLResponse:
    wait = (exc.headers or {}).get("Retry-After", "60")
    return _html(render_message(_NO_SITE, "访问过于频繁", f"请 {wait} 秒后再打开。"), 429, {"Retry-After": wait})


async def _limited(request: Request, check) -> HTTPException | None:
    """The 429 this client is due under `check`, or None (and the request counted)."""
    try:
        await check(request)
    except HTTPException as exc:
        if exc.status_code != 429:
            raise
        return exc
    return None


def _load(app, slug: str):
    with app.state.sessions() as session:
        return page_subject(session, slug), site_of(session)


@router.api_route("/{slug}", methods=["GET", "HEAD"])  # HEAD: link checkers and some scanner apps ask first
async def public_page(slug: str, request: Request) -> HTMLResponse:
    if (limited := await _limited(request, _page_rate)) is not None:
        return _too_many(limited)
    subject, site = await run_in_threadpool(_load, request.app, slug)
    if subject is None:
        return _not_found(site)
    return _html(render_subject(subject, site))


@router.get("/{slug}/complaint")
async def complaint_form(slug: str, request: Request) -> HTMLResponse:
    if (limited := await _limited(request, _page_rate)) is not None:
        return _too_many(limited)
    subject, site = await run_in_threadpool(_load, request.app, slug)
    if subject is None:
        return _not_found(site)
    return _form(render_complaint_form(subject, site, new_nonce()))


def _store(app, slug: str, form: ComplaintForm, subject) -> Stored | None:
    with app.state.sessions() as session:
        found = resolve_slug(session, slug)
        if found is None:  # revoked between the page and the submission
            return None
        kind, subject_id = found
        return store_with_photos(app, session, form, slug=slug, kind=kind, subject_id=subject_id,
                                 subject_name=subject.title, region_code=subject.region_code)


@router.post("/{slug}/complaint", max_body_size=ROUTE_BODY_BYTES)
async def complaint_submit(slug: str, request: Request) -> HTMLResponse:
    if (limited := await _limited(request, _page_rate)) is not None:
        return _too_many(limited)
    form = await read_form(request)
    subject, site = await run_in_threadpool(_load, request.app, slug)
    if subject is None:
        return _not_found(site)

    def again(error: str, status: int, headers: dict | None = None) -> HTMLResponse:  # what was typed, and why
        return _form(render_complaint_form(subject, site, form.nonce, text=form.text, phone=form.phone,
                                           error=error, category=form.category), status, headers)

    if form.error:
        return again(form.error, 422)
    if (limited := await _limited(request, _complaint_rate)) is not None:
        wait = (limited.headers or {}).get("Retry-After", "60")
        return again(f"提交过于频繁, 请 {wait} 秒后再提交 (您填写的内容已保留)", 429, {"Retry-After": wait})
    try:
        stored = await run_in_threadpool(_store, request.app, slug, form, subject)
    except BadPhotos as exc:
        return again(str(exc), 422)
    if stored is None:
        return _not_found(site)
    return _html(render_complaint_done(subject, site, stored.reference, form.phone_digits is not None,
                                       stored.deadline))


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST"])
async def elsewhere(rest: str, request: Request) -> HTMLResponse:
    """Any other address under /q/ (a code cut short, a typo): the same plain page as an unknown slug."""
    if (limited := await _limited(request, _page_rate)) is not None:
        return _too_many(limited)
    return _not_found(_NO_SITE)



html_page, form_page, limited, too_many = _html, _form, _limited, _too_many  # for the desk's pages (sandbox.server.public.desk)
