"""The drill-down path, the open village and the wall state's rules for them: plain Python, no Qt."""

import pytest

from sandbox.ui.navigation import Crumb, Navigation, crumb_of
from sandbox.ui.state import RegionMap, WallState
from sandbox.ui.village import VillageState

COUNTY = {"code": "522726000000", "name": "独山县", "level": "county", "parent_code": "522700000000"}
TOWN = {"code": "522726101000", "name": "百泉镇", "level": "town", "parent_code": "522726000000"}
TOWN2 = {"code": "522726102000", "name": "麻尾镇", "level": "town", "parent_code": "522726000000"}
VILLAGE = {"code": "522726101201", "name": "兰堡村", "level": "village", "parent_code": "522726101000"}
VILLAGE2 = {"code": "522726101202", "name": "河坝村", "level": "village", "parent_code": "522726101000"}


def names(nav: Navigation) -> list[str]:
    return [c.name for c in nav.stack]


def test_path_grows_under_its_parent_and_truncates_back():
    nav, seen = Navigation(), []
    nav.events.changed.connect(seen.append)
    nav.arrive(COUNTY)
    nav.arrive(TOWN)
    assert names(nav) == ["独山县", "百泉镇"] and nav.parent == crumb_of(COUNTY) and nav.can_go_up
    nav.arrive(VILLAGE)
    nav.arrive(VILLAGE2)  # a sibling village replaces the open one
    assert names(nav) == ["独山县", "百泉镇", "河坝村"] and nav.current.is_leaf
    nav.arrive(COUNTY)
    assert names(nav) == ["独山县"] and not nav.can_go_up and nav.up_target() is None
    assert len(seen) == 5


def test_a_jump_starts_over_from_the_ancestors():
    nav = Navigation()
    nav.arrive(COUNTY)
    nav.arrive(TOWN)
    nav.arrive(TOWN2)  # not a child of 百泉镇: a jump
    assert names(nav) == ["麻尾镇"]
    nav.arrive(TOWN, ancestors=[Crumb("522726000000", "独山县", "county")])
    assert nav.codes() == ["522726000000", "522726101000"]


def test_leaving_a_village_keeps_its_town():
    nav = Navigation()
    for r in (COUNTY, TOWN, VILLAGE):
        nav.arrive(r)
    assert nav.leave_leaf() == crumb_of(VILLAGE)
    assert names(nav) == ["独山县", "百泉镇"]
    assert nav.leave_leaf() is None  # a town is not a leaf


def test_village_state_pages():
    v = VillageState()
    assert not v.is_open and v.pages == 1
    v.show(VILLAGE, {"total": 23, "page": 2, "page_size": 10, "items": [{}] * 10})
    assert v.is_open and v.code == "522726101201" and (v.page, v.pages) == (2, 3)
    v.show(None, None, "参观接待模式不显示户级信息")  # a new page that did not come: region kept
    assert v.code == "522726101201" and v.note and v.households is None
    v.close()
    assert not v.is_open and v.note is None


def _rm(codes):
    ring = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    return RegionMap.from_geojson({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"code": c, "name": c, "level": "village"}} for c in codes]})


def test_wall_state_keeps_the_village_across_years_and_closes_it_elsewhere():
    ws = WallState()
    ws.apply(dict(COUNTY, year=2020, years=[2019, 2020]), _rm(["522726101000"]))
    ws.apply(dict(TOWN, year=2020), _rm(["522726101201", "522726101202"]))
    ws.open_village(dict(VILLAGE, year=2020), {"total": 1, "page": 1, "page_size": 50, "items": [{}]})
    assert ws.map.selected_code == VILLAGE["code"] and ws.nav.current.is_leaf
    ws.apply(dict(TOWN, year=2019), _rm(["522726101201", "522726101202"]))  # the timeline moved
    assert ws.village.is_open and [c.name for c in ws.nav.stack] == ["独山县", "百泉镇", "兰堡村"]
    ws.apply(dict(COUNTY, year=2019), _rm(["522726101000"]))
    assert not ws.village.is_open and [c.name for c in ws.nav.stack] == ["独山县"]
    assert ws.close_village() is False


def test_years_come_from_the_region_payload():
    ws = WallState()
    assert ws.years == []
    ws.apply(dict(COUNTY, year=2016, years=[2016, 2014, 2015]), _rm(["522726101000"]))
    assert ws.years == [2014, 2015, 2016]


@pytest.mark.parametrize("region, crumb", [
    ({"code": "522726", "name": "独山县", "level": "county"}, Crumb("522726", "独山县", "county")),
    ({"code": "522726101201"}, Crumb("522726101201", "522726101201", "")),
])
def test_crumb_of(region, crumb):
    assert crumb_of(region) == crumb
