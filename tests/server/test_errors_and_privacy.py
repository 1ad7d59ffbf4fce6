"""Bad input gets 401/403/404/422 with a Chinese message, never a 500; masking by role."""

from __future__ import annotations

import re

import pytest

from tests.conftest import auth

ID_FULL = re.compile(r"\b\d{17}[\dX]\b")
PHONE_FULL = re.compile(r"\b1[3-9]\d{9}\b")


@pytest.mark.parametrize("path,status", [
    ("/api/v1/regions/522799", 404),
    ("/api/v1/regions/522726999000", 404),
    ("/api/v1/regions/abc", 422),
    ("/api/v1/regions/52272", 422),
    ("/api/v1/regions/522726?year=abc", 422),
    ("/api/v1/regions/522726?year=1990", 422),
    ("/api/v1/regions/522726/trend?indicator=nope", 422),
    ("/api/v1/regions/522726/trend?from=2019&to=2015", 422),
    ("/api/v1/regions/522726/children.geojson?year=x", 422),
    ("/api/v1/households?region=522726&page=0", 422),
    ("/api/v1/households?region=522726&status=rich", 422),
    ("/api/v1/households/999999999", 404),
    ("/api/v1/households/abc", 422),
    ("/api/v1/projects?region=zz", 422),
    ("/api/v1/projects/99999", 404),
    ("/api/v1/checkins?region=522726&since=yesterday", 422),
    # Numbers a 64-bit database column cannot hold: a 422, not an overflow in the driver (was a 500).
    ("/api/v1/households/9223372036854775808", 422),
    ("/api/v1/projects/99999999999999999999", 422),
    ("/api/v1/projects/0", 422),
    # Full-width and Arabic-Indic digits are digits to Python's \\d, not to a region code.
    ("/api/v1/regions/\uff15\uff12\uff12\uff17\uff12\uff16", 422),
    ("/api/v1/regions/\u0665\u0662\u0662\u0667\u0662\u0666", 422),
    ("/api/v1/funds/chain?region=522726&project=999999", 404),
    ("/api/v1/checkins?region=522726&since=2017-01-01T00:00:00&until=1900-01-01", 422),
    ("/api/v1/checkins?region=522726&since=2017-01-01T00:00:00%2B08:00&until=2017-01-01T00:00:00", 422),
])
def test_bad_input_is_a_clear_client_error(api, tokens, path, status):
    r = api.get(path, headers=auth(tokens["admin"]))
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and re.search(r"[\u4e00-\u9fff]", detail), detail


def test_no_token_or_wrong_token_is_401(api):
    assert api.get("/api/v1/regions/522726").status_code == 401
    r = api.get("/api/v1/regions/522726", headers={"Authorization": "Bearer sbx_wrong"})
    assert r.status_code == 401 and "令牌" in r.json()["detail"]
    assert api.get("/api/v1/regions/522726", headers={"Authorization": "Basic abc"}).status_code == 401


def test_health_needs_no_token(api):
    body = api.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["data_as_of"].startswith("2020-12-31")


def test_roles_not_allowed_get_403(api, tokens):
    assert api.get("/api/v1/households?region=522726", headers=auth(tokens["delegation"])).status_code == 403
    assert api.get("/api/v1/households/1", headers=auth(tokens["delegation"])).status_code == 403
    assert api.get("/api/v1/regions/522726", headers=auth(tokens["public"])).status_code == 403


def test_region_limited_leader_cannot_leave_their_town(api, tokens):
    t = auth(tokens["leader_town"])
    assert api.get("/api/v1/regions/522726103000", headers=t).status_code == 200
    assert api.get("/api/v1/regions/522726", headers=t).status_code == 403
    assert api.get("/api/v1/regions/522726101000", headers=t).status_code == 403


def _all_person_endpoints(api, token):
    h = auth(token)
    bodies = []
    listing = api.get("/api/v1/households", params={"region": "522726", "year": 2017}, headers=h)
    bodies.append(listing)
    if listing.status_code == 200:
        for item in listing.json()["items"][:5]:
            bodies.append(api.get(f"/api/v1/households/{item['id']}", headers=h))
    bodies.append(api.get("/api/v1/checkins", params={"region": "522726", "since": "2017-11-01T00:00:00"}, headers=h))
    bodies.append(api.get("/api/v1/projects", params={"region": "522726"}, headers=h))
    bodies.append(api.get("/api/v1/regions/522726", headers=h))
    bodies.append(api.get("/api/v1/regions/522726/children.geojson", headers=h))
    bodies.append(api.get("/api/v1/cameras", headers=h))
    bodies.append(api.get("/api/v1/funds/flows", params={"region": "522726"}, headers=h))
    return bodies


