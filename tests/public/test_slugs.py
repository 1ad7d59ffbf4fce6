"""The demo's slugs: one active per project and per linked household, unguessable, nothing else has one."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select

from sandbox.store.models import Project, ProjectBeneficiary, PublicSlug
from sandbox.store.public import SLUG_PATTERN, ensure_slugs, resolve_slug


def test_every_project_and_linked_household_has_one_unguessable_slug(sessions):
    with sessions() as s:
        active = s.execute(select(PublicSlug.slug, PublicSlug.kind, PublicSlug.subject_id)
                           .where(PublicSlug.revoked_at.is_(None))).all()
        projects = set(s.scalars(select(Project.id)))
        linked = set(s.scalars(select(ProjectBeneficiary.household_id).distinct()))
        revoked = set(s.scalars(select(PublicSlug.subject_id).where(PublicSlug.kind == "household",
                                                                    PublicSlug.revoked_at.is_not(None))))
    per_subject = Counter((kind, sid) for _, kind, sid in active)
    # tests may revoke some and make new ones: still one active each
    assert max(per_subject.values()) == 1
    assert {sid for kind, sid in per_subject if kind == "project"} == projects
    # every linked household got one; one whose page another test revoked may be without (until asked)
    assert {sid for kind, sid in per_subject if kind == "household"} | revoked >= linked
    slugs = [slug for slug, _, _ in active]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG_PATTERN.match(x) and len(x) >= 16 for x in slugs)
    # random, not a number or a code in disguise: digits no more common than in random base64 text
    digits = sum(c.isdigit() for x in slugs for c in x) / sum(len(x) for x in slugs)
    assert 0.1 < digits < 0.22
    assert not any(re.fullmatch(r"\d+", x) for x in slugs)


def test_ensure_is_idempotent_and_resolve_refuses_malformed_slugs(sessions):
    with sessions() as s:
        pid = s.scalars(select(Project.id).order_by(Project.id.desc())).first()
        first = ensure_slugs(s, "project", [pid])
        again = ensure_slugs(s, "project", [pid, pid])
        s.rollback()
        assert first == again and len(first) == 1
        for bad in ("", "short", "a" * 33, "../../etc/passwd", "slug with space", "名字名字名字名字名字", None, 42):
            assert resolve_slug(s, bad) is None
