"""The header says how many 市州 and 县（市、区） a province or prefecture holds (the API's `counties`)."""

from __future__ import annotations

import pytest

from sandbox.ui.header import HeaderBar
from sandbox.ui.state import MapState, WallState

pytestmark = pytest.mark.qt


def _children(n: int, level: str) -> list[dict]:
    return [{"code": f"52{i:02d}00000000", "name": f"地区{i}", "level": level} for i in range(1, n + 1)]


@pytest.fixture
def header(qtbot):
    state = WallState(MapState())
    bar = HeaderBar(state)
    qtbot.addWidget(bar)
    return state, bar


def test_a_province_says_its_prefectures_and_counties(header):
    state, bar = header
    state.events.region.emit({"code": "520000000000", "name": "贵州省", "level": "province", "level_zh": "省",
                              "children": _children(9, "prefecture"), "counties": 88,
                              "indicators": {"villages": 15000}})
    assert "下辖 9 个市州、88 个县（市、区）" in bar.subtitle_label.text()


def test_a_prefecture_says_its_counties_from_the_api_count(header):
    state, bar = header
    state.events.region.emit({"code": "520100000000", "name": "贵阳市", "level": "prefecture", "level_zh": "市州",
                              "children": _children(10, "county"), "counties": 10, "indicators": {}})
    assert "下辖 10 个县（市、区）" in bar.subtitle_label.text()


def test_an_older_api_without_the_count_says_the_children_it_listed(header):
    state, bar = header
    state.events.region.emit({"code": "520000000000", "name": "贵州省", "level": "province",
                              "children": _children(9, "prefecture"), "indicators": {}})
    assert "下辖 9 个市州" in bar.subtitle_label.text() and "县（市、区）" not in bar.subtitle_label.text()
    state.events.region.emit({"code": "522726000000", "name": "独山县", "level": "county", "counties": None,
                              "children": _children(8, "town"), "indicators": {}})
    assert "下辖 8 个乡镇" in bar.subtitle_label.text()


def test_the_subtitle_names_the_level_as_a_rank(header):
    state, bar = header
    state.events.region.emit({"code": "522726000000", "name": "独山县", "level": "county", "level_zh": "县",
                              "children": _children(8, "town"), "indicators": {"villages": 133}})
    assert bar.subtitle_label.text().startswith("县级  ·  下辖 8 个乡镇")
    state.events.region.emit({"code": "522726100000", "name": "影山镇", "level": "town", "level_zh": "乡镇",
                              "children": _children(12, "village"), "indicators": {}})
    assert bar.subtitle_label.text().startswith("乡镇级  ·  下辖 12 个行政村")
