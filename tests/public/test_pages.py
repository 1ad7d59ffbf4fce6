"""The public QR pages over HTTP: what a household's and a project's page say, 404s, revocation, rate limits."""

from __future__ import annotations

import base64
import hashlib
import re

from sqlalchemy import func, select

from sandbox.domain.masking import mask_name
from sandbox.domain.public import yuan_zh
from sandbox.server.public.routes import PAGE_LIMIT
from sandbox.store.models import (
    Assignment,
    Cadre,
    FundAllocation,
    FundPayment,
    HouseholdYear,
    Project,
    ProjectBeneficiary,
    Region,
)
from sandbox.store.public import ensure_slugs, revoke_slug
from tests.public.conftest import active_slug, linked_households


def _is_page(r, status: int = 200) -> str:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert "<html lang=\"zh-CN\">" in r.text
    return r.text


def test_household_page_shows_the_card_masked(client, sessions, household):
    h, slug = household
    page = _is_page(client.get(f"/q/{slug}"))
    with sessions() as s:
        village = s.get(Region, h.village_code)
        cadre = s.scalars(select(Cadre).join(Assignment, Assignment.cadre_id == Cadre.id)
                          .where(Assignment.household_id == h.id, Assignment.end_year.is_(None))
                          .order_by(Assignment.start_year.desc(), Assignment.id.desc())).first()
        links = s.execute(select(Project.name, ProjectBeneficiary.yearly_income)
                          .join(ProjectBeneficiary, ProjectBeneficiary.project_id == Project.id)
                          .where(ProjectBeneficiary.household_id == h.id)).all()
        members = s.scalar(select(HouseholdYear.members).where(HouseholdYear.household_id == h.id)
                           .order_by(HouseholdYear.year.desc()).limit(1))
    assert mask_name(h.head_name) in page
    assert h.head_name not in page and h.id_number not in page and (h.phone or "-") not in page
    assert village.name in page and f"{members} 人" in page
    assert cadre.name in page and f'href="tel:{cadre.phone}"' in page  # the 帮扶责任人's work phone, one tap
    for name, income in links:
        assert name in page
        if income is not None:
            assert f"约 {income:,.0f} 元" in page
    assert "帮扶措施" in page and "医疗保障" in page
    assert f'href="/q/{slug}/complaint"' in page


def test_project_page_is_its_notice_board(client, sessions, project):
    p, slug = project
    page = _is_page(client.get(f"/q/{slug}"))
    with sessions() as s:
        households = s.scalar(select(func.count()).where(ProjectBeneficiary.project_id == p.id))
        allocated = s.scalar(select(func.sum(FundAllocation.allocated)).where(FundAllocation.project_id == p.id))
        paid = s.scalar(select(func.sum(FundPayment.amount)).join(FundAllocation).where(FundAllocation.project_id == p.id))
    assert p.name in page and "铁皮石斛" in page and "移交" in page and "100%" in page
    assert yuan_zh(p.budget) in page
    assert re.search(rf"带动 <span[^>]*>{households}</span> 户", page)
    assert f"下达 <strong>{yuan_zh(allocated)}</strong>" in page and f"支付 <strong>{yuan_zh(paid)}</strong>" in page
    assert "文号" in page  # the fund chain names its documents
    assert f"{p.lon:.3f}" not in page and f"{p.lat:.3f}" not in page  # the site's village, not its spot
    assert f'href="/q/{slug}/complaint"' in page


def test_pages_fetch_nothing_from_elsewhere_and_are_not_cached(client, household, project):
    for slug in (household[1], project[1]):
        r = client.get(f"/q/{slug}")
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
        assert "<script" not in r.text and not re.search(r"(src|href)=\"(https?:)?//", r.text)
        head = client.head(f"/q/{slug}")
        assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")
    assert client.head("/q/NOSUCHSLUG000000").status_code == 404


def test_a_complaint_form_runs_its_photo_pickers_script_and_no_other(client, project):
    """The form's one script (the picker's words) is allowed by its hash; no inline or fetched script runs."""
    for path in (f"/q/{project[1]}/complaint", "/q/complaint"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        scripts = re.findall(r"<script>(.*?)</script>", r.text, re.S)
        assert len(scripts) == 1 and r.text.count("<script") == 1, path
        digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}';" in csp, csp
        assert "default-src 'none'" in csp and re.search(r"script-src [^;]*(unsafe|self|http)", csp) is None
        assert '<label for="photos" class="btn btn-report">选择照片</label>' in r.text


def test_unknown_slug_is_a_plain_chinese_404(client):
    for path in ("/q/AAAAAAAAAAAAAAAA", "/q/x", "/q/" + "a" * 200, "/q/%2e%2e%2fetc", "/q/abc/def/ghi",
                 "/q/AAAAAAAAAAAAAAAA/complaint"):
        page = _is_page(client.get(path), 404)
        assert "没有找到这个公示页面" in page and "Traceback" not in page


def test_a_revoked_slug_answers_404_at_once_and_a_new_one_is_made_on_demand(client, sessions):
    with sessions() as s:
        h = linked_households(s, 1, offset=5)[0]
        slug = active_slug(s, "household", h.id)
    assert client.get(f"/q/{slug}").status_code == 200
    with sessions() as s:
        assert revoke_slug(s, slug) is True
        s.commit()
        assert revoke_slug(s, slug) is False
    page = _is_page(client.get(f"/q/{slug}"), 404)
    assert "二维码可能已停用" in page
    with sessions() as s:
        fresh = ensure_slugs(s, "household", [h.id])[h.id]
        s.commit()
    assert fresh != slug and len(fresh) >= 16
    assert mask_name(h.head_name) in _is_page(client.get(f"/q/{fresh}"))
    assert client.get(f"/q/{slug}").status_code == 404


def test_public_pages_are_rate_limited_per_client(client, household):
    limit = int(PAGE_LIMIT.split("/")[0])
    slug = household[1]
    codes = [client.get(f"/q/{slug}" if i % 2 else "/q/NOSUCHSLUG0000").status_code for i in range(limit)]
    assert set(codes) <= {200, 404}
    r = client.get(f"/q/{slug}")
    page = _is_page(r, 429)
    assert "访问过于频繁" in page and int(r.headers["retry-after"]) >= 1
    # the wall's API is not counted against the QR pages
    assert client.get("/api/v1/health").status_code == 200


def test_hostile_addresses_and_bodies_are_never_a_server_error(client, household):
    slug = household[1]
    paths = ["/q/%00", "/q/%ff%fe", "/q/' OR 1=1 --", "/q/" + "王" * 300, "/q/" + "A" * 10_000, "/q/%0d%0aSet-Cookie:x",
             f"/q/{slug}%00", f"/q/{slug}/complaint/extra"]
    for path in paths:
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
    bodies = [b"", b"nonce=&text=&phone=", b"text=" + b"%" * 5000, b"\x00" * 1000, b"text=a&text=b&" * 50,
              b"text=" + ("正常的投诉内容" * 10).encode("gbk")]
    for body in bodies:
        r = client.post(f"/q/{slug}/complaint", content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code in (200, 422), (body[:40], r.status_code)
        assert r.headers["content-type"].startswith("text/html")
    r = client.post(f"/q/{slug}/complaint", files={"text": ("a.txt", b"x" * 100)})  # multipart: not the form
    assert r.status_code == 422 and "请填写问题描述" in r.text
