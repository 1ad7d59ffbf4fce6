"""What the panels show, decided in plain Python (no Qt): KPI texts, breakdown rows, guarantees, trend."""

import pytest

from sandbox.ui.panels.model import (
    TrendDataError,
    as_of_text,
    cause_breakdown,
    exit_batch_rows,
    guarantee_rows,
    kpi_figures,
    parse_trend,
)


def by_key(figures):
    return {f.key: f for f in figures}


def test_kpi_figures_are_formatted_like_the_map(region):
    f = by_key(kpi_figures(region))
    assert f["poor_population"].display_text == "46,572人"
    assert f["poor_population"].number_text == "46,572" and f["poor_population"].unit_text == "人"
    assert f["poverty_incidence"].display_text == "15.1%"
    assert f["exited_population"].display_text == "38,301人"
    assert f["cadres"].display_text == "6,406人"
    assert f["fund_arrival_rate"].display_text == "92.1%"
    assert f["poor_villages"].display_text == "40 / 74个"
    assert f["poor_villages"].note == "待出列 34 个" and f["poor_villages"].tone == "bad"
    assert [x.label for x in kpi_figures(region)][:3] == ["贫困人口", "贫困发生率", "累计脱贫人口"]


def test_null_is_no_data_never_zero(region):
    region["indicators"].update(poor_population=None, poverty_incidence=None, exited_poor_villages=None)
    f = by_key(kpi_figures(region))
    assert f["poor_population"].display_text == "无数据"
    assert f["poverty_incidence"].display_text == "无数据"
    assert f["poor_villages"].display_text == "无数据"
    assert all(x.display_text == "无数据" for x in kpi_figures(None))
    assert all(not x.note for x in kpi_figures(None))


def test_a_year_with_no_allocation_says_so(region):
    region["indicators"]["fund_arrival_rate"] = None  # the API's rate over no allocation that year
    region["indicator_notes"] = {"fund_arrival_rate": "无下达资金", "income_ok_rate": "无贫困户"}
    f = by_key(kpi_figures(region))["fund_arrival_rate"]
    assert f.display_text == "无下达资金" and not f.note and f.label == "当年资金到位率"
    # without the API's note the value is unknown: 无数据, with no remark made up
    del region["indicator_notes"]
    f = by_key(kpi_figures(region))["fund_arrival_rate"]
    assert f.display_text == "无数据" and not f.note
    # last year had none to measure: the remark says so, not 上年无数据
    region["indicators"]["fund_arrival_rate"] = 99.5
    prev = {"fund_arrival_rate": None, "indicator_notes": {"fund_arrival_rate": "无下达资金"}}
    assert by_key(kpi_figures(region, prev))["fund_arrival_rate"].note == "上年无下达资金"
    assert by_key(kpi_figures(region, {"fund_arrival_rate": None}))["fund_arrival_rate"].note == "上年无数据"
    # a note for a value that is there is ignored (a malformed answer)
    region["indicator_notes"] = {"poverty_incidence": "无农村户籍人口"}
    assert by_key(kpi_figures(region))["poverty_incidence"].display_text != "无农村户籍人口"


def test_change_versus_last_year(region, make_region):
    prev = make_region(2015)["indicators"]
    f = by_key(kpi_figures(region, prev))
    assert f["poverty_incidence"].note == "较上年下降 3.5个百分点" and f["poverty_incidence"].tone == "good"
    assert f["poor_population"].note.startswith("较上年减少 ") and f["poor_population"].tone == "good"
    assert f["satisfaction_rate"].note == "上年无数据"
    assert f["cadres"].note == "与上年持平" and f["cadres"].tone == "neutral"
    worse = dict(prev, fund_arrival_rate=95.0)
    assert by_key(kpi_figures(region, worse))["fund_arrival_rate"].tone == "bad"
    assert by_key(kpi_figures(region))["poverty_incidence"].note == ""  # no previous year known


def test_all_poor_villages_exited(region):
    region["indicators"]["exited_poor_villages"] = 74
    f = by_key(kpi_figures(region))["poor_villages"]
    assert f.display_text == "74 / 74个" and f.note == "已全部出列" and f.tone == "good"


