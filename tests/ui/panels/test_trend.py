"""Trend panel: fetched on a worker, 7 points, the 3 % exit line only for incidence, errors as Chinese text."""

import threading

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from sandbox.client.api import ApiError, ApiUnavailable
from sandbox.ui.panels.column import PanelsColumn
from sandbox.ui.panels.trend import TrendPanel

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture
def make_trend(qtbot):
    def make(client, **kw):
        kw.setdefault("retry_seconds", 600)
        panel = TrendPanel(client, **kw)
        qtbot.addWidget(panel)
        panel.resize(480, 320)
        panel.show()
        return panel
    return make


def loaded(qtbot, panel):
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        pass
    return panel


def test_before_any_data_the_axes_invent_no_scale(qtbot, make_trend, fake_api):
    panel = make_trend(fake_api)
    qtbot.waitExposed(panel)
    qtbot.wait(50)  # painted while the test holds the panel
    pi = panel.plot.getPlotItem()
    assert panel.message_text() == "等待区域数据…"
    assert pi.getAxis("left").style["showValues"] is False
    assert pi.getAxis("bottom").textPen().color().alpha() == 0  # its made-up 0.2 … 0.8 are not drawn


def test_seven_points_and_the_exit_line_for_incidence(qtbot, make_trend, fake_api, region):
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    xs, ys = panel.curve.getData()
    assert list(xs) == list(range(2014, 2021)) and len(ys) == 7
    assert ys[2] == pytest.approx(15.1)
    assert panel.points()[2] == (2016, 15.1)
    assert panel.exit_line_value() == 3.0 and panel.exit_line.isVisible()
    assert panel.exit_line.label.textItem.toPlainText() == "退出线 3%"
    assert panel.title == "贫困发生率变化趋势"
    assert panel.as_of_label == "数据截至 2020年12月31日"
    assert panel.message_text() == ""
    # the current year is highlighted with its value
    assert panel.year_band.isVisible() and panel.year_band.getRegion() == pytest.approx((2015.58, 2016.42))
    assert panel.year_text.textItem.toPlainText() == "2016年 15.1%"
    # axis titles in Chinese
    assert panel.plot.getPlotItem().getAxis("bottom").labelText == "年份"
    assert panel.plot.getPlotItem().getAxis("left").labelText in ("贫困发生率（%）", "单位：%")


def test_other_indicators_have_no_exit_line(qtbot, make_trend, fake_api, region):
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.set_indicator("fund_arrival_rate")
    assert panel.exit_line_value() is None and not panel.exit_line.isVisible()
    xs, ys = panel.curve.getData()
    assert len(xs) == 7 and np.isnan(ys[0])  # 2014 has no data: a gap, not a zero
    assert panel.points()[0] == (2014, None)
    assert panel.title == "资金到位率变化趋势"
    assert [c[2] for c in fake_api.trend_calls()] == ["poverty_incidence", "fund_arrival_rate"]


def test_fetched_off_the_gui_thread_and_only_when_needed(qtbot, make_trend, fake_api, region):
    fake_api.gate = threading.Event()
    panel = make_trend(fake_api)
    panel.update_region(region)
    assert panel.busy  # the GUI thread did not wait for the answer
    assert panel.message_text() == "正在加载趋势数据…"
    fake_api.gate.set()
    loaded(qtbot, panel)
    assert fake_api.threads and threading.main_thread().name not in fake_api.threads
    # moving through the years only moves the highlight
    panel.set_year(2019)
    region2 = dict(region, year=2018)
    panel.update_region(region2)
    qtbot.wait(50)
    assert len(fake_api.trend_calls()) == 1
    assert panel.year == 2018 and panel.year_band.getRegion() == pytest.approx((2017.58, 2018.42))
    # another region: fetched again
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(dict(region, code="522726100000", name="百泉镇"))
    assert fake_api.trend_calls()[-1][1] == "522726100000"


@pytest.mark.parametrize("exc, words", [
    (ApiUnavailable("ConnectionError"), "无法连接中心数据接口"),
    (ApiError(404, "未找到区划代码 522726999000"), "未找到该区域"),
    (RuntimeError("boom"), "数据加载失败"),
])
def test_errors_become_a_chinese_message(qtbot, make_trend, fake_api, region, exc, words):
    fake_api.fail = exc
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendFailed, timeout=5000) as blocker:
        panel.update_region(region)
    msg = panel.message_text()
    assert msg.startswith("趋势数据加载失败：") and words in msg and "Traceback" not in msg
    assert blocker.args[0].startswith("趋势数据加载失败")
    xs, _ys = panel.curve.getData()
    assert panel.points() == [] and (xs is None or len(xs) == 0)  # nothing of another region left on screen
    assert panel.exit_line_value() is None
    # the API comes back: the next update fetches again and the message goes away
    fake_api.fail = None
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    assert panel.message_text() == "" and len(panel.points()) == 7


