"""五个一批 bars, 致贫原因 donut and 两不愁三保障 rows: geometry and painted pixels follow the data."""

import math

import pytest
from PySide6.QtGui import QColor

from sandbox.ui.panels.breakdowns import BATCH_COLORS, CAUSE_COLORS, CausePanel, ExitBatchPanel, GuaranteePanel
from sandbox.ui.panels.paint import PanelColors

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture
def show(qtbot):
    def show(panel, w=480, h=240):
        qtbot.addWidget(panel)
        panel.resize(w, h)
        panel.show()
        qtbot.waitExposed(panel)
        return panel
    return show


def close_to(c: QColor, hex_colour: str, tol: int = 40) -> bool:
    ref = QColor(hex_colour)
    return max(abs(c.red() - ref.red()), abs(c.green() - ref.green()), abs(c.blue() - ref.blue())) <= tol


def painted_bar_length(img, rect, track_rect, track_colour) -> int:
    """Pixels along the bar's centre line, within the track, that differ from the empty track."""
    y = int(rect.center().y())
    track = QColor(track_colour)
    n = 0
    for x in range(int(rect.left()), int(track_rect.right())):
        c = QColor(img.pixel(x, y))
        if max(abs(c.red() - track.red()), abs(c.green() - track.green()), abs(c.blue() - track.blue())) > 30:
            n += 1
        else:
            break
    return n


def test_exit_batch_bars_are_proportional_to_people(show, region):
    panel = show(ExitBatchPanel())
    panel.update_region(region)
    chart = panel.chart
    rows = {r.key: r for r in chart.rows}
    track = chart.composition().rects["track"]
    longest = max(r.population for r in rows.values())
    img = chart.grab().toImage()
    for key, row in rows.items():
        rect = chart.bar_rect(key)
        assert rect.left() == pytest.approx(track.left())
        assert rect.width() == pytest.approx(track.width() * row.population / longest, rel=1e-6)
        # and what is on screen agrees (gradient-filled, so count non-track pixels)
        assert painted_bar_length(img, rect, track, PanelColors.track) == pytest.approx(rect.width(), abs=3)
    assert close_to(QColor(img.pixel(int(chart.bar_rect("production").right()) - 2,
                                     int(chart.bar_rect("production").center().y()))), BATCH_COLORS["production"])
    texts = {t.name: t.text for t in chart.text_items()}
    assert texts["label:production"] == "发展生产脱贫一批"
    assert texts["population:production"] == "20,903人" and texts["households:production"] == "5,797户"
    assert panel.as_of_label == "数据截至 2016年12月31日"  # 2016's figures: as of that year's end, not 2020's


def test_exit_batch_without_data_or_without_poor(show, region):
    panel = show(ExitBatchPanel())
    del region["breakdowns"]
    panel.update_region(region)
    assert [t.text for t in panel.chart.text_items()] == ["无数据"]
    panel.update_region({"code": "522726100201", "breakdowns": {"status": {}}, "as_of": region["as_of"]})
    assert [t.text for t in panel.chart.text_items()] == ["当年无未脱贫户"]


def test_cause_donut_shares_and_colours(show, region):
    panel = show(CausePanel(), h=260)
    panel.update_region(region)
    donut = panel.chart
    spans = donut.spans()
    assert [s[0] for s in spans] == ["01", "07", "09", "08", "02", "rest"]
    assert sum(s[2] for s in spans) == pytest.approx(360.0)
    assert spans[0][2] == pytest.approx(360.0 * 3221 / 12918)
    texts = {t.name: t.text for t in donut.text_items()}
    assert texts["label:01"] == "因病" and texts["percent:01"] == "24.9%"
    assert texts["label:rest"] == "其余7类" and texts["total"] == "12,918"
    # the middle of the 因病 slice, halfway through the ring, has 因病's colour
    img = donut.grab().toImage()
    outer = donut.composition().rects["donut"]
    radius = outer.width() / 2 * (1 - 0.24 / 2)
    mid = math.radians(90.0 - spans[0][2] / 2)  # clockwise from 12 o'clock
    x = outer.center().x() + radius * math.cos(mid)
    y = outer.center().y() - radius * math.sin(mid)
    assert close_to(QColor(img.pixel(int(x), int(y))), CAUSE_COLORS["01"], tol=12)


def test_guarantee_rows_green_at_zero(show, region):
    panel = show(GuaranteePanel(), h=220)
    panel.update_region(region)
    chart = panel.chart
    colours = chart.colours()
    assert colours["food_clothing"] == PanelColors.good  # gap 0 → green
    assert colours["housing"] == PanelColors.bad  # 86.9 %, 3,080 households short
    assert colours["education"] == PanelColors.warn
    texts = {t.name: t for t in chart.text_items()}
    assert texts["gap:food_clothing"].text == "已全部保障" and texts["gap:food_clothing"].color == PanelColors.good
    assert texts["gap:housing"].text == "缺口 3,080户"
    assert texts["rate:housing"].text == "86.9%" and texts["rate:education"].text == "98.2%"
    img = chart.grab().toImage()

    def dot(key):
        r = chart.composition().rects[f"dot:{key}"]
        return QColor(img.pixel(int(r.center().x()), int(r.center().y())))
    assert close_to(dot("food_clothing"), PanelColors.good, tol=10)
    assert not close_to(dot("housing"), PanelColors.good)
    # 2020: every gap closed, the API lists no gap rows at all
    region["breakdowns"].pop("gap")
    for k in ("housing_safe_rate", "water_safe_rate", "education_ok_rate", "medical_ok_rate"):
        region["indicators"][k] = 100.0
    panel.update_region(region)
    assert set(chart.colours().values()) == {PanelColors.good}
    img = chart.grab().toImage()
    assert close_to(dot("housing"), PanelColors.good, tol=10)


def test_guarantee_without_records_is_no_data(show):
    panel = show(GuaranteePanel(), h=220)
    panel.update_region({"code": "522726100201", "indicators": {"registered_households": None}})
    assert set(panel.chart.colours().values()) == {PanelColors.muted}
    assert {t.text for t in panel.chart.text_items() if t.name.startswith("gap:")} == {"无数据"}


@pytest.mark.parametrize("panel_type", [ExitBatchPanel, CausePanel, GuaranteePanel])
def test_a_chart_painted_ahead_is_shown_without_painting_again(show, region, make_region, panel_type):
    """`paint_ahead(region)` keeps the next region's picture and leaves the chart as it was; the
    region's update then blits it, and going back to the first region blits too."""
    panel = show(panel_type(), 480, 320)
    panel.update_region(region)
    chart = panel.chart
    first, key = chart.grab().toImage(), chart.content_key()
    nxt = make_region(2018)
    nxt["breakdowns"]["cause"]["01"]["households"] -= 500  # a different structure, whatever the year does
    nxt["breakdowns"]["exit_batch"]["production"]["population"] -= 5000
    nxt["breakdowns"]["gap"]["housing"]["households"] -= 2000
    panel.paint_ahead(nxt)
    assert chart.content_key() == key and chart.grab().toImage() == first
    renders = chart.pixels.renders
    panel.update_region(nxt)
    second = chart.grab().toImage()
    assert second != first and chart.pixels.renders == renders
    panel.update_region(region)
    assert chart.grab().toImage() == first and chart.pixels.renders == renders
