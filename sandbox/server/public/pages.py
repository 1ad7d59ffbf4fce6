"""Renders the public pages from their views (Jinja2, autoescaped): nothing fetched from elsewhere, no script
but the complaint form's photo picker (sandbox.server.public.picker)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sandbox.domain.complaints import REPLY_WORKING_DAYS, ComplaintCategory
from sandbox.domain.public import HouseholdPublic, ProjectPublic, yuan_zh
from sandbox.server.public.picker import PICKER_JS
from sandbox.server.public.views import Site

__all__ = ["render_subject", "render_complaint_form", "render_complaint_done", "render_message", "render_track", "MIN_CHARS",
           "MAX_CHARS"]

MIN_CHARS, MAX_CHARS = 5, 500

_env = Environment(loader=PackageLoader("sandbox.server.public", "templates"), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals["yuan"] = yuan_zh


def _org(site: Site, what: str) -> str:
    return f"{site.county} {what}" if site.county else what


def render_subject(subject: HouseholdPublic | ProjectPublic, site: Site) -> str:
    if isinstance(subject, HouseholdPublic):
        return _env.get_template("household.html").render(
            site=site, title=f"{subject.title} 利益联结明白卡", org=_org(site, "利益联结明白卡"), heading=subject.title,
            sub=subject.village, h=subject, slug=subject.slug)
    return _env.get_template("project.html").render(
        site=site, title=f"{subject.name} 扶贫项目信息榜", org=_org(site, "扶贫项目信息榜"), heading=subject.name,
        sub=subject.place, p=subject, slug=subject.slug)


def render_complaint_form(subject: HouseholdPublic | ProjectPublic | None, site: Site, nonce: str, *, text: str = "",
                          phone: str = "", error: str | None = None, category: str = "",
                          towns: list[tuple[str, str]] | None = None, town: str = "") -> str:
    """A QR page's form (`subject`), or the public form with its town picker (`subject` None, `towns`)."""
    return _env.get_template("complaint.html").render(
        site=site, title="反映问题", org=_org(site, "监督举报"), heading="反映问题",
        sub=f"关于: {subject.title}" if subject is not None else "扶贫领域问题线索, 可匿名反映",
        slug=subject.slug if subject is not None else None, nonce=nonce, text=text, phone=phone, error=error,
        min_chars=MIN_CHARS, max_chars=MAX_CHARS, categories=list(ComplaintCategory), category=category,
        towns=towns, town=town, max_photos=3, picker_js=PICKER_JS)


def render_complaint_done(subject: HouseholdPublic | ProjectPublic | None, site: Site, reference: str,
                          with_phone: bool, deadline: str | None = None) -> str:
    return _env.get_template("complaint_done.html").render(
        site=site, title="已受理", org=_org(site, "监督举报"), heading="提交成功",
        sub=f"关于: {subject.title}" if subject is not None else None,
        slug=subject.slug if subject is not None else None, reference=reference, with_phone=with_phone,
        deadline=deadline, days=REPLY_WORKING_DAYS)


def render_track(site: Site, *, code: str = "", found: dict | None = None, error: str | None = None) -> str:
    return _env.get_template("track.html").render(
        site=site, title="投诉办理查询", org=_org(site, "监督举报"), heading="办理进度查询", sub=None, code=code,
        found=found, error=error)


def render_message(site: Site, heading: str, message: str, hint: str | None = None) -> str:
    return _env.get_template("message.html").render(
        site=site, title=heading, org=_org(site, "扶贫公示"), heading=heading, sub=None, message=message, hint=hint)