def test_refresh_failing_keeps_the_curve_and_says_so(qtbot, make_trend, fake_api, region):
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    fake_api.fail = ApiUnavailable("down")
    with qtbot.waitSignal(panel.trendFailed, timeout=5000):
        panel.update_region(dict(region, as_of="2021-01-05T08:00:00+08:00"))  # new data on the server
    assert len(panel.points()) == 7  # same region and indicator: last good curve stays
    assert panel.plot.getPlotItem().getAxis("left").style["showValues"] is True
    assert "上次获取的数据" in panel.message_text()


def test_bad_payload_is_a_message_not_a_crash(qtbot, make_trend, fake_api, region):
    fake_api.trend_payload = {"indicator": "poverty_incidence", "points": [{"year": "x"}]}
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendFailed, timeout=5000):
        panel.update_region(region)
    assert "数据不完整" in panel.message_text()


def test_all_null_series_says_no_data(qtbot, make_trend, fake_api, region):
    fake_api.trend_payload = {"indicator": "visit_rate", "points": [{"year": y, "value": None} for y in range(2014, 2021)]}
    panel = make_trend(fake_api, indicator="visit_rate")
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    assert panel.message_text() == "该指标在此区域暂无数据"
    left = panel.plot.getPlotItem().getAxis("left")
    assert left.style["showValues"] is False  # no invented 0.2 … 1.0 scale behind the message


def test_caption_stays_inside_the_plot(qtbot, make_trend, fake_api, region):
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    plot_rect = QRectF(panel.plot.rect())
    for year in (2014, 2016, 2020):
        panel.set_year(year)
        panel.plot.grab()  # lay the scene out
        cap = panel.caption_rect()
        assert not cap.isEmpty() and plot_rect.contains(cap), (year, cap, plot_rect)


def test_column_passes_indicator_and_year_to_the_trend(qtbot, fake_api, region):
    col = PanelsColumn(fake_api, retry_seconds=600)
    qtbot.addWidget(col)
    col.resize(480, 1000)
    col.show()
    with qtbot.waitSignal(col.trend.trendChanged, timeout=5000):
        col.update_region(region)
    assert col.exit_batch.chart.rows[0].population == 20903
    assert col.causes.chart.breakdown.households == 12918
    assert col.guarantee.chart.colours()["food_clothing"] == "#3ddc84"
    col.set_year(2019)
    assert col.trend.year == 2019
    with qtbot.waitSignal(col.trend.trendChanged, timeout=5000):
        col.set_indicator("housing_safe_rate")
    assert col.trend.exit_line_value() is None
    # the year's panels say that year's end; the trend, which runs to the data's last year, says the data's
    year_end = f"数据截至 {region['year']}年12月31日"
    assert {p.as_of_label for p in col.panels if p is not col.trend} == {year_end}
    assert col.trend.as_of_label == "数据截至 2020年12月31日"
    col.shutdown()


def test_client_for_worker_gives_each_thread_its_own_session():
    from sandbox.client.api import ApiClient
    from sandbox.ui.panels.worker import client_for_worker

    main = ApiClient("http://127.0.0.1:1", "tok", timeout=4.0, retries=1)
    other = client_for_worker(main)
    assert other is not main and other.session is not main.session
    assert other.config == main.config
    fake = object()
    assert client_for_worker(fake) is fake


@pytest.mark.parametrize("height", [320, 200])
def test_caption_stays_inside_a_short_plot_near_its_top(qtbot, make_trend, fake_api, region, height):
    # The wall's trend panel is short: a point at 72 % of the height has less room above it than the
    # caption needs (it was cut off at the top for 2020 in a town's 收入达标率 of 60 % under a top of 68.8 %).
    fake_api.trend_payload = {"indicator": "income_ok_rate", "points": [
        {"year": y, "value": v} for y, v in zip(range(2014, 2021), (25.2, 30.1, 41.0, 50.3, 62.4, 68.78, 60.0))]}
    panel = make_trend(fake_api, indicator="income_ok_rate")
    panel.resize(420, height)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(region)
    for year in range(2014, 2021):
        panel.set_year(year)
        panel.plot.grab()
        plot_rect = QRectF(panel.plot.rect())
        cap = panel.caption_rect()
        assert not cap.isEmpty() and plot_rect.contains(cap), (year, cap, plot_rect)


def test_a_region_with_its_series_draws_the_trend_without_a_request(qtbot, make_trend, fake_api, region):
    from .conftest import INCIDENCE

    series = {str(y): {"poverty_incidence": v, "poor_population": round(v * 3084)} for y, v in INCIDENCE.items()}
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.update_region(dict(region, series=series))
    assert dict(panel.points()) == INCIDENCE and panel.exit_line_value() == 3.0
    with qtbot.waitSignal(panel.trendChanged, timeout=5000):
        panel.set_indicator("poor_population")  # another indicator: from the same series
    assert dict(panel.points())[2016] == round(15.1 * 3084)
    assert fake_api.calls == []


def test_a_broken_series_is_a_chinese_message_not_a_half_drawn_curve(qtbot, make_trend, fake_api, region):
    panel = make_trend(fake_api)
    with qtbot.waitSignal(panel.trendFailed, timeout=5000):
        panel.update_region(dict(region, series={"2015": {"poverty_incidence": "many"}}))
    assert "数据不完整" in panel.message_text() and panel.points() == [] and fake_api.calls == []
