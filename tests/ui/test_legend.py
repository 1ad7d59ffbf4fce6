"""LegendWidget: lists the classes with ranges, the 无数据 entry and which way is good."""

import pytest
from PySide6.QtWidgets import QLabel

from sandbox.ui.classify import legend_labels
from sandbox.ui.fmt import format_value, note_of
from sandbox.ui.legend import LegendWidget
from sandbox.ui.palette import NOTHING_TO_MEASURE_COLOR
from sandbox.ui.state import IndicatorInfo, MapState, RegionMap
from sandbox.ui.theme import NO_DATA_COLOR, ramp

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture
def state(indicators_payload):
    st = MapState("poverty_incidence")
    st.set_indicators([IndicatorInfo.from_api(d) for d in indicators_payload])
    return st


def label_texts(widget) -> list[str]:
    return [lab.text() for lab in widget.findChildren(QLabel)]


def test_legend_lists_classes_and_no_data(qtbot, state, make_fc):
    state.show("522726000000", 2016, RegionMap.from_geojson(
        make_fc(3, 3, [1.0, 1.5, 4.0, 6.0, 9.0, 12.0, 20.0, 26.0, None])))
    legend = LegendWidget(state)
    qtbot.addWidget(legend)
    legend.show()
    entries = legend.entries()
    cls = state.classification
    assert [e[0] for e in entries] == [*ramp(cls.k, False), NO_DATA_COLOR]
    assert [e[1] for e in entries] == [*legend_labels(cls, "%"), "无数据"]
    assert [e[2] for e in entries] == [*cls.counts(), 1]
    texts = label_texts(legend)
    assert "贫困发生率（单位：%）" in texts
    assert "▼ 数值越低越好" in texts
    assert "无数据" in texts and "1 个乡镇" in texts
    for _, label, _ in entries[:-1]:
        assert label in texts and "%" in label
    # poverty incidence is classed by the fixed policy thresholds, the top class open-ended
    assert [e[1] for e in entries[:-1]] == ["0 – 3%", "3 – 5%", "5 – 10%", "10 – 20%", "20 – 30%", "30% 以上"]
    assert "政策标准固定分级（3% 为贫困县退出标准线）" in texts


def test_legend_follows_the_indicator(qtbot, state, squares_fc):
    state.show("522726000000", 2016, RegionMap.from_geojson(squares_fc))
    legend = LegendWidget(state)
    qtbot.addWidget(legend)
    state.indicator_key = "housing_safe_rate"
    texts = label_texts(legend)
    assert "住房安全保障率（单位：%）" in texts
    assert "▲ 数值越高越好" in texts
    assert "分位数分级" in texts
    assert legend.entries()[0][0] == ramp(5, False)[-1]  # lowest safe-housing rate is red


def test_legend_before_data_shows_no_data_only(qtbot, state):
    legend = LegendWidget(state)
    qtbot.addWidget(legend)
    assert [e[1] for e in legend.entries()] == ["无数据"]


def test_switching_indicator_leaves_no_stale_rows(qtbot, state, squares_fc):
    state.show("522726000000", 2016, RegionMap.from_geojson(squares_fc))
    legend = LegendWidget(state)
    qtbot.addWidget(legend)
    legend.show()
    state.indicator_key = "housing_safe_rate"  # no event-loop turn in between
    ranges = [lab.text() for lab in legend.findChildren(QLabel, "legendRange")]
    assert ranges == [e[1] for e in legend.entries()]


def test_every_industry_has_a_whole_short_name_in_the_layer_legend():
    """The layer legend has room for two characters: a cut '食用' for 食用菌 reads as a typo."""
    from sandbox.domain.enums import Industry
    from sandbox.ui.layers.legend import SHORT

    for industry in Industry:
        label = industry.label_zh
        short = SHORT.get(label, label[:2])
        assert len(short) <= 2 and (label in SHORT or len(label) <= 2), label


def test_regions_with_nothing_to_measure_are_listed_apart_from_no_data(qtbot, state, make_fc):
    # The API says why a rate has no value when its denominator is zero (a village without poor
    # households has no 收入达标率): the legend and the map say that, not 无数据.
    fc = make_fc(2, 2, [1.0, None, None, None])
    for f in fc["features"][1:3]:
        f["properties"]["indicator_notes"] = {"poverty_incidence": "无农村户籍人口"}
    fc["features"][3]["properties"]["indicator_notes"] = {"income_ok_rate": "无贫困户"}  # another indicator's
    state.show("522726000000", 2016, RegionMap.from_geojson(fc))
    legend = LegendWidget(state)
    qtbot.addWidget(legend)
    # a lighter slate than the unknown: known, but not a class
    assert legend.entries()[-2:] == [(NO_DATA_COLOR, "无数据", 1), (NOTHING_TO_MEASURE_COLOR, "无农村户籍人口", 2)]
    assert "无农村户籍人口" in label_texts(legend) and "2 个乡镇" in label_texts(legend)
    f = state.region_map.features
    assert [x.note("poverty_incidence") for x in f] == [None, "无农村户籍人口", "无农村户籍人口", None]
    assert format_value(f[1].value("poverty_incidence"), "%", f[1].note("poverty_incidence")) == "无农村户籍人口"
    assert format_value(f[3].value("poverty_incidence"), "%", f[3].note("poverty_incidence")) == "无数据"
    # malformed notes are no notes
    assert note_of(["无贫困户"], "income_ok_rate") is None and note_of({"income_ok_rate": 3}, "income_ok_rate") is None


def test_the_rows_keep_their_size_when_the_counts_grow_a_digit(qtbot, state, make_fc):
    """A drill changes the counts ("1 个乡镇" → "24 个乡镇"), not where the rows' texts are: none of the
    rows' labels is resized or moved (each would be laid out again in the drill's click)."""
    state.show("522726000000", 2016, RegionMap.from_geojson(
        make_fc(3, 3, [1.0, 1.5, 4.0, 6.0, 9.0, 12.0, 20.0, 26.0, None])))
    legend = LegendWidget(state)
    qtbot.addWidget(legend)
    legend.resize(420, 600)
    legend.show()
    qtbot.waitExposed(legend)
    rows = [w for w in legend.findChildren(QLabel) if w.objectName() in ("legendRange", "legendCount")]
    before = {id(w): w.geometry() for w in rows}
    state.show("522726000000", 2016, RegionMap.from_geojson(make_fc(5, 5, [1.0] * 24 + [None])))
    assert "24 个乡镇" in label_texts(legend)
    assert {id(w): w.geometry() for w in rows} == before
