"""Satisfaction call-backs: the monthly list (reproducible, stratified, recent calls left out), the xlsx
round trip through the call centre, and 群众认可度 computed from the call records."""

from __future__ import annotations

import csv
from collections import Counter

import openpyxl
import pytest
from sqlalchemy import delete, select

from sandbox.store.command.callbacks import MIN_PER_VILLAGE, Callback, call_list, satisfaction_by_year
from sandbox.store.importers.callbacks import HEADER, export_call_list, import_callbacks
from sandbox.store.models import Household, HouseholdYear, RegionYearTotals

COUNTY = "522726000000"
# 群众认可度 of the demo county as the wall has shown it since the demo was built (满意 ÷ 有效答复)
DEMO_FIGURES = {2016: 82.11, 2017: 92.81, 2018: 95.25, 2019: 97.09, 2020: 98.17}


@pytest.fixture()
def cleanup(demo_engine):
    """Calls this test records in 2021 (no household-year then: the figures stay) go afterwards."""
    yield
    with demo_engine.begin() as conn:
        conn.execute(delete(Callback).where(Callback.month >= "2021-01"))


def _county_rates(conn) -> dict[int, float]:
    rows = conn.execute(select(RegionYearTotals.year, RegionYearTotals.survey_satisfied, RegionYearTotals.survey_answers)
                        .where(RegionYearTotals.region_code == COUNTY)).all()
    return {y: round(100 * s / n, 2) for y, s, n in rows if n}


def test_the_demos_call_backs_give_its_yearly_figures(demo_engine):
    with demo_engine.connect() as conn:
        from_calls = {y: round(100 * a / n, 2) for y, (a, n) in satisfaction_by_year(conn).items()}
        shown = _county_rates(conn)
        outcomes = Counter(conn.execute(select(Callback.outcome)).scalars())
    assert from_calls == DEMO_FIGURES
    assert shown == DEMO_FIGURES  # what the wall reads (region totals) is what the call records say
    assert outcomes["no_answer"] > 0 and outcomes["refused"] > 0  # not every call reaches someone


def test_the_list_is_reproducible_stratified_and_leaves_out_recent_calls(demo_engine, tmp_path, cleanup):
    with demo_engine.connect() as conn:
        first = call_list(conn, "2021-01")
        assert first == call_list(conn, "2021-01")  # same month, same records: same list
        other = call_list(conn, "2021-02")
        mid_2019 = call_list(conn, "2019-06")
    assert {r.household_id for r in first} != {r.household_id for r in other}
    per_village = Counter(r.village_code for r in first)
    assert len(per_village) > 100 and min(per_village.values()) >= MIN_PER_VILLAGE - 1
    assert {"poor", "exited"} <= {r.stratum for r in mid_2019}  # every stratum drawn
    village, size = Counter(r.village_code for r in mid_2019).most_common(1)[0]
    with demo_engine.connect() as c:
        mix = Counter(c.execute(select(HouseholdYear.status).join(Household, Household.id == HouseholdYear.household_id)
                                .where(Household.village_code == village, HouseholdYear.year == 2019,
                                       HouseholdYear.status != "closed")).scalars())
    drawn = Counter(r.stratum for r in mid_2019 if r.village_code == village)
    for status, k in drawn.items():  # the village's mix, give or take the rounding
        assert abs(k - size * mix[status] / sum(mix.values())) <= 1.5, (status, drawn, mix)
    # the call centre reaches them all in January: none of them is drawn again in the months after
    path = tmp_path / "calls.xlsx"
    assert export_call_list(demo_engine, path, "2021-01") == len(first)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        row[7].value, row[8].value = "接通", "满意"
    wb.save(path)
    result = import_callbacks(demo_engine, path)
    assert result.imported == len(first) and result.rejected == 0
    with demo_engine.connect() as conn:
        later = call_list(conn, "2021-04")
        much_later = call_list(conn, "2021-09")
    called = {r.household_id for r in first}
    assert not called & {r.household_id for r in later}
    assert called & {r.household_id for r in much_later}  # six months on, they may be called again


