"""The desk's 打印 workbench: the brief, a village's 明白卡 and a project's 信息榜 as PDF downloads under a Chinese
file name, within the account's region; the brief masked as the signed-in role sees it and logged for names."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select

from sandbox.store.db import session_factory
from sandbox.store.models import Household, Project, ProjectBeneficiary, Region
from sandbox.store.office.tables import AccessLogEntry
from tests.console.conftest import csrf_of

PAGE = "/console/command/prints"
TOWN, OTHER_TOWN = "522726103000", "522726101000"


def _make(console, what: str, **fields):
    page = console.get(PAGE)
    return console.post(f"{PAGE}/{what}", data={"csrf": csrf_of(page.text), **fields})


def _linked_village(engine, prefix: str) -> str:
    with session_factory(engine)() as s:
        return s.scalar(select(Household.village_code)
                        .join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
                        .where(Household.village_code.startswith(prefix[:9])).order_by(Household.village_code).limit(1))


def _project_in(engine, prefix: str) -> Project:
    with session_factory(engine)() as s:
        p = s.scalars(select(Project).where(Project.region_code.startswith(prefix[:9])).order_by(Project.id)
                      .limit(1)).one()
        s.expunge(p)
        return p


def _briefs_logged(engine) -> int:
    with session_factory(engine)() as s:
        return s.scalar(select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.what == "brief"))


def test_a_town_clerk_downloads_their_towns_brief_as_a_pdf_under_a_chinese_name(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    page = console.get(PAGE)
    assert page.status_code == 200 and 'id="brief"' in page.text and 'id="cards"' in page.text
    before = _briefs_logged(demo_engine)
    r = _make(console, "brief", region=TOWN, year="2019")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="brief-522726103000-2019.pdf"')
    with session_factory(demo_engine)() as s:
        town = s.get(Region, TOWN).name
    assert disposition.endswith(f"; filename*=UTF-8''{quote(f'{town}镇情简报-2019.pdf')}")
    assert _briefs_logged(demo_engine) == before + 1  # a leader's brief names the households still poor


def test_a_display_accounts_brief_is_masked_and_names_nobody_so_logs_nothing(console, signed_in, demo_engine):
    signed_in("display")
    before = _briefs_logged(demo_engine)
    r = _make(console, "brief", region=TOWN, year="2020")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    assert _briefs_logged(demo_engine) == before


def test_a_brief_outside_the_region_or_for_a_missing_year_is_refused_with_the_form_kept(console, signed_in):
    signed_in("leader", TOWN)
    r = _make(console, "brief", region=OTHER_TOWN, year="2019")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "不在您的辖区" in r.text and 'id="error"' in r.text
    r = _make(console, "brief", region=TOWN, year="1999")
    assert r.status_code == 422 and "超出数据范围" in r.text
    assert f'<option value="{TOWN}" selected>' in r.text  # the form comes back as it was
    assert _make(console, "brief", region="52272610", year="2019").status_code == 422
    assert _make(console, "brief", region="522726999000", year="2019").status_code == 422


def test_a_villages_cards_and_a_projects_board_download_as_pdfs(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    village = _linked_village(demo_engine, TOWN)
    r = _make(console, "cards", village=village)
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    assert quote("利益联结明白卡") in r.headers["content-disposition"]
    project = _project_in(demo_engine, TOWN)
    r = _make(console, "board", project=str(project.id), paper="A4")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    assert quote("扶贫信息榜-A4.pdf") in r.headers["content-disposition"]


def test_cards_and_boards_stay_within_the_region_and_bad_fields_say_why(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    page = console.get(PAGE).text
    cards = page.split('name="village"')[1].split("</select>")[0]
    assert _linked_village(demo_engine, TOWN) in cards and _linked_village(demo_engine, OTHER_TOWN) not in cards
    r = _make(console, "cards", village=_linked_village(demo_engine, OTHER_TOWN))
    assert r.status_code == 403 and "不在您的辖区" in r.text
    r = _make(console, "board", project=str(_project_in(demo_engine, OTHER_TOWN).id), paper="A3")
    assert r.status_code == 403 and "不在您的辖区" in r.text
    assert _make(console, "board", project="abc", paper="A3").status_code == 422
    assert _make(console, "board", project="99999999", paper="A3").status_code == 404
    assert _make(console, "board", project=str(_project_in(demo_engine, TOWN).id), paper="B5").status_code == 422
    assert _make(console, "cards", village=TOWN).status_code == 422  # a town is not a village
    assert _make(console, "posters").status_code == 404


def test_a_forged_form_prints_nothing(console, signed_in):
    signed_in("admin")
    console.get(PAGE)
    r = console.post(f"{PAGE}/brief", data={"csrf": "forged", "region": TOWN, "year": "2019"})
    assert r.status_code == 403 and "表单已失效" in r.text and r.content[:5] != b"%PDF-"
