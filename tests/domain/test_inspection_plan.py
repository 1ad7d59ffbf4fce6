"""The monthly inspection plan's rules: every poor village each month, one sub-group each; the quarterly
cross-inspection never sends a sub-group to its own town; the same month and seed give the same plan;
an edit that breaks the rule is refused with its reason."""

from __future__ import annotations

import pytest

from sandbox.domain.inspection import (
    SubGroupRef,
    VillageRef,
    assignment_problem,
    generate_plan,
    is_cross_month,
    parse_month,
    plan_problems,
)

TOWNS = [f"522726{t:03d}000" for t in range(100, 108)]
# 30 sub-groups over 8 towns (4,4,4,4,4,4,3,3) and 74 poor villages spread unevenly
SUBGROUPS = [SubGroupRef(i + 1, TOWNS[t]) for i, t in enumerate(
    [t for t, n in enumerate((4, 4, 4, 4, 4, 4, 3, 3)) for _ in range(n)])]
VILLAGES = [VillageRef(f"{TOWNS[i % 8][:9]}{200 + i:03d}", TOWNS[i % 8]) for i in range(74)]
MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]


@pytest.mark.parametrize("month", MONTHS)
def test_every_poor_village_is_inspected_by_one_known_subgroup(month):
    plan = generate_plan(month, SUBGROUPS, VILLAGES, seed=7)
    assert set(plan) == {v.code for v in VILLAGES}
    assert set(plan.values()) <= {s.id for s in SUBGROUPS}
    assert plan_problems(month, plan, SUBGROUPS, VILLAGES) == []


def test_cross_inspection_is_the_third_month_of_each_quarter():
    assert [m for m in MONTHS if is_cross_month(m)] == ["2019-03", "2019-06", "2019-09", "2019-12"]


@pytest.mark.parametrize("month", ["2019-03", "2019-06", "2019-09", "2019-12"])
def test_cross_inspection_never_sends_a_subgroup_to_its_own_town(month):
    town_of = {s.id: s.town_code for s in SUBGROUPS}
    plan = generate_plan(month, SUBGROUPS, VILLAGES, seed=7)
    assert all(town_of[sid] != v.town_code for v in VILLAGES for sid in [plan[v.code]])


def test_ordinary_months_keep_to_the_grid_and_spread_the_load():
    town_of = {s.id: s.town_code for s in SUBGROUPS}
    plan = generate_plan("2019-04", SUBGROUPS, VILLAGES, seed=7)
    assert all(town_of[plan[v.code]] == v.town_code for v in VILLAGES)
    loads = [list(plan.values()).count(s.id) for s in SUBGROUPS]
    assert max(loads) - min(loads) <= 2


def test_the_same_month_and_seed_give_the_same_plan_and_others_differ():
    a = generate_plan("2019-05", SUBGROUPS, list(reversed(VILLAGES)), seed=7)
    assert a == generate_plan("2019-05", SUBGROUPS, VILLAGES, seed=7)
    assert a != generate_plan("2019-05", SUBGROUPS, VILLAGES, seed=8)
    assert a != generate_plan("2019-07", SUBGROUPS, VILLAGES, seed=7)


def test_an_edit_to_the_own_town_is_refused_only_in_a_cross_month():
    v = VILLAGES[0]
    own = next(s for s in SUBGROUPS if s.town_code == v.town_code)
    other = next(s for s in SUBGROUPS if s.town_code != v.town_code)
    why = assignment_problem("2019-03", own, v, "百泉镇")
    assert why is not None and "交叉巡查" in why and "百泉镇" in why
    assert assignment_problem("2019-03", other, v) is None
    assert assignment_problem("2019-04", own, v) is None
    broken = generate_plan("2019-03", SUBGROUPS, VILLAGES, seed=7) | {v.code: own.id}
    assert len(plan_problems("2019-03", broken, SUBGROUPS, VILLAGES)) == 1
    missing = {k: s for k, s in broken.items() if k != VILLAGES[1].code}
    assert any("无督查小组" in p for p in plan_problems("2019-04", missing, SUBGROUPS, VILLAGES))


def test_a_town_without_other_subgroups_cannot_be_cross_inspected():
    only = [SubGroupRef(1, TOWNS[0])]
    with pytest.raises(ValueError, match="交叉巡查"):
        generate_plan("2019-03", only, [VILLAGES[0]], seed=1)


@pytest.mark.parametrize("bad", ["2019-13", "2019-3", "19-03", "", "２０１９-０３", "2019-00", "abcd-ef"])
def test_a_bad_month_is_a_chinese_error(bad):
    with pytest.raises(ValueError, match="月份"):
        parse_month(bad)