def test_xlsx_round_trip_with_one_bad_row(demo_engine, tmp_path, cleanup):
    path = tmp_path / "calls.xlsx"
    n = export_call_list(demo_engine, path, "2021-03", region="522726103")  # 基长镇
    assert n > 10
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert tuple(c.value for c in ws[1]) == HEADER
    rows = list(ws.iter_rows(min_row=2))
    answers = [("接通", "满意", None), ("接通", "基本满意", None), ("接通", "不满意", "帮扶干部来得少"),
               ("未接通", None, None), ("拒访", None, None)]
    for i, row in enumerate(rows):
        row[7].value, row[8].value, row[9].value = answers[i % len(answers)]
        row[10].value, row[11].value = "坐席03", "2021-03-12 10:30"
    rows[1][8].value = "很满意"  # not an answer the sheet allows
    rows[-1][7].value = rows[-1][8].value = rows[-1][9].value = None  # not reached this month: no outcome
    wb.save(path)

    result = import_callbacks(demo_engine, path)
    assert (result.imported, result.rejected, result.not_called) == (n - 2, 1, 1)
    report = list(csv.reader(result.report_path.open(encoding="utf-8-sig")))
    assert report[0][:2] == ["级别", "文件"]
    (bad,) = [r for r in report[1:] if r[0] == "错误"]
    assert bad[3] == "3" and bad[4] == "满意度" and bad[5] == "很满意" and "基本满意" in bad[6]
    with demo_engine.connect() as conn:
        stored = conn.execute(select(Callback.outcome, Callback.satisfaction, Callback.reason, Callback.caller)
                              .where(Callback.month == "2021-03")).all()
    assert len(stored) == n - 2
    assert ("connected", "dissatisfied", "帮扶干部来得少", "坐席03") in stored

    again = import_callbacks(demo_engine, path)  # the same sheet twice: nothing new, nothing counted twice
    assert (again.imported, again.unchanged, again.rejected) == (0, n - 2, 1)
    with demo_engine.connect() as conn:
        assert conn.execute(select(Callback.id).where(Callback.month == "2021-03")).all().__len__() == n - 2


def test_an_imported_answer_moves_the_figure_and_back(demo_engine, tmp_path):
    with demo_engine.connect() as conn:
        hid, number = conn.execute(
            select(Household.id, Household.household_number).join(HouseholdYear, HouseholdYear.household_id == Household.id)
            .where(HouseholdYear.year == 2020, HouseholdYear.survey_satisfied.is_(True), HouseholdYear.status != "closed")
            .order_by(Household.id).limit(1)).one()
        before = conn.execute(select(RegionYearTotals.survey_satisfied).where(
            RegionYearTotals.region_code == COUNTY, RegionYearTotals.year == 2020)).scalar()
    path = tmp_path / "one.csv"

    def sheet(answer: str, reason: str = "") -> None:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerow(["2020-12", "", "", number, "", "", "", "接通", answer, reason, "坐席01", "2020-12-20"])

    try:
        sheet("不满意", "危房改造进度慢")
        assert import_callbacks(demo_engine, path).imported == 1
        with demo_engine.connect() as conn:
            after = conn.execute(select(RegionYearTotals.survey_satisfied).where(
                RegionYearTotals.region_code == COUNTY, RegionYearTotals.year == 2020)).scalar()
        assert after == before - 1  # December's answer is the household's 2020 answer now
        sheet("满意")
        assert import_callbacks(demo_engine, path).imported == 1
        with demo_engine.connect() as conn:
            assert _county_rates(conn) == DEMO_FIGURES
    finally:
        with demo_engine.begin() as conn:
            conn.execute(delete(Callback).where(Callback.household_id == hid, Callback.month == "2020-12"))
