"""A household list page is kept per facts version and role: reused, renewed when the facts change, masked
by role, and every read of names logged, served from the cache or not."""

from __future__ import annotations

from sqlalchemy import func, select, update

from sandbox.store.models import Household
from sandbox.store.office.tables import AccessLogEntry
from sandbox.store.rollup import refresh_totals
from tests.conftest import auth

OTHER_TOWN_VILLAGE_PREFIX = "522726100"  # the leader_town token is limited to 522726103000


def _village(api, tokens, prefix: str = "") -> str:
    h = auth(tokens["display"])
    for town in api.get("/api/v1/regions/522726", headers=h).json()["children"]:
        if town["code"].startswith(prefix or town["code"]):
            return api.get(f"/api/v1/regions/{town['code']}", headers=h).json()["children"][0]["code"]
    raise AssertionError(f"no town under {prefix}")


def _page(api, token: str, village: str):
    return api.get("/api/v1/households", params={"region": village, "year": 2019}, headers=auth(token))


def _rename(engine, household_id: int, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Household).where(Household.id == household_id).values(head_name=name))


def _new_facts_version(engine) -> None:
    with engine.begin() as conn:
        refresh_totals(conn)  # what an import or a check-in ends with


def test_a_page_is_reused_until_the_facts_change(api, tokens, demo_engine):
    village = _village(api, tokens)
    first = _page(api, tokens["leader"], village).json()
    hid, name = first["items"][0]["id"], first["items"][0]["head_name"]
    _rename(demo_engine, hid, "测试户主")
    try:
        again = _page(api, tokens["leader"], village).json()
        assert again == first  # the kept page: no query ran (the old code read the new name here)
        _new_facts_version(demo_engine)
        renewed = _page(api, tokens["leader"], village).json()
        assert renewed["items"][0]["head_name"] == "测试户主"
        assert renewed["items"][1:] == first["items"][1:]
    finally:
        _rename(demo_engine, hid, name)
        _new_facts_version(demo_engine)
    assert _page(api, tokens["leader"], village).json() == first


def test_the_kept_page_is_masked_for_each_role_that_reads_it(api, tokens):
    village = _village(api, tokens)
    leader = _page(api, tokens["leader"], village).json()  # kept first with full names
    display = _page(api, tokens["display"], village).json()
    assert [i["id"] for i in display["items"]] == [i["id"] for i in leader["items"]]
    for full, shown in zip(leader["items"], display["items"]):
        assert shown["head_name"] != full["head_name"] and "*" in shown["head_name"]
        assert "*" in shown["id_number"] and "*" in full["id_number"]  # lists mask ID numbers for every role
        assert shown["phone"] is None or "*" in shown["phone"]
        assert (shown["lon"], shown["lat"]) == (round(full["lon"], 2), round(full["lat"], 2)) \
            or full["lon"] is None
    assert _page(api, tokens["leader"], village).json() == leader  # the display's view did not replace it
    assert _page(api, tokens["delegation"], village).status_code == 403  # no records at all, kept or not


def test_a_region_limited_token_gets_no_page_kept_for_a_wider_one(api, tokens):
    village = _village(api, tokens, OTHER_TOWN_VILLAGE_PREFIX)
    assert _page(api, tokens["leader"], village).status_code == 200  # kept for the county's leader
    r = _page(api, tokens["leader_town"], village)
    assert r.status_code == 403 and "items" not in r.text


def test_every_read_of_a_kept_page_with_names_is_logged(api, tokens, demo_engine):
    village = _village(api, tokens)

    def logged() -> int:
        with demo_engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(AccessLogEntry)
                                   .where(AccessLogEntry.what == "household_list",
                                          AccessLogEntry.region_code == village)))

    before = logged()
    for _ in range(2):
        assert _page(api, tokens["leader"], village).status_code == 200
    assert logged() == before + 2  # the second one served from the cache: still a read of names
    assert _page(api, tokens["display"], village).status_code == 200
    assert logged() == before + 2  # masked names: nothing personal given, nothing to log
