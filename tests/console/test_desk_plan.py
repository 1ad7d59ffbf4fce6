"""The desk's 督查计划 workbench: the month's plan generated when absent, a village's sub-group changed, the
quarterly cross-inspection rule refusing a sub-group of the village's own town, rights, CSRF, accountability."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from sandbox.store.command.inspection import InspectionAssignment, InspectionPlan, InspectionSubgroup
from sandbox.store.db import session_factory
from sandbox.store.models import Region
from tests.console.conftest import csrf_of

PAGE = "/console/command/plan"
TOWN = "522726103000"


def _row(engine, month: str, village: str) -> InspectionAssignment:
    with session_factory(engine)() as s:
        row = s.scalars(select(InspectionAssignment).where(InspectionAssignment.month == month,
                                                           InspectionAssignment.village_code == village)).one()
        s.expunge(row)
        return row


def _village_and_subgroups(engine, month: str, town: str = TOWN) -> tuple[str, int, int]:
    """(a poor village of `town` in the month's plan, a sub-group of that town, a sub-group of another town)."""
    with session_factory(engine)() as s:
        village = s.scalar(select(InspectionAssignment.village_code).where(
            InspectionAssignment.month == month, InspectionAssignment.village_code.startswith(town[:9]))
            .order_by(InspectionAssignment.village_code).limit(1))
        own = s.scalar(select(InspectionSubgroup.id).where(InspectionSubgroup.town_code == town)
                       .order_by(InspectionSubgroup.id).limit(1))
        other = s.scalar(select(InspectionSubgroup.id).where(InspectionSubgroup.town_code != town)
                         .order_by(InspectionSubgroup.id.desc()).limit(1))
    return village, own, other


def _assign(console, month: str, village: str, subgroup: int, csrf: str | None = None):
    page = console.get(f"{PAGE}?month={month}")
    return console.post(f"{PAGE}/assign", data={"csrf": csrf or csrf_of(page.text), "month": month,
                                                "village": village, "subgroup": str(subgroup)})


def test_the_months_plan_is_generated_when_absent_with_every_poor_village(console, signed_in, demo_engine):
    signed_in("admin")
    with session_factory(demo_engine)() as s:
        assert s.get(InspectionPlan, "2031-02") is None
        poor = s.scalar(select(func.count()).select_from(Region).where(Region.level == "village",
                                                                        Region.is_poor_village.is_(True)))
    r = console.get(f"{PAGE}?month=2031-02")
    assert r.status_code == 200 and "2031-02 督查计划" in r.text and "月督查" in r.text
    with session_factory(demo_engine)() as s:
        assert s.get(InspectionPlan, "2031-02") is not None
    plan = r.text.split('id="plan"')[1].split("</table>")[0]
    assert plan.count('<tr id="v') == poor and plan.count('name="subgroup"') == poor
    assert 'href="?month=2031-01"' in r.text and 'href="?month=2031-03"' in r.text
    assert "季度交叉巡查" in console.get(f"{PAGE}?month=2031-03").text
    figures = r.text.split('id="accountability"')[1].split("</table>")[0]
    assert figures.count("<tr>") == 1 + 8  # the header and the eight towns


def test_a_clerk_changes_a_villages_sub_group(console, signed_in, demo_engine):
    month = "2019-04"  # an ordinary month: any sub-group may go
    signed_in("admin")
    village, own, other = _village_and_subgroups(demo_engine, "2019-04")
    console.get(f"{PAGE}?month={month}")
    target = other if _row(demo_engine, month, village).subgroup_id != other else own
    r = _assign(console, month, village, target)
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?month={month}&done={village}#v{village}"
    row = _row(demo_engine, month, village)
    assert row.subgroup_id == target and row.edited
    page = console.get(f"{PAGE}?month={month}&done={village}")
    assert f'<tr id="v{village}" class="edited">' in page.text and "已改派" in page.text
    assert re.search(rf'<tr id="v{village}".*?<option value="{target}" selected>', page.text, re.S)


def test_the_cross_inspection_refuses_a_sub_group_of_the_villages_own_town(console, signed_in, demo_engine):
    month = "2019-03"  # the third month of a quarter
    signed_in("leader")  # a county-wide leader plans too
    village, own, _ = _village_and_subgroups(demo_engine, month)
    console.get(f"{PAGE}?month={month}")
    before = _row(demo_engine, month, village)
    r = _assign(console, month, village, own)
    assert r.status_code == 409
    assert "交叉巡查" in r.text and "不得检查本镇" in r.text and 'id="error"' in r.text
    after = _row(demo_engine, month, village)
    assert (after.subgroup_id, after.edited) == (before.subgroup_id, before.edited)
    assert "· 本镇" in r.text  # the select marks the sub-groups that may not go
    assert f'<tr id="v{village}" class="refused">' in r.text


def test_a_town_account_reads_its_towns_rows_and_may_not_change_them(console, signed_in, demo_engine):
    month = "2019-04"
    signed_in("leader", TOWN)
    page = console.get(f"{PAGE}?month={month}")
    rows = re.findall(r'<tr id="v(\d{12})"', page.text)
    assert rows and all(v.startswith(TOWN[:9]) for v in rows)
    assert 'name="subgroup"' not in page.text and "只能查看" in page.text
    figures = page.text.split('id="accountability"')[1].split("</table>")[0]
    assert figures.count("<tr>") == 2  # the header and their town
    village, own, other = _village_and_subgroups(demo_engine, month)
    before = _row(demo_engine, month, village)
    r = console.post(f"{PAGE}/assign", data={"csrf": csrf_of(page.text), "month": month, "village": village,
                                             "subgroup": str(own if before.subgroup_id != own else other)})
    assert r.status_code == 403 and "县级统一安排" in r.text
    assert _row(demo_engine, month, village).subgroup_id == before.subgroup_id


def test_a_forged_form_and_bad_fields_change_nothing(console, signed_in, demo_engine):
    month = "2019-05"
    signed_in("admin")
    village, own, other = _village_and_subgroups(demo_engine, month)
    console.get(f"{PAGE}?month={month}")
    before = _row(demo_engine, month, village)
    target = own if before.subgroup_id != own else other
    r = _assign(console, month, village, target, csrf="forged")
    assert r.status_code == 403 and "表单已失效" in r.text
    assert _row(demo_engine, month, village).subgroup_id == before.subgroup_id
    assert _assign(console, month, village, 999_999).status_code == 404
    assert "不在 2019-05 的督查计划中" in _assign(console, month, "522726103999", target).text
    assert _assign(console, month, village, "x").status_code == 422
    assert _assign(console, "2019-13", village, target).status_code == 422
    assert console.get(f"{PAGE}?month=2019-3").status_code == 422
    assert _row(demo_engine, month, village).subgroup_id == before.subgroup_id
