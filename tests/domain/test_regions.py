"""Region codes (统计用区划代码): parsing, levels, prefixes, parents, containment."""

from __future__ import annotations

import pytest

from sandbox.domain.regions import InvalidRegionCode, RegionCode, RegionLevel


@pytest.mark.parametrize("text, level, prefix", [
    ("520000000000", RegionLevel.province, "52"),
    ("522700000000", RegionLevel.prefecture, "5227"),
    ("522726", RegionLevel.county, "522726"),
    ("522726103000", RegionLevel.town, "522726103"),
    ("522726103201", RegionLevel.village, "522726103201"),
])
def test_levels_and_prefixes(text, level, prefix):
    code = RegionCode.parse(text)
    assert code.level is level and code.prefix == prefix and len(code.value) == 12


def test_parents_walk_up_to_the_province():
    code = RegionCode.parse("522726103201")
    chain = []
    while code is not None:
        chain.append(code.value)
        code = code.parent
    assert chain == ["522726103201", "522726103000", "522726000000", "522700000000", "520000000000"]


def test_containment_is_by_prefix():
    town = RegionCode.parse("522726103000")
    assert town.contains(RegionCode.parse("522726103201"))
    assert town.contains(town)
    assert not town.contains(RegionCode.parse("522726104201"))
    assert RegionCode.parse("522726").contains(town)


@pytest.mark.parametrize("text, level, value", [
    ("52", RegionLevel.province, "520000000000"),
    ("5227", RegionLevel.prefecture, "522700000000"),
    ("522726103", RegionLevel.town, "522726103000"),
])
def test_short_codes_above_and_below_the_county_are_padded(text, level, value):
    code = RegionCode.parse(text)
    assert code.value == value and code.level is level and code.prefix == text


def test_a_province_contains_its_prefecture_and_counties_but_not_the_other_way():
    province, prefecture = RegionCode.parse("52"), RegionCode.parse("5227")
    assert province.contains(prefecture) and prefecture.contains(RegionCode.parse("522726"))
    assert not RegionCode.parse("522726").contains(prefecture)
    assert not prefecture.contains(RegionCode.parse("5201")) and not province.contains(RegionCode.parse("53"))


@pytest.mark.parametrize("bad", ["", "5", "522", "52272", "5227261", "52272610", "5227261030", "52272610300a",
                                 "５２２７２６", "５２", "522726 103000"])
def test_bad_codes_are_refused_in_chinese(bad):
    with pytest.raises(InvalidRegionCode, match="区划代码"):
        RegionCode.parse(bad)


def test_a_long_bad_value_is_cut_in_the_message():
    with pytest.raises(InvalidRegionCode) as e:
        RegionCode.parse("9" * 500)
    assert len(str(e.value)) < 80