def test_exit_batches_in_policy_order_with_labels(region):
    rows = exit_batch_rows(region)
    assert [r.label for r in rows] == ["发展生产脱贫一批", "易地搬迁脱贫一批", "生态补偿脱贫一批",
                                       "发展教育脱贫一批", "社会保障兜底一批"]
    assert rows[0].population == 20903 and rows[0].households == 5797
    assert exit_batch_rows({"indicators": {}}) is None  # no breakdowns at all: 无数据
    assert all(r.population == 0 for r in exit_batch_rows({"breakdowns": {}}))


def test_cause_breakdown_top_five_and_the_rest(region):
    b = cause_breakdown(region, top=5)
    assert b.households == 12918
    assert [s.label for s in b.slices] == ["因病", "缺技术", "缺资金", "缺劳动力", "因残", "其余7类"]
    assert b.slices[0].percent_text == "24.9%"
    assert sum(s.share for s in b.slices) == pytest.approx(1.0)
    assert cause_breakdown({"breakdowns": {"cause": {}}}).slices == ()
    assert cause_breakdown({}) is None


def test_guarantee_rows_rates_and_gaps(region):
    rows = {r.key: r for r in guarantee_rows(region)}
    assert [r.label for r in guarantee_rows(region)] == ["不愁吃、不愁穿", "义务教育", "基本医疗", "住房安全", "饮水安全"]
    assert rows["food_clothing"].status == "ok" and rows["food_clothing"].gap_text == "已全部保障"
    assert rows["food_clothing"].rate == 100.0  # derived: nobody short of it
    assert rows["housing"].status == "gap" and rows["housing"].gap_text == "缺口 3,080户"
    assert rows["housing"].rate_text == "86.9%"
    region["indicators"]["water_safe_rate"] = None
    assert {r.key: r for r in guarantee_rows(region)}["water"].rate_text == "无数据"
    assert all(r.status == "nodata" for r in guarantee_rows({"indicators": {}}))


def test_parse_trend_sorts_and_validates():
    s = parse_trend({"indicator": "poverty_incidence", "points": [
        {"year": 2015, "value": 18.6}, {"year": 2014, "value": None}]}, "poverty_incidence")
    assert s.years == (2014, 2015) and s.values == (None, 18.6) and s.value_at(2015) == 18.6
    with pytest.raises(TrendDataError):
        parse_trend({"points": "x"})
    with pytest.raises(TrendDataError):
        parse_trend({"indicator": "poverty_incidence", "points": [{"year": 2014, "value": "high"}]})
    with pytest.raises(TrendDataError):
        parse_trend({"indicator": "poor_population", "points": []}, "poverty_incidence")


def test_as_of_text():
    assert as_of_text("2020-12-31T00:00:00+08:00") == "数据截至 2020年12月31日"
    assert as_of_text("2021-03-05T18:30:00+08:00") == "数据截至 2021年03月05日 18:30"
    assert as_of_text(None) == "数据截至 未知"


def test_as_of_text_names_the_import_apart_from_the_registers_date():
    assert as_of_text("2020-12-31", "2021-03-05T18:30:00+08:00") == "数据截至 2020年12月31日 · 导入于 2021年03月05日"
    # a register that stated no date of its own: its import time, said as such, not as 数据截至
    assert as_of_text("2021-03-05T18:30:00+08:00", "2021-03-05T18:30:00+08:00") == "导入于 2021年03月05日 18:30"


def test_unknown_breakdowns_are_no_data_not_zero(region):
    region = dict(region, breakdowns=dict(region["breakdowns"], exit_batch=None,
                                          gap=dict(region["breakdowns"].get("gap") or {}, food_clothing=None)))
    assert exit_batch_rows(region) is None  # the panel shows 无数据, not five bars of 0
    food = {r.key: r for r in guarantee_rows(region)}["food_clothing"]
    assert food.status == "nodata" and food.gap_text == "无数据" and food.rate_text == "无数据"


def test_the_model_needs_no_qt():
    import subprocess
    import sys

    code = ("import sys, sandbox.ui.panels.model as m; m.kpi_figures(None); "
            "assert not any(k.startswith(('PySide6', 'pyqtgraph')) for k in sys.modules), 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True)

