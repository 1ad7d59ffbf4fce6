"""A village's first household page made makes its town's other villages' first pages too, on a thread,
kept per facts version and for the asking role alone (issue 19: the next village clicked is one read)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select, update

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.server.core.cache import ResponseCache
from sandbox.server.households.ahead import siblings_of
from sandbox.store.models import Household
from sandbox.store.rollup import refresh_totals
from tests.conftest import auth


def _villages(api, tokens) -> list[str]:
    h = auth(tokens["display"])
    town = api.get("/api/v1/regions/522726", headers=h).json()["children"][1]["code"]
    return [c["code"] for c in api.get(f"/api/v1/regions/{town}", headers=h).json()["children"]]


def _page(api, token: str, village: str):
    return api.get("/api/v1/households", params={"region": village, "year": 2019}, headers=auth(token))


def _new_facts_version(engine) -> None:
    with engine.begin() as conn:
        refresh_totals(conn)  # what an import or a check-in ends with


def _first_household(engine, village: str) -> tuple[int, str]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(Household.id, Household.head_name)
                                  .where(Household.village_code == village).order_by(Household.id).limit(1)).one())


def _rename(engine, household_id: int, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Household).where(Household.id == household_id).values(head_name=name))


def _head(items: list, household_id: int) -> str:
    return next(i["head_name"] for i in items if i["id"] == household_id)


def test_a_villages_page_makes_its_siblings_first_pages_for_that_role_until_the_facts_change(api, tokens, demo_engine):
    siblings_of(api.app).wait()  # a town an earlier test's page set making (one town at a time) is done
    api.app.state.responses = ResponseCache()  # the app's answers emptied (as test_duty does): pages made
    # ahead go to the app's answers of the moment, not to those it had when they were first made ahead
    _new_facts_version(demo_engine)  # nothing kept for this version yet
    first, sibling = _villages(api, tokens)[:2]
    hid, name = _first_household(demo_engine, sibling)
    assert not name.startswith("测")
    assert _page(api, tokens["display"], first).status_code == 200
    siblings_of(api.app).wait()
    _rename(demo_engine, hid, "测试户主")  # (no new facts version: a kept page does not see it)
    try:
        head = _head(_page(api, tokens["display"], sibling).json()["items"], hid)
        assert head.startswith(name[0]) and "*" in head  # made before the rename, masked for the display
        assert _head(_page(api, tokens["leader"], sibling).json()["items"], hid) == "测试户主"  # not another role's
        _new_facts_version(demo_engine)
        assert _head(_page(api, tokens["display"], sibling).json()["items"], hid).startswith("测")  # renewed
    finally:
        siblings_of(api.app).wait()
        _rename(demo_engine, hid, name)
        _new_facts_version(demo_engine)


def test_sibling_pages_are_made_once_per_town_role_and_facts_version_and_only_for_a_village():
    ahead = siblings_of(SimpleNamespace(state=SimpleNamespace(sessions=None, responses=None)))
    made = []
    ahead._make = lambda *a: made.append(a)  # the thread's work itself is the test above's
    village, town = RegionCode.parse("522726101201"), RegionCode.parse("522726101000")
    assert ahead.after_made("v1", Role.display, village, 2019)
    ahead.wait()
    assert not ahead.after_made("v1", Role.display, RegionCode.parse("522726101202"), 2019)  # the same town
    assert not ahead.after_made("v1", Role.display, town, 2019)  # a town's own list: no siblings to make
    assert ahead.after_made("v1", Role.leader, village, 2019)  # another role's
    ahead.wait()
    assert ahead.after_made("v2", Role.display, village, 2019)  # a new facts version
    ahead.wait()
    assert [a[1].value for a in made] == [town.value] * 3
