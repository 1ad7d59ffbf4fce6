"""A region-limited token (基长镇, 522726103000) reads its own region only, on every endpoint and in
every event type: 403 with a Chinese detail outside it, its own region where none is asked for."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import text

from sandbox.server.deps import REGION_SCOPES
from sandbox.server.runtime import EmbeddedServer
from tests.conftest import auth
from tests.server.test_events import SseReader

TOWN = "522726103000"
PREFIX = "522726103"
OTHER = "522726101000"
CHINESE = re.compile(r"[\u4e00-\u9fff]")

# Every GET that reads by region, with the region's place marked {r}.
REGION_ENDPOINTS = [
    "/api/v1/regions/{r}",
    "/api/v1/regions/{r}/children.geojson",
    "/api/v1/regions/{r}/children/series",
    "/api/v1/regions/{r}/level",
    "/api/v1/regions/{r}/trend",
    "/api/v1/households?region={r}",
    "/api/v1/projects?region={r}",
    "/api/v1/funds/flows?region={r}",
    "/api/v1/funds/chain?region={r}",
    "/api/v1/cameras?region={r}",
    "/api/v1/checkins?region={r}&since=2017-11-01T00:00:00",
    "/api/v1/checkins/visits?region={r}&month=2017-11",
    "/api/v1/inspections/plan?region={r}&month=2019-03",
    "/api/v1/inspections/findings?region={r}",
    "/api/v1/inspections/accountability?region={r}",
    "/api/v1/complaints?region={r}",
    "/api/v1/regions/{r}/duty",
    "/api/v1/regions/{r}/brief.pdf",
    "/api/v1/regions/{r}/risk",
    "/api/v1/regions/{r}/forecast?as_of=2017",
    "/api/v1/risk/hits?region={r}",
    "/api/v1/risk/rules?region={r}",
]
# Routes that take no region scope, and why they cannot leak another region.
NOT_BY_REGION = {
    "/api/v1/health": "no data",
    "/api/v1/indicators": "the registry, no data",
    "/api/v1/households/{household_id}": "the record's village checked against the token (tested below)",
    "/api/v1/projects/{project_id}": "the record's region checked against the token (tested below)",
    "/api/v1/events": "each event filtered by its region per subscriber (tested below)",
    "/api/v1/checkins": "POST: the household's village checked against the token",
    "/api/v1/demo/streams": "admin's demo controls",
    "/api/v1/demo/streams/{camera_id}.mjpeg": "a signed URL handed out by the region-filtered /cameras",
    "/api/v1/demo/streams/{camera_id}/sub.mjpeg": "signed per camera like the main stream (same signature)",
    "/api/v1/demo/streams/{camera_id}/state": "admin's demo controls",
    # the phone app (issue 15): a device sees its own cadre's records, or a leader's own area
    "/api/v1/field/enrol": "spends an invite, reads no records",
    "/api/v1/field/logout": "clears the cookie, reads no records",
    "/api/v1/field/me": "the device's own identity",
    "/api/v1/field/overview": "the leader device's own region (RegionScope of the token's region)",
    "/api/v1/field/households": "the cadre's own households (结对), tested in test_field.py",
    "/api/v1/field/checkins": "the cadre's own check-ins; POST: only an assigned household",
    "/api/v1/field/photos/{name}": "only a photo of the cadre's own check-ins",
    # instructions and notices (issue 16): bearer token or device cookie, so their own region checks
    # (tests/server/test_instructions_api.py)
    "/api/v1/instructions": "GET: ?region= checked against the token, else the token's region; POST: the issuer's scope",
    "/api/v1/instructions/scope": "the caller's own scope",
    "/api/v1/instructions/{instruction_id}": "only one with a recipient in, or issued from, the token's region",
    "/api/v1/instructions/photos/{name}": "only a photo of an instruction the caller may see",
    "/api/v1/instructions/todo": "the cadre's own items",
    "/api/v1/instructions/todo/{item_id}/confirm": "the cadre's own item",
    "/api/v1/instructions/todo/{item_id}/feedback": "the cadre's own item",
    "/api/v1/instructions/{instruction_id}/items/{item_id}/close": "the issuer's office or above",
    "/api/v1/instructions/{instruction_id}/items/{item_id}/return": "the issuer's office or above",
    "/api/v1/notices": "GET: posted in or above the token's region, a cadre's own; POST: admin",
    "/api/v1/notices/{notice_id}": "only one posted in or above the token's region",
    "/api/v1/notices/{notice_id}/reads": "the towns under the token's region only",
    # inspections (issue 16): the county's organisation, and items checked one by one against the token
    "/api/v1/inspections/groups": "the county's inspection groups (who inspects), no poverty records",
    "/api/v1/inspections/plan": "POST: generating is for county-wide tokens only (GET is scoped)",
    "/api/v1/inspections/findings": "POST: the village checked against the token, then the plan's sub-group (GET is scoped)",
    "/api/v1/inspections/plan/assign": "POST: county-wide tokens only (a town token gets 403)",
    "/api/v1/inspections/findings/{finding_id}": "the finding's village checked against the token (403)",
    "/api/v1/inspections/rectifications/{rectification_id}/evidence": "POST: the finding's village checked, then "
                                                                      "only its responsible cadre",
    "/api/v1/inspections/rectifications/{rectification_id}/review": "POST: the finding's village checked, then "
                                                                    "only its sub-group's members",
    "/api/v1/inspections/photos/{name}": "only a photo of a finding the token's region holds",
    "/api/v1/inspections/mine": "the device's own sub-groups' villages and its own cadre's rectifications",
    # the complaints desk (issue 16): each record's town checked against the token (test_complaints_desk.py)
    "/api/v1/complaints/{complaint_id}": "the complaint's town checked against the token",
    "/api/v1/complaints/{complaint_id}/photos/{n}": "the complaint's town checked against the token",
    "/api/v1/complaints/{complaint_id}/assign": "the complaint's town checked against the token",
    "/api/v1/complaints/{complaint_id}/reply": "the complaint's town checked against the token",
    "/api/v1/complaints/{complaint_id}/escalate": "the complaint's town checked against the token",
    "/api/v1/complaints/{complaint_id}/close": "the complaint's town checked against the token",
    # the risk register (issue 17): a hit's region checked against the token (tests/server/test_risk_api.py)
    "/api/v1/risk/hits/{hit_id}": "the hit's region checked against the token",
    "/api/v1/risk/hits/{hit_id}/case": "POST: the hit's region checked against the token",
}


def _dependencies(dependant) -> set:
    out = {dependant.call}
    for d in dependant.dependencies:
        out |= _dependencies(d)
    return out


def _api_routes(app) -> list[tuple[str, set[str], object]]:
    """(full path, methods, dependant) of every API route: FastAPI 0.165 keeps included routers in
    `app.routes`, so they are flattened; checked against the OpenAPI document so nothing is missed."""
    try:
        from fastapi.routing import iter_route_contexts
        contexts = list(iter_route_contexts(app.routes))
    except ImportError:  # an older FastAPI: the routes are flat already
        contexts = list(app.routes)
    out = []
    for context in contexts:
        original = getattr(context, "original_route", context)
        if isinstance(original, APIRoute) and context.path.startswith("/api/v1"):
            out.append((context.path, set(context.methods), original.dependant))
    documented = {(path, method.upper()) for path, ops in app.openapi()["paths"].items() for method in ops}
    walked = {(path, method) for path, methods, _ in out for method in methods}
    assert documented and documented <= walked, documented - walked
    return out


def test_every_route_reads_through_the_region_scope_or_says_why_not(api):
    """The filter no endpoint can forget: a new route fails here until it takes a region scope."""
    routes = _api_routes(api.app)
    assert len(routes) > 20
    missing = []
    for path, methods, dependant in routes:
        scoped = bool(_dependencies(dependant) & set(REGION_SCOPES))
        if not scoped and path not in NOT_BY_REGION:
            missing.append(f"{sorted(methods)} {path}")
    assert not missing, missing
    assert any(bool(_dependencies(d) & set(REGION_SCOPES)) for _, _, d in routes)
    covered = {e.split("?")[0].replace("{r}", "{code}") for e in REGION_ENDPOINTS}
    for path, methods, _ in routes:
        if "GET" in methods and path not in NOT_BY_REGION:
            assert path in covered, f"{path}: add it to REGION_ENDPOINTS"
    stale = set(NOT_BY_REGION) - {path for path, _, _ in routes}
    assert not stale, f"routes gone: {stale}"


@pytest.mark.parametrize("endpoint", REGION_ENDPOINTS)
def test_a_town_token_reads_its_town_and_nothing_else(api, tokens, endpoint):
    h = auth(tokens["leader_town"])
    assert api.get(endpoint.format(r=TOWN), headers=h).status_code == 200
    # the regions above it too: its county, prefecture (4 digits or 12) and province (2 or 12)
    for outside in (OTHER, "522726", "522726101001", "522799000000", "5227", "522700000000", "52", "520000000000"):
        r = api.get(endpoint.format(r=outside), headers=h)
        assert r.status_code == 403, (outside, r.text)
        assert CHINESE.search(r.json()["detail"]) and TOWN in r.json()["detail"]
    # an unknown region inside the town is a 404, as for anyone
    r = api.get(endpoint.format(r="522726103999"), headers=h)
    assert r.status_code == 404 and CHINESE.search(r.json()["detail"])
    # an unlimited token is not held back
    assert api.get(endpoint.format(r=OTHER), headers=auth(tokens["leader"])).status_code == 200


def test_cameras_without_a_region_are_the_tokens_own(api, tokens):
    everything = api.get("/api/v1/cameras", headers=auth(tokens["leader"])).json()
    mine = api.get("/api/v1/cameras", headers=auth(tokens["leader_town"])).json()
    assert mine and all(c["region_code"].startswith(PREFIX) for c in mine)
    assert {c["id"] for c in mine} == {c["id"] for c in everything if c["region_code"].startswith(PREFIX)}
    assert len(everything) > len(mine)


def test_records_of_another_town_are_refused(api, tokens, demo_engine):
    with demo_engine.connect() as conn:
        inside_h, outside_h = (conn.execute(text(
            "SELECT id FROM households WHERE village_code LIKE :p ORDER BY id LIMIT 1"), {"p": p + "%"}).scalar()
            for p in (PREFIX, "522726101"))
        inside_p, outside_p = (conn.execute(text(
            "SELECT id FROM projects WHERE region_code LIKE :p ORDER BY id LIMIT 1"), {"p": p + "%"}).scalar()
            for p in (PREFIX, "522726101"))
    h = auth(tokens["leader_town"])
    assert api.get(f"/api/v1/households/{inside_h}", headers=h).status_code == 200
    assert api.get(f"/api/v1/projects/{inside_p}", headers=h).status_code == 200
    for path in (f"/api/v1/households/{outside_h}", f"/api/v1/projects/{outside_p}"):
        r = api.get(path, headers=h)
        assert r.status_code == 403 and CHINESE.search(r.json()["detail"]), r.text


@pytest.fixture(scope="module")
def server(demo_engine):
    srv = EmbeddedServer(demo_engine).start()
    srv.server.config.app.state.sse_heartbeat_s = 1.0
    yield srv
    srv.stop()


def test_events_reach_a_town_token_only_for_its_town(server, tokens):
    bus = server.server.config.app.state.events
    town, county = SseReader(server.url, tokens["leader_town"]), SseReader(server.url, tokens["leader"])
    try:
        town.wait_connected()
        county.wait_connected()
        published = [
            bus.publish("checkin", {"id": 1, "village_code": "522726101001", "town_code": "522726101000"}),
            bus.publish("facts", {"region_code": "522726101001", "year": 2017, "reason": "checkin"}),
            bus.publish("facts", {"region_code": "522726101000", "year": 2017, "reason": "import"}),
            bus.publish("checkin", {"id": 2, "village_code": "522726103001", "town_code": TOWN}),
            bus.publish("facts", {"region_code": "522726103001", "year": 2017, "reason": "checkin"}),
            bus.publish("facts", {"region_code": "522726000000", "year": 2017, "reason": "import"}),
            bus.publish("checkin", {"id": 3}),  # no region: not known to be the town's
            bus.publish("ping", {}),
        ]
        assert county.wait_for(lambda e: e[0] == published[-1])
        assert town.wait_for(lambda e: e[0] == published[-1])
        got = [e[0] for e in town.events if e[1] != "resync"]
        assert got == [published[3], published[4], published[5], published[7]]
        assert [e[0] for e in county.events] == published
        # a reconnect replays the backlog through the same filter
        again = SseReader(server.url, tokens["leader_town"], last_event_id=str(published[0] - 1))
        try:
            assert again.wait_for(lambda e: e[0] == published[-1])
            assert [e[0] for e in again.events] == [published[3], published[4], published[5], published[7]]
        finally:
            again.close()
    finally:
        town.close()
        county.close()


def test_a_town_token_gets_no_event_of_an_unknown_type_or_region():
    """Only the explicit global events pass without a region; the region is read from village_code,
    region_code or town_code."""
    from sandbox.domain.enums import Role
    from sandbox.domain.regions import RegionCode
    from sandbox.server.deps import Caller
    from sandbox.server.events.routes import GLOBAL_EVENTS, render_for

    town = render_for(Caller(Role.leader, RegionCode(TOWN)))
    county = render_for(Caller(Role.leader, None))
    assert town(1, "complaint", {"note": "某户反映问题"}) is None  # a type nobody classed, no region
    assert town(2, "checkin", {"id": 9}) is None
    assert town(3, "alert", {"town_code": OTHER}) is None  # its region only in town_code
    assert town(4, "alert", {"town_code": TOWN}) is not None
    assert town(5, "complaint", {"region_code": "522726103001"}) is not None
    for kind in GLOBAL_EVENTS:
        assert town(6, kind, {}) is not None
    assert {"resync", "ping"} <= GLOBAL_EVENTS
    assert county(7, "complaint", {"note": "x"}) is not None  # an unlimited token gets everything


def test_an_open_event_stream_ends_when_its_token_is_revoked(server, demo_engine):
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from sandbox.server.runtime import new_token
    from sandbox.store.models import ApiToken
    from sandbox.store.tokens import hash_token, utcnow

    token = new_token(demo_engine, "display")
    reader = SseReader(server.url, token)
    try:
        reader.wait_connected()
        with Session(demo_engine) as session:
            session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(token)).values(revoked_at=utcnow()))
            session.commit()
        reader._thread.join(timeout=10)  # the heartbeat is 1 s here: the server ends the stream
        assert not reader._thread.is_alive()
    finally:
        reader.close()
