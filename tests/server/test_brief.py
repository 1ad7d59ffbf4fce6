"""The 村情/镇情 briefing PDF: GET /regions/{code}/brief.pdf masked by the caller's role, and `sandbox brief`."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.cli import main
from sandbox.domain.enums import HouseholdStatus
from sandbox.domain.indicators import compute_indicators
from sandbox.domain.regions import RegionCode
from sandbox.store import queries
from sandbox.store.models import Household, HouseholdYear
from tests.conftest import auth
from tests.server.test_duty import TOWN_B, sources  # noqa: F401  (the registered test sources)

ID_RUN = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _pages(body: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(body)
    return [pdf[i].get_textpage().get_text_range().replace("\r", "") for i in range(len(pdf))]


def _figures(demo_engine, code: str) -> tuple[int, dict]:
    with Session(demo_engine) as s:
        year = queries.years(s)[-1]
        return year, compute_indicators(queries.summed_facts(s, RegionCode(code), year))


def _first_poor(demo_engine, code: str, year: int) -> Household:
    with Session(demo_engine) as s:
        return s.scalars(select(Household).join(HouseholdYear, HouseholdYear.household_id == Household.id).where(
            Household.village_code.startswith(code[:9]), HouseholdYear.year == year,
            HouseholdYear.status.in_(HouseholdStatus.counted_poor())).order_by(
            Household.village_code, Household.household_number)).first()


def test_a_towns_brief_for_a_leader(api, tokens, demo_engine, sources):  # noqa: F811
    r = api.get(f"/api/v1/regions/{TOWN_B}/brief.pdf", headers=auth(tokens["leader"]), params={"year": 2017})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf" and r.headers["cache-control"] == "no-store"
    pages = _pages(r.content)
    assert len(pages) >= 2
    text = "\n".join(pages)
    with Session(demo_engine) as s:
        year = 2017
        values = compute_indicators(queries.summed_facts(s, RegionCode(TOWN_B), year))
    assert "镇情简报" in pages[0] and "数据截至" in pages[0]
    assert f"{values['poverty_incidence']:.2f}%" in text
    assert f"{values['poor_households']:,}户" in text
    for heading in ("下辖行政村分布", "贫困发生率趋势", "两不愁三保障短板", "督办事项", "未脱贫户名单"):
        assert heading in text
    assert "帮扶不实" in text and "整改帮扶台账" in text  # the open finding and rectification (test sources)
    h = _first_poor(demo_engine, TOWN_B, year)
    assert h.household_number in text and h.head_name in text  # a leader reads full names ...
    assert h.id_number not in text and not ID_RUN.search(text)  # ... and never a whole ID number
    assert h.id_number[:6] + "********" + h.id_number[-4:] in text


def test_a_delegation_brief_has_counts_and_no_household(api, tokens, demo_engine, sources):  # noqa: F811
    r = api.get(f"/api/v1/regions/{TOWN_B}/brief.pdf", headers=auth(tokens["delegation"]))
    assert r.status_code == 200
    text = "\n".join(_pages(r.content))
    year, _ = _figures(demo_engine, TOWN_B)
    h = _first_poor(demo_engine, TOWN_B, year)
    assert "不含户级信息" in text and "只列数量" in text
    assert "帮扶不实" not in text and "待办共 3 件" in text
    if h is not None:
        assert h.head_name not in text and h.household_number not in text


def test_brief_bad_input(api, tokens):
    h = auth(tokens["leader"])
    assert api.get(f"/api/v1/regions/{TOWN_B}/brief.pdf", headers=h, params={"year": 1990}).status_code == 422
    assert api.get("/api/v1/regions/522726999000/brief.pdf", headers=h).status_code == 404
    assert api.get("/api/v1/regions/52272/brief.pdf", headers=h).status_code == 422
    assert api.get(f"/api/v1/regions/{TOWN_B}/brief.pdf", headers=auth(tokens["public"])).status_code == 403
    assert api.get("/api/v1/regions/522726000000/brief.pdf", headers=auth(tokens["leader_town"])).status_code == 403


def test_cli_writes_a_village_brief(tmp_path, db_url, demo_engine, capsys):
    with Session(demo_engine) as s:
        from sandbox.store.models import Region

        village = s.scalar(select(Region.code).where(Region.parent_code == TOWN_B).order_by(Region.code))
    out = tmp_path / "brief.pdf"
    assert main(["brief", "--region", village, "--year", "2018", "-o", str(out), "--db", db_url]) == 0
    said = capsys.readouterr().out
    assert "村情简报" in said and str(out) in said
    text = "\n".join(_pages(out.read_bytes()))
    assert "村情简报" in text and "2018 年末数据" in text and not ID_RUN.search(text)


@pytest.mark.parametrize("argv, words", [
    (["--region", "522726999000", "--year", "2018"], "没有这个地区"),
    (["--region", "abc"], "区划代码无效"),
    (["--region", "522726103000", "--year", "1990"], "超出数据范围"),
])
def test_cli_bad_input_writes_nothing(tmp_path, db_url, demo_engine, capsys, argv, words):
    out = tmp_path / "brief.pdf"
    assert main(["brief", *argv, "-o", str(out), "--db", db_url]) == 2
    assert words in capsys.readouterr().err
    assert not out.exists()
