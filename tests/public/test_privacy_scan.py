"""Every public page of the demo, scanned: no ID number, no member's name, no phone of the household, no exact place."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import select

from sandbox.server.public.pages import render_complaint_form, render_subject
from sandbox.server.public.views import page_subject, site_of
from sandbox.store.models import Household, Member, Project, PublicSlug

ID_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
LONG_DIGITS = re.compile(r"(?<!\d)\d{12,}(?!\d)")  # bank accounts, household numbers, ID numbers
COORDINATE = re.compile(r"(?<![\d,])\d{1,3}\.\d{3,}")  # 107.532, 25.8312: a place to the street or closer


def test_every_public_page_of_the_demo_is_free_of_personal_data(sessions):
    with sessions() as s:
        slugs = s.execute(select(PublicSlug.slug, PublicSlug.kind, PublicSlug.subject_id)
                          .where(PublicSlug.revoked_at.is_(None)).order_by(PublicSlug.kind, PublicSlug.slug)).all()
        households = {h.id: h for h in s.scalars(select(Household).where(
            Household.id.in_([i for _, kind, i in slugs if kind == "household"])))}
        names: dict[int, set[str]] = defaultdict(set)
        for hid, name in s.execute(select(Member.household_id, Member.name).where(Member.household_id.in_(list(households)))):
            names[hid].add(name)
        projects = {p.id: p for p in s.scalars(select(Project))}
        site = site_of(s)
        assert sum(1 for _, kind, _ in slugs if kind == "project") == len(projects)
        assert len(households) > 1000  # every linked household of the demo has its page

        pages = 0
        for slug, kind, subject_id in slugs:
            subject = page_subject(s, slug)
            assert subject is not None, slug
            html = render_subject(subject, site)
            pages += 1
            where = f"{kind} {subject_id} /q/{slug}"
            assert not ID_NUMBER.search(html), where
            assert not LONG_DIGITS.search(html), where
            assert not COORDINATE.search(html), (where, COORDINATE.search(html))
            if kind == "household":
                h = households[subject_id]
                # the head is shown masked; no member's name, however the cadre or a place is called
                shown_elsewhere = {subject.cadre_name, *(link.project_name for link in subject.links)}
                for name in names[subject_id] | {h.head_name}:
                    if not any(name in other for other in shown_elsewhere if other):
                        assert name not in html, (where, name)
                assert h.phone not in html and h.bank_account not in html and h.household_number not in html, where
                for value in (h.lon, h.lat):
                    assert f"{value:.2f}" not in html, where
            else:
                p = projects[subject_id]
                for value in (p.lon, p.lat):
                    assert f"{value:.3f}" not in html, where
        assert pages == len(slugs)

        # the complaint form of a page shows no more than the page
        for slug, _kind, _ in slugs[:20]:
            form = render_complaint_form(page_subject(s, slug), site, "n" * 22)
            assert not ID_NUMBER.search(form) and not COORDINATE.search(form)
