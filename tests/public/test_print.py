"""`sandbox qr cards|board|url|revoke`: the printed PDFs' QR codes, read back from the rasterised page, open their pages."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from sandbox.cli import main
from sandbox.domain.masking import mask_name
from sandbox.store.models import Household, HouseholdYear, Project, ProjectBeneficiary, PublicSlug, Region
from tests.public.conftest import active_slug

BASE = "https://fupin.example.gov.cn/dushan"


def _qr_codes(pdf_path, page: int = 0, dpi: int = 200) -> list[str]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        image = pdf[page].render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _text(pdf_path, page: int = 0) -> str:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return pdf[page].get_textpage().get_text_range().replace("\r", "")
    finally:
        pdf.close()


def _path_of(url: str) -> str:
    assert url.startswith(BASE + "/q/"), url
    return urlsplit(url).path.removeprefix(urlsplit(BASE).path)


@pytest.fixture(scope="module")
def village(demo_engine) -> tuple[str, int]:
    """A village with more than four cards (two pages at least), and how many households it has linked."""
    with demo_engine.connect() as conn:
        latest = conn.execute(select(func.max(HouseholdYear.year))).scalar()
        rows = conn.execute(
            select(Household.village_code, func.count(func.distinct(Household.id)))
            .join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
            .join(HouseholdYear, (HouseholdYear.household_id == Household.id) & (HouseholdYear.year == latest))
            .where(HouseholdYear.status != "closed").group_by(Household.village_code)
            .order_by(func.count(func.distinct(Household.id)), Household.village_code)).all()
    code, n = next((c, n) for c, n in rows if 5 <= n <= 12)
    return code, n


def test_cards_pdf_codes_open_their_households_pages(tmp_path, db_url, demo_engine, client, village, capsys):
    code, n = village
    out = tmp_path / "cards.pdf"
    assert main(["qr", "cards", "--village", code, "-o", str(out), "--base-url", BASE, "--db", db_url]) == 0
    said = capsys.readouterr().out
    assert f"{n} 张" in said and str(out) in said
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and b"/FontFile2" in data  # the CJK font travels inside the file
    assert len(pdfium.PdfDocument(str(out))) == (n + 3) // 4
    assert not [p for p in tmp_path.iterdir() if p.name != "cards.pdf"]  # no temporary file left behind

    text = _text(out)
    assert "利益联结明白卡" in text and "帮扶责任人" in text
    urls = _qr_codes(out)
    assert len(urls) == 4  # four A6 cards to the A4 page, each code readable at print resolution
    with demo_engine.connect() as conn:
        for url in urls:
            slug = _path_of(url).removeprefix("/q/")
            hid = conn.execute(select(PublicSlug.subject_id).where(PublicSlug.slug == slug,
                                                                  PublicSlug.kind == "household")).scalar()
            h = conn.execute(select(Household.head_name, Household.village_code).where(Household.id == hid)).one()
            assert h.village_code == code
            assert mask_name(h.head_name) in text  # the card names the household its code opens
            page = client.get(_path_of(url))
            assert page.status_code == 200 and mask_name(h.head_name) in page.text


def test_cards_make_slugs_on_demand_for_newly_linked_households(tmp_path, db_url, demo_engine, client, village):
    code, n = village
    with demo_engine.begin() as conn:
        latest = conn.execute(select(func.max(HouseholdYear.year))).scalar()
        hid = conn.execute(select(Household.id).join(HouseholdYear, HouseholdYear.household_id == Household.id)
                           .where(Household.village_code == code, HouseholdYear.year == latest,
                                  HouseholdYear.status != "closed",
                                  ~Household.id.in_(select(ProjectBeneficiary.household_id)))
                           .order_by(Household.id)).scalars().first()
        pid = conn.execute(select(Project.id).order_by(Project.id)).scalars().first()
        conn.execute(ProjectBeneficiary.__table__.insert().values(project_id=pid, household_id=hid, link_mode="wage",
                                                                  yearly_income=2400.0))
    try:
        with demo_engine.connect() as conn:
            assert active_slug(conn, "household", hid) is None
        out = tmp_path / "cards.pdf"
        assert main(["qr", "cards", "--village", code, "-o", str(out), "--base-url", BASE, "--db", db_url]) == 0
        with demo_engine.connect() as conn:
            slug = active_slug(conn, "household", hid)
        assert slug and client.get(f"/q/{slug}").status_code == 200
        pages = len(pdfium.PdfDocument(str(out)))
        assert any(f"/q/{slug}" in _text(out, page).replace("\n", "") for page in range(pages))
    finally:
        with demo_engine.begin() as conn:
            conn.execute(ProjectBeneficiary.__table__.delete().where(ProjectBeneficiary.household_id == hid,
                                                                     ProjectBeneficiary.project_id == pid))


def test_board_pdf_code_opens_the_projects_page(tmp_path, db_url, client, project):
    p, slug = project
    out = tmp_path / "board.pdf"
    assert main(["qr", "board", "--project", str(p.id), "-o", str(out), "--base-url", BASE, "--db", db_url]) == 0
    doc = pdfium.PdfDocument(str(out))
    assert len(doc) == 1 and round(doc[0].get_size()[0]) == 842  # A3 portrait, 297 mm
    doc.close()
    text = _text(out)
    assert "扶贫项目信息榜" in text and p.name in text and "资金使用" in text
    (url,) = _qr_codes(out, dpi=100)
    assert _path_of(url) == f"/q/{slug}"
    assert p.name in client.get(_path_of(url)).text
    a4 = tmp_path / "board-a4.pdf"
    assert main(["qr", "board", "--project", str(p.id), "-o", str(a4), "--paper", "A4", "--base-url", BASE,
                 "--db", db_url]) == 0
    assert [_path_of(u) for u in _qr_codes(a4)] == [f"/q/{slug}"]


def test_url_prints_the_page_address(db_url, client, project, capsys):
    p, slug = project
    assert main(["qr", "url", "--project", str(p.id), "--base-url", BASE, "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == f"{BASE}/q/{slug}"


def test_revoke_stops_the_page_at_once(db_url, demo_engine, client, capsys):
    with demo_engine.connect() as conn:
        slug = conn.execute(select(PublicSlug.slug).where(PublicSlug.kind == "household", PublicSlug.revoked_at.is_(None))
                            .order_by(PublicSlug.subject_id.desc())).scalars().first()
    assert client.get(f"/q/{slug}").status_code == 200
    assert main(["qr", "revoke", slug, "--db", db_url]) == 0
    assert "已停用" in capsys.readouterr().out
    assert client.get(f"/q/{slug}").status_code == 404
    assert main(["qr", "revoke", slug, "--db", db_url]) == 0
    assert "早已停用" in capsys.readouterr().out
    assert main(["qr", "revoke", "NOSUCHSLUG000000", "--db", db_url]) == 2
    assert "没有这个二维码编号" in capsys.readouterr().err


def test_bad_input_exits_2_in_chinese_and_writes_nothing(tmp_path, db_url, demo_engine, village, capsys):
    code, _ = village
    with demo_engine.connect() as conn:
        town = conn.execute(select(Region.code).where(Region.level == "town")).scalars().first()
        unlinked = conn.execute(select(Region.code).where(
            Region.level == "village", ~Region.code.in_(
                select(Household.village_code).join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id))
        )).scalars().first()
        missing_project = conn.execute(select(func.max(Project.id))).scalar() + 1
    kept = tmp_path / "kept.pdf"
    kept.write_bytes(b"an older print")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    cases = [
        (["cards", "--village", "522726999999"], kept, "没有这个村"),
        (["cards", "--village", town], kept, "没有这个村"),
        (["cards", "--village", "abc"], kept, "没有这个村"),
        (["board", "--project", str(missing_project)], kept, f"没有编号为 {missing_project} 的项目"),
        (["cards", "--village", code], tmp_path / "no-such-folder" / "cards.pdf", "不存在"),
        (["cards", "--village", code], tmp_path, "这是一个文件夹"),
        (["board", "--project", "1"], tmp_path / "no-such-folder" / "board.pdf", "不存在"),
    ]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((["cards", "--village", code], locked / "cards.pdf", "没有写入权限"))
    if unlinked:
        cases.append((["cards", "--village", unlinked], kept, "没有与产业项目有利益联结的农户"))
    for args, out, why in cases:
        assert main(["qr", *args, "-o", str(out), "--base-url", BASE, "--db", db_url]) == 2, args
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err, (args, err)
        assert kept.read_bytes() == b"an older print"
        assert not (tmp_path / "no-such-folder").exists() and list(locked.iterdir()) == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.pdf", "locked"], args
    with pytest.raises(SystemExit) as exit_:
        main(["qr", "board", "--project", "x", "-o", str(kept), "--db", db_url])
    assert exit_.value.code == 2 and "应为正整数编号" in capsys.readouterr().err
