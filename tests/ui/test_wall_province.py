"""The wall rooted at a province (a 2-county slice of the demo 贵州, built here, served by the real embedded
API): province → prefecture → county by clicks, back with Esc; titles, counts and legend of each level."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from sandbox.client.api import ApiClient
from sandbox.ui.theme import Colors, ramp
from sandbox.ui.wall import WallWindow

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

PROVINCE, QIANNAN, GUIYANG, DUSHAN = "520000000000", "522700000000", "520100000000", "522726000000"


@pytest.fixture(scope="module")
def province_api(tmp_path_factory):
    """贵州's first 2 counties (独山县 in 黔南州, 南明区 in 贵阳市) in SQLite, served over HTTP."""
    from sandbox.server.runtime import EmbeddedServer, new_token
    from sandbox.store.db import make_engine
    from sandbox.store.demo.province import build_province
    from sandbox.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("province-wall")
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    upgrade(engine)
    build_province(engine, "52", counties=2, progress=False, files_dir=folder / "files")
    server = EmbeddedServer(engine).start()
    yield server.url, new_token(engine, "display")
    server.stop()
    engine.dispose()


@pytest.fixture
def client(province_api):
    url, token = province_api
    c = ApiClient(url, token)
    yield c
    c.close()


def settle(qtbot, wall):
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading and not wall.canvas.animating
                    and not wall.worker.busy(), timeout=60000)
    return wall


def drill(qtbot, wall, code):
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.drill_point(code).toPoint())
    return settle(qtbot, wall)


def escape(qtbot, wall):
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    return settle(qtbot, wall)


def fills(wall) -> set[str]:
    """The colour at every child's centre on the canvas (labels off, nothing hovered)."""
    wall.state.map.hovered_code = None
    wall.state.map.show_labels = False
    try:
        img = wall.canvas.grab().toImage()
        return {QColor(img.pixel(wall.canvas.region_center(f.code).toPoint())).name()
                for f in wall.state.map.region_map.features}
    finally:
        wall.state.map.show_labels = True


def legend_counts(wall) -> set[str]:
    return {count.text().split(" ", 1)[1] for _sw, _text, count in wall.legend._rows if count.isVisible()}


def test_a_wall_rooted_at_a_province_drills_to_a_county_and_back_with_esc(qtbot, client):
    wall = WallWindow(client, region="52", retry_seconds=600, layers=False)  # the short code, as typed
    qtbot.addWidget(wall)
    wall.resize(1600, 900)
    wall.show()
    qtbot.waitExposed(wall)
    settle(qtbot, wall)
    st = wall.state
    # the province's map: its two prefectures, outlined and filled in the indicator's classes
    assert st.map.region_code == PROVINCE and wall.breadcrumb.text() == "贵州省"
    assert {f.code for f in st.map.region_map.features} == {QIANNAN, GUIYANG}
    assert {f.level for f in st.map.region_map.features} == {"prefecture"}
    colours = set(ramp(st.map.classification.k, False))
    assert fills(wall) <= colours and Colors.background not in fills(wall)
    assert wall.header.title_label.text().startswith("贵州省")
    sub = wall.header.subtitle_label.text()
    assert "省" in sub and "下辖 2 个市州、2 个县（市、区）" in sub and "个行政村" in sub, sub
    assert legend_counts(wall) == {"个市州"}
    assert not wall.breadcrumb.back.isEnabled()

    drill(qtbot, wall, QIANNAN)
    assert wall.breadcrumb.text() == "贵州省 › 黔南布依族苗族自治州"
    assert [f.code for f in st.map.region_map.features] == [DUSHAN]  # the slice holds one of its counties
    assert "下辖 1 个县（市、区）" in wall.header.subtitle_label.text() and legend_counts(wall) == {"个县"}
    assert fills(wall) <= set(ramp(st.map.classification.k, False))

    drill(qtbot, wall, DUSHAN)
    assert wall.breadcrumb.text() == "贵州省 › 黔南布依族苗族自治州 › 独山县"
    assert {f.level for f in st.map.region_map.features} == {"town"} and legend_counts(wall) == {"个乡镇"}
    assert "下辖" in wall.header.subtitle_label.text() and "个乡镇" in wall.header.subtitle_label.text()

    escape(qtbot, wall)
    assert st.map.region_code == QIANNAN and wall.breadcrumb.text() == "贵州省 › 黔南布依族苗族自治州"
    escape(qtbot, wall)
    assert st.map.region_code == PROVINCE and wall.breadcrumb.text() == "贵州省"
    qtbot.keyClick(wall, Qt.Key.Key_Escape)  # at the root: said, nothing loads
    assert st.map.region_code == PROVINCE and st.last_note == "已是最上层"


def test_a_wall_rooted_at_a_prefecture_goes_home_to_it_not_to_the_province(qtbot, client):
    """`sandbox wall --region 5227`: the path starts at 黔南州, Esc stops there, and idle/home goes back there."""
    wall = WallWindow(client, region="5227", retry_seconds=600, layers=False, idle_seconds=3600)
    qtbot.addWidget(wall)
    wall.resize(1600, 900)
    wall.show()
    qtbot.waitExposed(wall)
    settle(qtbot, wall)
    st = wall.state
    assert st.map.region_code == QIANNAN and wall.breadcrumb.text() == "黔南布依族苗族自治州"
    assert st.nav.root.code == QIANNAN and not wall.breadcrumb.back.isEnabled()
    drill(qtbot, wall, DUSHAN)
    assert wall.breadcrumb.text() == "黔南布依族苗族自治州 › 独山县"
    assert [b.text() for b in wall.breadcrumb.crumb_buttons()][0] == "黔南布依族苗族自治州"
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.session.go_home()  # what the idle timeout does
    settle(qtbot, wall)
    assert st.map.region_code == QIANNAN and wall.breadcrumb.text() == "黔南布依族苗族自治州"
    qtbot.keyClick(wall, Qt.Key.Key_Escape)  # at the wall's root: said, nothing loads
    assert st.map.region_code == QIANNAN and st.last_note == "已是最上层"