@pytest.mark.parametrize("role", ["display", "delegation"])
def test_display_and_delegation_never_receive_full_id_or_phone(api, tokens, role):
    for r in _all_person_endpoints(api, tokens[role]):
        assert r.status_code in (200, 403), r.text
        assert not ID_FULL.search(r.text), r.url
        assert not PHONE_FULL.search(r.text), r.url


def test_display_sees_masked_household_fields(api, tokens):
    items = api.get("/api/v1/households", params={"region": "522726"}, headers=auth(tokens["display"])).json()["items"]
    assert items
    for it in items:
        assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", it["id_number"])
        assert "*" in it["head_name"]
        assert re.fullmatch(r"\d{3}\*{4}\d{4}", it["phone"])
        assert it["lon"] == round(it["lon"], 2) and it["lat"] == round(it["lat"], 2)  # ≈ 1 km, not the house
    detail = api.get(f"/api/v1/households/{items[0]['id']}", headers=auth(tokens["display"])).json()
    assert all("*" in m["id_number"] for m in detail["members_detail"])


def test_leader_sees_full_names_but_masked_ids_admin_sees_all(api, tokens):
    leader = api.get("/api/v1/households", params={"region": "522726"}, headers=auth(tokens["leader"])).json()["items"][0]
    admin = api.get("/api/v1/households", params={"region": "522726"}, headers=auth(tokens["admin"])).json()["items"][0]
    assert "*" not in leader["head_name"] and leader["head_name"] == admin["head_name"]
    assert "*" in leader["id_number"]
    assert ID_FULL.fullmatch(admin["id_number"])
    assert leader["lon"] == admin["lon"] and admin["lon"] != round(admin["lon"], 2)  # leaders visit: the spot


def test_delegation_checkins_carry_no_people(api, tokens):
    rows = api.get("/api/v1/checkins", params={"region": "522726", "since": "2017-11-01T00:00:00"},
                   headers=auth(tokens["delegation"])).json()
    assert rows
    assert all(set(r) <= {"id", "at", "lon", "lat", "village_code", "effective"} for r in rows)


def test_a_wall_is_not_told_whose_home_a_checkin_was_at(api, tokens):
    """A visit's exact point plus the household would give the house's location, which the display
    role only gets to ≈ 1 km: the wall gets the point, not whose home it was; a leader gets both."""
    params = {"region": "522726", "since": "2017-11-01T00:00:00"}
    shown = api.get("/api/v1/checkins", params=params, headers=auth(tokens["display"])).json()
    led = api.get("/api/v1/checkins", params=params, headers=auth(tokens["leader"])).json()
    assert shown and all("household_id" not in r and "lon" in r for r in shown)
    assert led and all("household_id" in r for r in led)


@pytest.mark.parametrize("role", ["display", "delegation"])
def test_a_wall_gets_a_visit_point_no_closer_than_a_home(api, tokens, role):
    """A visit is made at a poor household's door: its point is that home's location, so a role that
    gets homes to 0.01° gets visits to 0.01° too (leaders, who visit, get the spot)."""
    params = {"region": "522726", "since": "2017-11-01T00:00:00"}
    shown = api.get("/api/v1/checkins", params=params, headers=auth(tokens[role])).json()
    led = {r["id"]: r for r in api.get("/api/v1/checkins", params=params, headers=auth(tokens["leader"])).json()}
    assert shown and all(r["lon"] == round(r["lon"], 2) and r["lat"] == round(r["lat"], 2) for r in shown)
    assert any(r["lon"] != round(r["lon"], 2) for r in led.values())
    for r in shown[:50]:
        exact = led[r["id"]]
        assert abs(r["lon"] - exact["lon"]) <= 0.005 + 1e-9 and abs(r["lat"] - exact["lat"]) <= 0.005 + 1e-9


def test_a_project_outside_the_region_is_not_found_in_its_fund_chain(api, tokens):
    h = auth(tokens["admin"])
    projects = api.get("/api/v1/projects", params={"region": "522726"}, headers=h).json()
    p = projects[0]
    town = p["region_code"][:9] + "000"
    other = next(c for c in ("522726101000", "522726102000", "522726103000") if c != town)
    assert api.get("/api/v1/funds/chain", params={"region": town, "project": p["id"]}, headers=h).status_code == 200
    r = api.get("/api/v1/funds/chain", params={"region": other, "project": p["id"]}, headers=h)
    assert r.status_code == 404 and str(p["id"]) in r.json()["detail"]


def test_openapi_is_served(api):
    spec = api.get("/openapi.json").json()
    assert "/api/v1/regions/{code}" in spec["paths"]
    assert "/api/v1/regions/{code}/children.geojson" in spec["paths"]
