"""The trend chart's forecast: a dashed line with its band after the last data year, in the
forecast's colour on screen; none for indicators without one, or when the API has no forecast."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from sandbox.ui.panels.forecast import parse_forecast
from sandbox.ui.panels.trend import TrendPanel
from sandbox.ui.theme import metrics_for_height
from tests.ui.panels.conftest import FakeApi
from tests.ui.panels.test_trend_ahead import with_series

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def _band(mean, spread):
    return {"mean": mean, "low": mean - spread, "high": mean + spread}


def forecast_payload(code: str, as_of: int = 2020) -> dict:
    inc = [0.12, 0.08, 0.05, 0.03]
    return {"code": code, "as_of": as_of, "years": [as_of + k for k in range(1, 5)],
            "points": [{"year": as_of + k + 1, "poverty_incidence": _band(v, 0.03), "poor_population": _band(v * 3000, 60),
                        "poor_households": _band(v * 900, 20), "exits_households": _band(100, 10),
                        "exits_people": _band(300, 30)} for k, v in enumerate(inc)],
            "below_line": {"year": 2020, "low": 2020, "high": 2020, "already": True}}


class ForecastApi(FakeApi):
    def __init__(self):
        super().__init__()
        self.forecasts: list[tuple] = []

    def handle_forecast(self, code: str, as_of: str | None = None) -> dict:
        self.forecasts.append((code, as_of))
        return forecast_payload(code, int(as_of))


@pytest.fixture
def panel(qtbot):
    def make(client):
        p = TrendPanel(client, retry_seconds=600)
        qtbot.addWidget(p)
        p.set_metrics(metrics_for_height(1080))
        p.resize(480, 340)
        p.show()
        return p
    return make


def _drawn(p) -> bool:
    xs = p.forecast.line.getData()[0]
    return xs is not None and len(xs) > 0


def _with_forecast(qtbot, p, region):
    with qtbot.waitSignal(p.trendChanged, timeout=5000):
        p.update_region(region)
    qtbot.waitUntil(lambda: p.forecast.series is not None and _drawn(p), timeout=5000)
    qtbot.wait(50)


def test_dashed_forecast_after_the_last_year_with_its_band(qtbot, panel, region):
    api = ForecastApi()
    p = panel(api)
    _with_forecast(qtbot, p, region)
    assert api.forecasts == [(region["code"], 2020)]  # from the last data year
    xs, ys = p.forecast.line.getData()
    assert list(xs) == [2020, 2021, 2022, 2023, 2024]
    assert ys[0] == pytest.approx(0.2) and list(ys[1:]) == pytest.approx([0.12, 0.08, 0.05, 0.03])
    assert list(p.forecast.high.getData()[1][1:]) == pytest.approx([0.15, 0.11, 0.08, 0.06])
    assert p.forecast.line.opts["pen"].style().name == "DashLine"
    lo, hi = p.plot.getPlotItem().getViewBox().viewRange()[0]
    assert lo < 2014 and hi > 2024  # the axis runs on to the forecast's last year
    label = p.forecast.label.toPlainText()
    assert "虚线: 预测" in label and "阴影" in label
    assert "%" not in label  # on a chart of percentages the band's "10%–90%" read as incidence values


def test_the_forecast_shows_on_screen_in_its_colour_right_of_the_last_year(qtbot, panel, region):
    api = ForecastApi()
    p = panel(api)
    _with_forecast(qtbot, p, region)
    # exits_in_year: the forecast sits well above the axis, where the band and line are easy to find
    with qtbot.waitSignal(p.trendChanged, timeout=5000):
        p.set_indicator("poor_population")
    qtbot.wait(100)
    img = p.plot.grab().toImage()
    vb = p.plot.getPlotItem().getViewBox()

    def warm(x_year: float) -> int:
        """Pixels in the forecast's colour (line or band tint) in the column of `x_year`."""
        pt = p.plot.mapFromScene(vb.mapViewToScene(QPointF(x_year, 0)))
        count = 0
        for y in range(img.height()):
            c = img.pixelColor(pt.x(), y)
            if c.red() > 50 and c.red() > c.blue() + 8:  # the line, or the band tint over the dark plot
                count += 1
        return count

    assert warm(2022.5) > 10  # the dashed line and its band after 2020
    assert warm(2018.5) == 0  # none over the recorded years


def test_no_forecast_for_indicators_without_one_or_when_the_api_has_none(qtbot, panel, region):
    api = ForecastApi()
    p = panel(api)
    _with_forecast(qtbot, p, region)
    with qtbot.waitSignal(p.trendChanged, timeout=5000):
        p.set_indicator("housing_safe_rate")
    assert not _drawn(p) and not p.forecast.band.isVisible()
    plain = panel(FakeApi())  # an API without the forecast (404): the trend as before, no dashed line
    with qtbot.waitSignal(plain.trendChanged, timeout=5000):
        plain.update_region(region)
    qtbot.waitUntil(lambda: not plain.forecast.busy, timeout=5000)
    assert not _drawn(plain) and plain.message_text() == ""
    assert plain.plot.getPlotItem().getViewBox().viewRange()[0][1] < 2021


def test_parse_forecast_leaves_out_a_figure_missing_in_any_year():
    payload = forecast_payload("522726000000")
    del payload["points"][2]["poor_population"]
    s = parse_forecast(payload)
    assert "poor_population" not in s.figures and "poverty_incidence" in s.figures
    assert s.years == (2021, 2022, 2023, 2024) and s.below_year == 2020 and s.below_already


class SlowFitApi(ForecastApi):
    """Answers 计算中 first (the server still fitting), then the forecast."""

    def handle_forecast(self, code: str, as_of: str | None = None) -> dict:
        self.forecasts.append((code, as_of))
        if len(self.forecasts) == 1:
            return {"status": "computing", "code": code, "as_of": int(as_of), "points": [], "below_line": None}
        return forecast_payload(code, int(as_of))


def test_a_forecast_still_computing_is_asked_for_again_then_drawn(qtbot, region):
    p = TrendPanel(SlowFitApi(), retry_seconds=600)
    qtbot.addWidget(p)
    p.forecast._again.setInterval(50)
    p.resize(480, 340)
    p.show()
    _with_forecast(qtbot, p, region)
    assert len(p.forecast.client.forecasts) == 2 and _drawn(p)


def _settle(qtbot, p) -> None:
    for _ in range(4):  # the posted layouts, then the frames after them
        p.grab()
        qtbot.wait(20)


def test_esc_back_shows_the_kept_chart_with_its_forecast_in_its_first_frame(qtbot, panel, region):
    """Esc (town → county): the county's kept chart showed first without its forecast (remembered before the
    forecast came; the forecast fetched again), then with it. Its first frame is the chart as it was."""
    api = ForecastApi()
    p = panel(api)
    county, town = with_series(region, "522726000000", 1.0), with_series(region, "522726101000", 100.0)
    _with_forecast(qtbot, p, county)
    _settle(qtbot, p)
    county_chart = p.plot.grab().toImage()
    _with_forecast(qtbot, p, town)
    assert p.paint_ahead(county)  # the session paints Esc's level ahead while the town is on screen
    _settle(qtbot, p)
    asked = len(api.forecasts)
    with qtbot.waitSignal(p.trendChanged, timeout=5000):
        p.update_region(county)  # Esc
        assert p.plot.grab().toImage() == county_chart and p.message_text() == ""
    _settle(qtbot, p)
    assert p.plot.grab().toImage() == county_chart and _drawn(p)
    assert len(api.forecasts) == asked  # the county's forecast was kept, not fetched again
