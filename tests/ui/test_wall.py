"""WallWindow with a fake client: loads off the GUI thread, header, banner on failure, screenshots."""

import threading

import pytest
from PySide6.QtGui import QColor, QImage

from sandbox.client.api import ApiError, ApiUnavailable
from sandbox.ui import theme
from sandbox.ui.theme import CjkFontMissing, ensure_cjk_font, ramp
from sandbox.ui.wall import WallWindow
from sandbox.ui.wall_screenshot import render_screenshot
from tests.ui.test_drill import _PanelsClient as PanelsStub

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture
def make_wall(qtbot):
    def make(client, **kw):
        kw.setdefault("region", "522726000000")
        kw.setdefault("panels_client", PanelsStub())
        kw.setdefault("prefetch", False)
        w = WallWindow(client, retry_seconds=600, **kw)
        qtbot.addWidget(w)
        w.resize(1280, 720)
        w.show()
        return w
    return make


def loaded(qtbot, wall):
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading, timeout=15000)
    return wall


def centre_colour(wall, code):
    canvas = wall.canvas
    wall.state.map.show_labels = False
    img = canvas.grab().toImage()
    colour = QColor(img.pixel(canvas.region_center(code).toPoint())).name()
    wall.state.map.show_labels = True
    return colour


def test_wall_loads_in_a_worker_and_fills_the_header(qtbot, make_wall, fake_client):
    wall = loaded(qtbot, make_wall(fake_client))
    assert threading.main_thread().name not in fake_client.threads
    # one round trip: the registry, the region, the map of the year on screen and every year's values
    # (fixed class breaks) in one request each, at the same time
    assert sorted(fake_client.calls) == [("children_geojson", "522726000000", None),
                                         ("children_series", "522726000000"), ("indicators",),
                                         ("region", "522726000000", None)]
    assert wall.header.title_label.text() == "独山县脱贫攻坚电子沙盘"
    assert wall.header.year_label.text() == "2016 年度"
    assert wall.header.as_of_label.text() == "数据更新于 2020年12月31日 18:00"  # the data's update, said apart
    assert "下辖 6 个乡镇" in wall.header.subtitle_label.text()
    assert not wall.banner.isVisible()
    assert wall.state.map.indicator.label_zh == "贫困发生率"
    assert len(wall.canvas.labels()) == 6
    assert wall.legend.entries()[-1][1] == "无数据"
    assert wall.summary.kpi_value.text() == "15.1%"


def test_error_banner_keeps_the_previous_map(qtbot, make_wall, fake_client):
    wall = loaded(qtbot, make_wall(fake_client))
    code = "522726106000"
    before = centre_colour(wall, code)
    cls = wall.state.map.classification
    assert before == ramp(cls.k, False)[wall.state.map.class_of(code)] == ramp(6, False)[4]  # 26%: 20 – 30%
    fake_client.fail = ApiUnavailable("无法连接中心数据接口: ConnectionError")
    with qtbot.waitSignal(wall.loadFailed, timeout=5000):
        wall.refresh()
    assert wall.banner.isVisible()
    text = wall.banner.text()
    assert "无法连接中心数据接口" in text and "屏幕保持" in text and "Traceback" not in text
    assert wall.state.has_data and len(wall.canvas.labels()) == 6
    assert centre_colour(wall, code) == before
    assert wall.header.title_label.text() == "独山县脱贫攻坚电子沙盘"
    # the API comes back: banner goes away
    fake_client.fail = None
    with qtbot.waitSignal(wall.dataApplied, timeout=5000):
        wall.refresh()
    assert not wall.banner.isVisible()


def test_first_load_failing_shows_banner_and_placeholder(qtbot, make_wall, fake_client):
    fake_client.fail = ApiUnavailable("down")
    wall = make_wall(fake_client)
    qtbot.waitUntil(lambda: wall.banner.isVisible(), timeout=5000)
    assert "暂无可显示的数据" in wall.banner.text()
    assert not wall.state.has_data
    assert wall.canvas.placeholder == "暂无可显示的地图数据"
    wall.grab()


