"""Renders the public pages from their views (Jinja2, autoescaped): no script, nothing fetched from elsewhere."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sandbox.domain.public import HouseholdPublic, ProjectPublic, yuan_zh
from sandbox.server.public.views import Site

__all__ = ["render_subject", "render_complaint_form", "render_complaint_done", "render_message", "MIN_CHARS",
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


def render_complaint_form(subject: HouseholdPublic | ProjectPublic, site: Site, nonce: str, *, text: str = "",
                          phone: str = "", error: str | None = None) -> str:
    return _env.get_template("complaint.html").render(
        site=site, title="反映问题", org=_org(site, "监督举报"), heading="反映问题", sub=f"关于: {subject.title}",
        slug=subject.slug, nonce=nonce, text=text, phone=phone, error=error, min_chars=MIN_CHARS, max_chars=MAX_CHARS)


def render_complaint_done(subject: HouseholdPublic | ProjectPublic, site: Site, reference: str, with_phone: bool) -> str:
    return _env.get_template("complaint_done.html").render(
        site=site, title="已受理", org=_org(site, "监督举报"), heading="提交成功", sub=f"关于: {subject.title}",
        slug=subject.slug, reference=reference, with_phone=with_phone)


def render_message(site: Site, heading: str, message: str, hint: str | None = None) -> str:
    return _env.get_template("message.html").render(
        site=site, title=heading, org=_org(site, "扶贫公示"), heading=heading, sub=None, message=message, hint=hint)
