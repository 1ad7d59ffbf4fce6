"""The drill-down path above the county (province › prefecture › county › town): plain Python, no Qt."""

from sandbox.ui.navigation import LEVEL_ZH, Crumb, Navigation, full_code

PROVINCE = {"code": "520000000000", "name": "贵州省", "level": "province", "parent_code": None}
PREFECTURE = {"code": "522700000000", "name": "黔南州", "level": "prefecture", "parent_code": "520000000000"}
COUNTY = {"code": "522726000000", "name": "独山县", "level": "county", "parent_code": "522700000000"}
TOWN = {"code": "522726101000", "name": "百泉镇", "level": "town", "parent_code": "522726000000"}
OTHER_COUNTY_TOWN = {"code": "520102001000", "name": "某街道", "level": "town", "parent_code": "520102000000"}


def names(nav: Navigation) -> list[str]:
    return [c.name for c in nav.stack]


def test_codes_at_any_level_are_spelt_as_the_payloads_spell_them():
    assert [full_code(c) for c in ("52", "5227", "522726", "522726101", "522726101201")] == [
        "520000000000", "522700000000", "522726000000", "522726101000", "522726101201"]
    assert full_code("5") == "5" and full_code("abc") == "abc"  # left for the API to refuse
    assert LEVEL_ZH["province"] == "省" and LEVEL_ZH["prefecture"] == "市州"


def test_the_path_runs_from_the_province_down_and_back():
    nav = Navigation()
    for region in (PROVINCE, PREFECTURE, COUNTY, TOWN):
        nav.arrive(region)
    assert names(nav) == ["贵州省", "黔南州", "独山县", "百泉镇"] and nav.root.code == "520000000000"
    nav.arrive(PREFECTURE)
    assert names(nav) == ["贵州省", "黔南州"] and nav.up_target().name == "贵州省"


def test_a_jump_below_the_path_keeps_the_crumbs_above_it():
    """A tour step on a town of a province's wall: the loader's ancestors stop at the county, and the path
    keeps the province and prefecture above (idle then goes home to the province, not the county)."""
    nav = Navigation()
    nav.arrive(PROVINCE)
    nav.arrive(TOWN, ancestors=[Crumb("522726000000", "独山县", "county")])
    assert names(nav) == ["贵州省", "独山县", "百泉镇"] and nav.root.code == "520000000000"
    nav.arrive(PROVINCE)
    nav.arrive(PREFECTURE)
    nav.arrive(TOWN, ancestors=[Crumb("522726000000", "独山县", "county")])
    assert names(nav) == ["贵州省", "黔南州", "独山县", "百泉镇"]
    # a jump out of the path's regions starts over
    nav.arrive(OTHER_COUNTY_TOWN, ancestors=[Crumb("520102000000", "南明区", "county")])
    assert names(nav) == ["贵州省", "南明区", "某街道"]


def test_a_wall_rooted_at_a_prefecture_starts_its_path_there_not_at_the_province():
    """`sandbox wall --region 5227`: the first load's ancestors reach the province, but home is the prefecture."""
    nav = Navigation(home="5227")
    nav.arrive(PREFECTURE, ancestors=[Crumb("520000000000", "贵州省", "province")])
    assert names(nav) == ["黔南州"] and nav.root.code == "522700000000" and not nav.can_go_up
    nav.arrive(COUNTY)
    nav.arrive(TOWN)
    assert names(nav) == ["黔南州", "独山县", "百泉镇"] and nav.root.code == "522700000000"
    # a jump to a town of the prefecture (a tour step) keeps the prefecture as the root
    nav.arrive(PREFECTURE)
    nav.arrive(TOWN, ancestors=[Crumb("522726000000", "独山县", "county")])
    assert names(nav) == ["黔南州", "独山县", "百泉镇"]
    # a first load below the root with ancestors up to the province: still rooted at the prefecture
    nav = Navigation(home="522700000000")
    nav.arrive(COUNTY, ancestors=[Crumb("520000000000", "贵州省", "province"),
                                  Crumb("522700000000", "黔南州", "prefecture")])
    assert names(nav) == ["黔南州", "独山县"]


def test_a_wall_rooted_at_a_village_keeps_its_town_and_county_above_the_panel():
    village = {"code": "522726101201", "name": "兰堡村", "level": "village", "parent_code": "522726101000"}
    nav = Navigation(home="522726101201")
    nav.arrive(village, ancestors=[Crumb("522726000000", "独山县", "county"), Crumb("522726101000", "百泉镇", "town")])
    assert names(nav) == ["独山县", "百泉镇", "兰堡村"]