@pytest.mark.parametrize("exc, expected", [
    (ApiError(404, "未找到区划代码 522726999000"), "未找到该区域：未找到区划代码 522726999000"),
    (ApiError(401, "令牌无效"), "令牌无效或已过期"),
    (ApiError(500, "boom"), "内部错误（500）"),
    (KeyError("surprise"), "数据加载失败（内部错误，详见日志）"),
])
def test_error_messages_are_chinese_sentences(qtbot, make_wall, fake_client, exc, expected):
    wall = loaded(qtbot, make_wall(fake_client))
    fake_client.fail = exc
    with qtbot.waitSignal(wall.loadFailed, timeout=5000) as blocker:
        wall.refresh()
    assert expected in blocker.args[0]
    # "connection" would be wrong for most of these: the heading names no cause, the sentence does
    assert expected in wall.banner.text() and wall.banner.text().startswith("【数据获取失败】")


def test_malformed_geojson_never_half_draws(qtbot, make_wall, fake_client, squares_fc):
    wall = loaded(qtbot, make_wall(fake_client))
    broken = dict(squares_fc)
    broken["features"] = [*squares_fc["features"][:3], {"type": "Feature", "geometry": None,
                                                         "properties": {"code": "522726199000"}}]
    fake_client.fc = broken
    with qtbot.waitSignal(wall.loadFailed, timeout=5000):
        wall.refresh()
    assert "数据不完整" in wall.banner.text()
    assert len(wall.state.map.region_map.features) == 6


def test_a_slow_answer_is_superseded_by_a_newer_request(qtbot, make_wall, fake_client, make_fc):
    wall = loaded(qtbot, make_wall(fake_client))
    fake_client.gate = threading.Event()
    wall.refresh()  # blocks in the worker until the gate opens
    fake_client.fc = make_fc(1, 2, [3.0, 4.0])
    wall.refresh()
    fake_client.gate.set()
    qtbot.waitUntil(lambda: not wall.state.loading, timeout=5000)
    assert len(wall.state.map.region_map.features) == 2


def test_demo_data_is_marked_in_header_and_map(qtbot, make_wall, make_client, make_fc):
    client = make_client(make_fc(2, 2, [1.0, 2.0, 3.0, 4.0], demo=True), demo=True)
    wall = loaded(qtbot, make_wall(client))
    assert wall.header.demo_label.isVisible() and wall.header.demo_label.text() == "演示数据"
    assert wall.canvas.demo_mark_rect() is not None


def test_switching_indicator_recolours_without_refetching(qtbot, make_wall, fake_client):
    wall = loaded(qtbot, make_wall(fake_client))
    calls = len(fake_client.calls)
    wall.set_indicator("poor_population")
    assert wall.legend.entries()[0][1].endswith("人")
    assert wall.summary.kpi_label.text() == "贫困人口"
    assert len(fake_client.calls) == calls


def test_render_screenshot_writes_a_png_of_the_requested_size(tmp_path, fake_client):
    out = render_screenshot(fake_client, tmp_path / "shots" / "wall.png", size=(1280, 720), region="522726000000")
    img = QImage(str(out))
    assert out.exists() and (img.width(), img.height()) == (1280, 720)
    # the header is dark: the wall never renders a white default window
    assert QColor(img.pixel(5, 5)).lightness() < 80


def test_ensure_cjk_font_finds_wenquanyi():
    assert ensure_cjk_font() in theme.CJK_FAMILIES or ensure_cjk_font()


def test_missing_cjk_font_names_the_debian_package(monkeypatch):
    class NoFonts:
        WritingSystem = theme.QFontDatabase.WritingSystem

        @staticmethod
        def families():
            return ["DejaVu Sans"]

        @staticmethod
        def writingSystems(family):
            return [theme.QFontDatabase.WritingSystem.Latin]

    monkeypatch.setattr(theme, "QFontDatabase", NoFonts)
    with pytest.raises(CjkFontMissing, match="fonts-wqy-microhei"):
        ensure_cjk_font()


def test_layer_visibility_busy_text_and_notes_live_in_the_state_and_the_widgets_follow(qtbot, make_wall, fake_client):
    wall = loaded(qtbot, make_wall(fake_client))
    st = wall.state
    st.set_layer_visible("funds", False)  # as a tour step or a test sets it: no widget touched
    assert not wall.flow_layer.visible and not wall.layer_bar.buttons["funds"].isChecked()
    assert not st.layer_visible("funds") and st.layer_visible("projects")
    wall.layer_bar.buttons["funds"].click()  # and the toggle writes the state
    assert st.layer_visible("funds") and wall.flow_layer.visible
    st.say("说明文字")
    assert wall.canvas.note() == "说明文字"
    st.placeholder = "该区域没有下级区域"
    assert wall.canvas.placeholder == "该区域没有下级区域"
    assert st.target == (st.map.region_code, st.map.year)  # nothing on its way: asked for = shown
