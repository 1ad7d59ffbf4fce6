"""The complaint form behind every public page: stored once with a reference, bad input kept and explained."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from sandbox.server.public.routes import COMPLAINT_LIMIT
from sandbox.store.models import Complaint
from sandbox.store.public import revoke_slug
from tests.public.conftest import active_slug, linked_households

REFERENCE = re.compile(r'<div class="big num" id="reference">(TS\d{8}-[2-9A-Z]{6})</div>')


def _nonce(client, slug: str) -> str:
    r = client.get(f"/q/{slug}/complaint")
    assert r.status_code == 200 and "问题描述" in r.text and "联系电话" in r.text
    return re.search(r'name="nonce" value="([^"]+)"', r.text).group(1)


def _stored(sessions, **where) -> list[Complaint]:
    with sessions() as s:
        q = select(Complaint)
        for k, v in where.items():
            q = q.where(getattr(Complaint, k) == v)
        return list(s.scalars(q))


def test_a_complaint_is_stored_once_with_a_reference(client, sessions, household):
    h, slug = household
    nonce = _nonce(client, slug)
    text = "帮扶干部今年没有来过我家, 分红也没有收到。"
    form = {"nonce": nonce, "text": text, "phone": "138 0854 1234"}
    r = client.post(f"/q/{slug}/complaint", data=form)
    assert r.status_code == 200, r.text[:300]
    reference = REFERENCE.search(r.text).group(1)
    assert "已收到您反映的问题" in r.text and "回访" in r.text
    # a double tap, a reload, a retry after a lost answer: the same form again is the same complaint
    for _ in range(3):
        again = client.post(f"/q/{slug}/complaint", data=form)
        assert REFERENCE.search(again.text).group(1) == reference
    rows = _stored(sessions, submission_id=nonce)
    assert len(rows) == 1
    c = rows[0]
    assert (c.reference, c.text, c.phone, c.kind, c.subject_id, c.region_code, c.status) == \
        (reference, text, "13808541234", "household", h.id, h.village_code, "new")
    assert c.subject_name.startswith(h.head_name[0]) and h.head_name not in c.subject_name  # as the page showed it


def test_a_project_complaint_names_the_project(client, sessions, project):
    p, slug = project
    r = client.post(f"/q/{slug}/complaint", data={"nonce": _nonce(client, slug), "text": "大棚里的工资拖欠两个月了"})
    reference = REFERENCE.search(r.text).group(1)
    (c,) = _stored(sessions, reference=reference)
    assert (c.kind, c.subject_id, c.subject_name, c.phone) == ("project", p.id, p.name, None)
    assert "回访" not in r.text.split("受理编号")[1]  # no phone left, no call back promised


def test_bad_input_is_explained_and_what_was_typed_is_kept(client, sessions, household):
    slug = household[1]
    before = len(_stored(sessions))
    cases = [
        ({"text": "", "phone": "13800000000"}, "请填写问题描述", "13800000000"),
        ({"text": "太短", "phone": ""}, "至少 5 个字", "太短"),
        ({"text": "村里的分红名单有问题" * 60, "phone": ""}, "最多 500 字", "村里的分红名单有问题"),
        ({"text": "分红名单里有已经去世的人", "phone": "12345"}, "联系电话格式不对", "分红名单里有已经去世的人"),
        ({"text": "分红名单<script>alert(1)</script>有问题", "phone": "abc"}, "联系电话格式不对", "&lt;script&gt;"),
    ]
    for form, why, kept in cases:
        r = client.post(f"/q/{slug}/complaint", data={"nonce": _nonce(client, slug), **form})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert why in r.text and kept in r.text and "<script>alert" not in r.text
    r = client.post(f"/q/{slug}/complaint", content=b"text=\xff\xfe\xfd", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and "无法识别" in r.text
    assert len(_stored(sessions)) == before


def test_a_complaint_to_a_revoked_or_unknown_slug_is_not_stored(client, sessions):
    with sessions() as s:
        h = linked_households(s, 1, offset=9)[0]
        slug = active_slug(s, "household", h.id)
    nonce = _nonce(client, slug)
    with sessions() as s:
        revoke_slug(s, slug)
        s.commit()
    before = len(_stored(sessions))
    for target in (slug, "NOSUCHSLUG000000"):
        r = client.post(f"/q/{target}/complaint", data={"nonce": nonce, "text": "这个项目的公示牌被拆了"})
        assert r.status_code == 404 and "没有找到这个公示页面" in r.text
    assert len(_stored(sessions)) == before


def test_complaints_are_rate_limited_per_client_and_the_text_is_kept(client, sessions, project):
    slug = project[1]
    limit = int(COMPLAINT_LIMIT.split("/")[0])
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Complaint))
    for i in range(limit):
        r = client.post(f"/q/{slug}/complaint", data={"nonce": f"rate-limit-test-{i:04d}", "text": f"第 {i} 次反映同一个问题"})
        assert r.status_code == 200
    r = client.post(f"/q/{slug}/complaint", data={"nonce": "rate-limit-test-last", "text": "第 11 次反映同一个问题"})
    assert r.status_code == 429 and "提交过于频繁" in r.text and "第 11 次反映同一个问题" in r.text
    assert int(r.headers["retry-after"]) >= 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Complaint)) == before + limit
