"""Free text (a check-in's note, a project's text, a camera's name, an SSE event) reaches roles below
admin without ID, phone or account numbers, and display without the household's full names."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, func, select, text, update

from sandbox.domain.enums import Role
from sandbox.domain.masking import person_view, scrub_fields, scrub_text
from sandbox.domain.regions import RegionCode
from sandbox.server.deps import Caller
from sandbox.server.events.routes import render_for
from sandbox.store.checkins import CHINA_TZ, create_cadre_token
from sandbox.store.db import session_factory
from sandbox.store.models import Camera, Checkin, Project
from tests.conftest import auth

ID = "522726195809015759"
PHONE = "13884934533"
ACCOUNT = "6217002345678901234"
# Digits where Chinese characters touch them: \b finds no word boundary there, so no \b here.
LEAKS = (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
         re.compile(r"(?<!\d)\d{15}(?!\d)"), re.compile(r"(?<!\d)\d{16,19}(?!\d)"))


def _leaks(body: str) -> list[str]:
    # a stream URL's signature is hex: now and then it holds a long run of decimal digits by chance
    body = re.sub(r"sig=[0-9a-fA-F]+", "sig=", body)
    return [m.group(0) for p in LEAKS for m in p.finditer(body)]


# -- the scrubber ----------------------------------------------------------------------------------

def view(role: str):
    return person_view(Role(role))


def test_the_audit_note_is_scrubbed_for_display_and_leader_and_kept_for_admin():
    note = f"走访陈亮坤家，身份证{ID}，电话{PHONE}"
    assert scrub_text(note, view("display"), ["陈亮坤"]) == "走访陈*坤家，身份证522726********5759，电话138****4533"
    # a leader sees full names (README roles), never the numbers
    assert scrub_text(note, view("leader"), ["陈亮坤"]) == "走访陈亮坤家，身份证522726********5759，电话138****4533"
    assert scrub_text(note, view("admin"), ["陈亮坤"]) == note


@pytest.mark.parametrize("raw,shown", [
    ("身份证号52272619580901575X。", "身份证号522726********575X。"),
    ("身份证号52272619580901575x", "身份证号522726********575x"),
    ("老身份证522726580901575", "老身份证522726******575"),
    ("手机 138 8493 4533", "手机 138 **** 4533"),
    ("手机138-8493-4533", "手机138-****-4533"),
    ("座机0854-3221234", "座机0854-***1234"),
    ("北京010-62345678", "北京010-****5678"),
    ("电话：3221234", "电话：***1234"),
    (f"卡号{ACCOUNT}", "卡号***************1234"),
    ("卡号 6217 0023 4567 8901", "卡号 **** **** **** 8901"),
    ("全角１３８８４９３４５３３", "全角１３８****４５３３"),
    ("ID 522726 19580901 5759 见档案", "ID 522726 ******** 5759 见档案"),
    # kept: amounts, dates, counts, years — numbers that are not a person's
    ("补贴12000元，2017-11-05 回访，共3户，20171105", "补贴12000元，2017-11-05 回访，共3户，20171105"),
    ("2017-11-05 13884934533", "2017-11-05 138****4533"),
    ("2017 2018 2019 2020 连续帮扶", "2017 2018 2019 2020 连续帮扶"),
    # other common separators between the groups, up to three characters of them
    ("电话138.8493.4533", "电话138.****.4533"),
    ("电话 138 - 8493 - 4533", "电话 138 - **** - 4533"),
    ("手机138—8493—4533", "手机138—****—4533"),
    ("手机138－8493－4533", "手机138－****－4533"),
    ("138  8493  4533", "138  ****  4533"),
    ("138·8493·4533", "138·****·4533"),
    ("电话(0854)3221234", "电话(0854)***1234"),
    ("电话（0854）3221234", "电话（0854）***1234"),
    ("电话 (0854) 322 1234", "电话 (0854) *** 1234"),
    ("身份证522726.19580901.5759", "身份证522726.********.5759"),
    ("卡号6217/0023/4567/8901", "卡号****/****/****/8901"),
    # ... and still kept: dates, spans of years, amounts with those separators
    ("2017.11.05回访, 2017/11/05, 2017.11.05-2017.12.31, 2015—2020年, 12.5万元, (3)户",
     "2017.11.05回访, 2017/11/05, 2017.11.05-2017.12.31, 2015—2020年, 12.5万元, (3)户"),
])
def test_numbers_are_found_by_their_shape(raw, shown):
    assert scrub_text(raw, view("leader")) == shown


def test_names_are_masked_longest_first_for_display_only():
    names = ["陈亮", "陈亮坤", "王芳"]
    note = "陈亮坤和王芳在家"
    assert scrub_text(note, view("display"), names) == "陈*坤和王*在家"
    assert scrub_text(note, view("public"), names) == "陈*坤和王*在家"
    assert "陈亮坤" not in scrub_text(note, view("delegation"), names)
    assert scrub_text(note, view("leader"), names) == note


def test_scrub_fields_touches_only_free_text_keys():
    rec = {"note": f"电话{PHONE}", "village_code": "522726103001", "id": 5}
    out = scrub_fields(rec, view("display"))
    assert out == {"note": "电话138****4533", "village_code": "522726103001", "id": 5}
    assert scrub_fields(rec, view("admin")) is rec


# -- every endpoint --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planted(demo_engine, client, tokens):
    """A check-in whose note names the household and carries an ID, a phone and an account number, and
    the same in a project's description and name and a camera's name; all taken back afterwards."""
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Checkin.id)))
        pair = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.village_code, h.lon, h.lat, h.head_name, m.name AS member "
            "FROM assignments a JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "JOIN members m ON m.household_id = h.id AND m.name <> h.head_name "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id LIMIT 1")).one()._mapping
        cadre = conn.execute(text("SELECT name FROM cadres WHERE id = :i"), {"i": pair["cadre_id"]}).scalar()
        project = conn.execute(select(Project.id, Project.name, Project.description, Project.region_code)
                               .order_by(Project.id)).first()
        camera = conn.execute(select(Camera.id, Camera.name).where(Camera.project_id == project.id)).first()
    note = f"走访{pair['head_name']}家，与{pair['member']}谈话，身份证{ID}，电话{PHONE}，卡号{ACCOUNT}，干部{cadre}"
    at = dt.datetime.now(CHINA_TZ).replace(microsecond=0)
    body = {"point": {"lon": pair["lon"], "lat": pair["lat"], "crs": "WGS-84"}, "at": at.isoformat(),
            "household_id": pair["household_id"], "note": note, "photos": []}
    with session_factory(demo_engine)() as session:
        cadre_token = create_cadre_token(session, pair["cadre_id"], note="测试")
        session.commit()
    posted = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token))
    assert posted.status_code == 201, posted.text
    pii = f"联系人电话{PHONE}，身份证{ID}"
    with demo_engine.begin() as conn:
        conn.execute(update(Project).where(Project.id == project.id)
                     .values(description=(project.description or "") + pii, name=project.name + PHONE))
        conn.execute(update(Camera).where(Camera.id == camera.id).values(name=camera.name + PHONE))
    yield {"pair": pair, "note": note, "cadre": cadre, "since": (at - dt.timedelta(minutes=1)).isoformat(),
           "project": project, "posted": posted.json()}
    with demo_engine.begin() as conn:
        conn.execute(delete(Checkin).where(Checkin.id > first))
        conn.execute(update(Project).where(Project.id == project.id)
                     .values(description=project.description, name=project.name))
        conn.execute(update(Camera).where(Camera.id == camera.id).values(name=camera.name))


def _bodies(client, token: str, planted) -> dict[str, str]:
    h = auth(token)
    village = planted["pair"]["village_code"]
    p = planted["project"]
    out = {
        "checkins": client.get("/api/v1/checkins", params={"region": village, "since": planted["since"]}, headers=h),
        "projects": client.get("/api/v1/projects", params={"region": "522726"}, headers=h),
        "project": client.get(f"/api/v1/projects/{p.id}", headers=h),
        "cameras": client.get("/api/v1/cameras", headers=h),
        "chain": client.get("/api/v1/funds/chain", params={"region": "522726"}, headers=h),
        "flows": client.get("/api/v1/funds/flows", params={"region": "522726"}, headers=h),
    }
    for name, r in out.items():
        assert r.status_code == 200, (name, r.text)
    return {name: r.text for name, r in out.items()}


@pytest.mark.parametrize("role", ["display", "leader", "delegation"])
def test_no_endpoint_shows_an_id_phone_or_account_number_in_free_text(client, tokens, planted, role):
    for name, body in _bodies(client, tokens[role], planted).items():
        assert not _leaks(body), (role, name, _leaks(body))


def test_display_sees_the_note_without_the_households_names_a_leader_with_them(client, tokens, planted):
    pair, params = planted["pair"], {"region": planted["pair"]["village_code"], "since": planted["since"]}
    mine = planted["posted"]["id"]

    def note(role):
        rows = client.get("/api/v1/checkins", params=params, headers=auth(tokens[role])).json()
        return next(r for r in rows if r["id"] == mine).get("note")

    shown, led, admin = note("display"), note("leader"), note("admin")
    assert admin == planted["note"]
    for name in (pair["head_name"], pair["member"], planted["cadre"]):
        assert name not in shown and name in led
    assert "522726********5759" in shown and "138****4533" in shown and "1234" in shown
    assert "522726********5759" in led and PHONE not in led and ID not in led and ACCOUNT not in led


def test_the_post_answer_scrubs_the_note_for_the_cadre_too(planted):
    """Every role below admin: the cadre's own answer too (it is shown on a phone, and logged by proxies)."""
    echoed = planted["posted"]["note"]
    assert not _leaks(echoed) and planted["pair"]["head_name"] in echoed  # a cadre knows whom they help


def test_sse_events_scrub_free_text_per_subscriber_role():
    data = {"id": 1, "village_code": "522726103001", "note": f"电话{PHONE} 身份证{ID}"}
    for role in ("display", "leader", "delegation"):
        message = render_for(Caller(Role(role), None))(7, "checkin", data)
        assert message is not None and not _leaks(message), message
        assert "522726103001" in message  # codes are not free text
    assert PHONE in render_for(Caller(Role.admin, None))(7, "checkin", data)
    limited = render_for(Caller(Role.leader, RegionCode("522726103000")))
    assert limited(8, "checkin", {**data, "village_code": "522726101001"}) is None
