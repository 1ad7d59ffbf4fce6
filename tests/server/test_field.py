"""The phone app's API (/api/v1/field): enrolment by one-time invite into an HttpOnly device cookie,
revocation, my households as a cadre may see them, check-ins stored once per client_id, my check-ins
and their photos; bad input gets a Chinese message and leaves nothing behind."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from sandbox.store.checkins import CHINA_TZ
from sandbox.store.db import session_factory
from sandbox.store.field import create_invite, revoke_devices
from sandbox.store.models import ApiToken, Checkin, FieldDevice, FieldInvite
from sandbox.store.tokens import hash_token

CHINESE = re.compile(r"[\u4e00-\u9fff]")


pytestmark = pytest.mark.usefixtures("take_back_checkins")


def invite(engine, cadre_id=None, role="cadre", region=None, now=None, label=None) -> str:
    with session_factory(engine)() as session:
        plain, _ = create_invite(session, role, cadre_id, region, now=now, label=label)
        session.commit()
    return plain


def phone(app, engine, cadre_id) -> TestClient:
    """A TestClient enrolled as this cadre's phone (its cookie jar holds the device cookie)."""
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/v1/field/enrol", json={"invite": invite(engine, cadre_id)})
    assert r.status_code == 200, r.text
    return c


def body(pair, **over) -> dict:
    b = {"client_id": str(uuid.uuid4()), "household_id": pair["household_id"],
         "at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"), "note": "走访了解务工情况",
         "point": {"lon": pair["lon"] + 0.0003, "lat": pair["lat"], "crs": "WGS-84"}, "accuracy_m": 9.0, "photos": []}
    b.update(over)
    return b


def count(engine, **where) -> int:
    q = select(func.count()).select_from(Checkin)
    for k, v in where.items():
        q = q.where(getattr(Checkin, k) == v)
    with engine.connect() as conn:
        return conn.scalar(q)


def jpeg(size=(1200, 900), exif_gps=True) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    if exif_gps:
        exif[0x010F] = "PhoneMaker"
        gps = exif.get_ifd(0x8825)
        gps[2] = (25.0, 50.0, 0.0)
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(buf, "JPEG", exif=exif, quality=85)
    return buf.getvalue()


# -- enrolment -------------------------------------------------------------------------------------

def test_invite_binds_a_device_cookie_httponly_strict_stored_hashed(app, demo_engine, pairs):
    c = TestClient(app, raise_server_exceptions=False)
    code = invite(demo_engine, pairs[0]["cadre_id"])
    r = c.post("/api/v1/field/enrol", json={"invite": code})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("sbx_device=") and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie  # plain http here; under https it is Secure (next test)
    plain = cookie.split(";")[0].split("=", 1)[1]
    with demo_engine.connect() as conn:
        token = conn.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).one()
        assert conn.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.token_hash == plain)) == 0
        device = conn.execute(select(FieldDevice).where(FieldDevice.token_id == token.id)).one()
        assert device.cadre_id == pairs[0]["cadre_id"] and token.role == "cadre"
        assert conn.scalar(select(func.count()).select_from(FieldInvite).where(FieldInvite.token_hash == code)) == 0
    me = c.get("/api/v1/field/me").json()
    assert me["cadre_id"] == pairs[0]["cadre_id"] and me["role"] == "cadre" and me["name"]
    # the cookie alone is the credential: no cookie, no answer
    assert TestClient(app, raise_server_exceptions=False).get("/api/v1/field/me").status_code == 401


def test_cookie_is_secure_under_https(app, demo_engine, pairs):
    c = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    r = c.post("/api/v1/field/enrol", json={"invite": invite(demo_engine, pairs[0]["cadre_id"])})
    assert r.status_code == 200 and "Secure" in r.headers["set-cookie"]


def test_a_used_expired_or_unknown_invite_is_refused_in_chinese(app, demo_engine, pairs):
    code = invite(demo_engine, pairs[0]["cadre_id"])
    first = TestClient(app, raise_server_exceptions=False).post("/api/v1/field/enrol", json={"invite": code})
    assert first.status_code == 200
    again = TestClient(app, raise_server_exceptions=False).post("/api/v1/field/enrol", json={"invite": code})
    assert again.status_code == 410 and "已使用过" in again.json()["detail"] and "set-cookie" not in again.headers
    old = invite(demo_engine, pairs[0]["cadre_id"], now=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                 - dt.timedelta(hours=73))
    expired = TestClient(app, raise_server_exceptions=False).post("/api/v1/field/enrol", json={"invite": old})
    assert expired.status_code == 410 and "已过期" in expired.json()["detail"]
    unknown = TestClient(app, raise_server_exceptions=False).post("/api/v1/field/enrol", json={"invite": "x" * 32})
    assert unknown.status_code == 410 and "无效" in unknown.json()["detail"]
    with demo_engine.connect() as conn:  # the expired one bound nothing
        assert conn.scalar(select(FieldInvite.used_at).where(FieldInvite.token_hash == hash_token(old))) is None


def test_two_phones_racing_for_one_invite_bind_one_device(app, demo_engine, pairs):
    code = invite(demo_engine, pairs[1]["cadre_id"])
    results = []

    def go():
        results.append(TestClient(app, raise_server_exceptions=False)
                       .post("/api/v1/field/enrol", json={"invite": code}).status_code)

    threads = [threading.Thread(target=go) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [200, 410, 410, 410]


def test_a_revoked_device_is_refused_at_once(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[2]["cadre_id"])
    assert c.get("/api/v1/field/households").status_code == 200
    with session_factory(demo_engine)() as session:
        revoked = revoke_devices(session, cadre_id=pairs[2]["cadre_id"])
        session.commit()
    assert revoked
    r = c.get("/api/v1/field/households")
    assert r.status_code == 401 and "重新绑定" in r.json()["detail"]
    b = body(pairs[2])
    r = c.post("/api/v1/field/checkins", json=b)
    assert r.status_code == 401 and count(demo_engine, client_id=b["client_id"]) == 0
    assert phone(app, demo_engine, pairs[2]["cadre_id"]).get("/api/v1/field/overview").status_code == 403


def test_a_leader_enrols_with_a_scope_and_gets_no_cadre_pages(app, demo_engine):
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/v1/field/enrol", json={"invite": invite(demo_engine, role="leader", region="522726103000",
                                                             label="王明 镇党委书记")})
    assert r.status_code == 200
    me = c.get("/api/v1/field/me").json()
    assert me["role"] == "leader" and me["region_code"] == "522726103000" and me["region"]
    assert me["name"] == "王明 镇党委书记"  # the phone's title bar greets the leader by name and post
    r = c.get("/api/v1/field/households")
    assert r.status_code == 403 and CHINESE.search(r.json()["detail"])
    o = c.get("/api/v1/field/overview").json()  # the month's visits in the leader's own town, by village
    assert o["region"] == "522726103000" and o["children"]
    assert all(ch["code"].startswith("522726103") for ch in o["children"])
    with pytest.raises(ValueError, match="辖区"):
        invite(demo_engine, role="leader")


# -- my households ----------------------------------------------------------------------------------

def test_my_households_are_mine_with_cards_masked_as_a_cadre_sees_them(app, demo_engine, pairs):
    cadre = pairs[0]["cadre_id"]
    items = phone(app, demo_engine, cadre).get("/api/v1/field/households").json()["items"]
    with demo_engine.connect() as conn:
        mine = set(conn.scalars(text("SELECT household_id FROM assignments WHERE cadre_id = :c AND end_year IS NULL"),
                                {"c": cadre}))
        ids = dict(conn.execute(text("SELECT m.name, m.id_number FROM members m JOIN assignments a "
                                     "ON a.household_id = m.household_id WHERE a.cadre_id = :c"), {"c": cadre}).all())
    assert {h["id"] for h in items} == mine and 1 <= len(items) <= 5  # 一帮四 (or five)
    h = items[0]
    for key in ("head_name", "village", "cause", "exit_path", "gaps", "income", "line", "per_capita_net_income",
                "last_visit", "lon", "lat", "phone", "members"):
        assert key in h, key
    assert set(h["income"]) == {"wage", "business", "transfer", "property"}
    assert "*" not in h["head_name"]  # a cadre knows whom they visit
    for m in h["members"]:
        assert "*" in m["id_number"] and m["id_number"] != ids[m["name"]]  # ID numbers stay masked
        assert m["id_number"][:6] == ids[m["name"]][:6] and m["id_number"][-4:] == ids[m["name"]][-4:]


# -- check-ins --------------------------------------------------------------------------------------

def test_the_same_checkin_sent_five_times_is_stored_once_and_announced_once(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    b = body(pairs[0])
    before = app.state.events.last_id
    answers = [c.post("/api/v1/field/checkins", json=b) for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1 and answers[1].json()["repeat"] is True
    assert count(demo_engine, client_id=b["client_id"]) == 1
    events = [e for e in app.state.events.recent() if e[0] > before and e[1] == "checkin"]
    assert [e[2]["id"] for e in events] == [answers[0].json()["id"]]
    rec = answers[0].json()
    assert rec["effective"] is True and 20 < rec["distance_m"] < 50


def test_five_racing_uploads_of_one_checkin_store_one(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[1]["cadre_id"])
    b = body(pairs[1])
    codes = []

    def go():
        codes.append(c.post("/api/v1/field/checkins", json=b).status_code)

    threads = [threading.Thread(target=go) for _ in range(5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [200, 200, 200, 200, 201]
    assert count(demo_engine, client_id=b["client_id"]) == 1


def test_a_household_not_the_cadres_is_refused_and_nothing_stored(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    b = body(pairs[1])  # another cadre's household
    r = c.post("/api/v1/field/checkins", json=b)
    assert r.status_code == 403 and "不是帮扶干部" in r.json()["detail"]
    assert count(demo_engine, client_id=b["client_id"]) == 0


def test_a_photo_that_is_not_an_image_is_refused_whole(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    photos_dir = app.state.settings.data_dir / "photos"
    before = set(photos_dir.iterdir()) if photos_dir.exists() else set()
    b = body(pairs[0], photos=[base64.b64encode(jpeg()).decode(), base64.b64encode(b"%PDF-1.4 not a photo").decode()])
    r = c.post("/api/v1/field/checkins", json=b)
    assert r.status_code == 422 and "第 2 张照片不是图片" in r.json()["detail"]
    assert count(demo_engine, client_id=b["client_id"]) == 0
    assert (set(photos_dir.iterdir()) if photos_dir.exists() else set()) == before  # no half-stored photo


def test_a_20_mb_photo_is_refused_in_chinese(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    big = base64.b64encode(b"\xff\xd8\xff" + bytes(20 * 1024 * 1024)).decode()
    b = body(pairs[0], photos=[big])
    r = c.post("/api/v1/field/checkins", json=b)
    assert r.status_code in (413, 422) and CHINESE.search(r.json()["detail"]) and "MB" in r.json()["detail"]
    assert count(demo_engine, client_id=b["client_id"]) == 0


def test_missing_or_bad_client_id_is_a_chinese_422(app, demo_engine, pairs):
    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    b = body(pairs[0])
    del b["client_id"]
    r = c.post("/api/v1/field/checkins", json=b)
    assert r.status_code == 422 and "client_id" in r.json()["detail"] and CHINESE.search(r.json()["detail"])
    r = c.post("/api/v1/field/checkins", json=body(pairs[0], client_id="not-a-uuid"))
    assert r.status_code == 422 and "UUID" in r.json()["detail"]


def test_a_client_id_of_another_cadre_is_not_theirs_to_read(app, demo_engine, pairs):
    mine = body(pairs[0])
    assert phone(app, demo_engine, pairs[0]["cadre_id"]).post("/api/v1/field/checkins", json=mine).status_code == 201
    other = phone(app, demo_engine, pairs[1]["cadre_id"])
    r = other.post("/api/v1/field/checkins", json=body(pairs[1], client_id=mine["client_id"]))
    assert r.status_code == 409 and CHINESE.search(r.json()["detail"])
    assert "note" not in r.json()


def test_my_checkins_list_them_with_photos_stored_without_exif(app, demo_engine, pairs):
    from PIL import Image

    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    b = body(pairs[0], note="查看石斛长势", photos=[base64.b64encode(jpeg()).decode()])
    assert c.post("/api/v1/field/checkins", json=b).status_code == 201
    items = c.get("/api/v1/field/checkins").json()["items"]
    mine = [i for i in items if i["client_id"] == b["client_id"]]
    assert len(mine) == 1 and mine[0]["note"] == "查看石斛长势" and len(mine[0]["photos"]) == 1
    assert all(i["at"] >= j["at"] for i, j in zip(items, items[1:]))  # newest first
    month = mine[0]["at"][:7]
    assert any(i["client_id"] == b["client_id"] for i in c.get(f"/api/v1/field/checkins?month={month}").json()["items"])
    r = c.get("/api/v1/field/" + mine[0]["photos"][0])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(r.content))
    assert not img.getexif() and max(img.size) <= 2000
    # another cadre's phone does not get it
    other = phone(app, demo_engine, pairs[1]["cadre_id"])
    assert other.get("/api/v1/field/" + mine[0]["photos"][0]).status_code == 404
    assert other.get("/api/v1/field/photos/..%2F..%2Fsandbox.db").status_code == 404


def test_the_app_shell_is_served_small_with_a_strict_csp(app):
    c = TestClient(app, raise_server_exceptions=False)
    r = c.get("/m/", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and "default-src 'self'" in r.headers["content-security-policy"]
    assert "帮扶干部" in r.text
    total = 0
    for name in ("", "outbox.js", "app.js", "app.css", "sw.js"):
        raw = c.get("/m/" + name, headers={"Accept-Encoding": "gzip"}, follow_redirects=False)
        assert raw.status_code == 200
        total += int(raw.headers.get("content-length", len(raw.content)))
    assert total <= 150 * 1024
    assert c.get("/m/nope.js").status_code == 404


def test_hostile_values_with_a_device_cookie_are_never_a_server_error(app, demo_engine, pairs):
    from urllib.parse import quote

    from tests.server.test_no_server_errors import HOSTILE

    c = phone(app, demo_engine, pairs[0]["cadre_id"])
    failures = []
    for value in HOSTILE:
        for url, kw in (("/api/v1/field/checkins", {"params": {"month": value}}),
                        ("/api/v1/field/photos/" + quote(value, safe=""), {})):
            r = c.get(url, **kw)
            if r.status_code >= 500 or (r.status_code >= 400 and not CHINESE.search(str(r.json().get("detail")))):
                failures.append(f"{r.status_code} {url[:80]} {value[:20]!r}")
        r = TestClient(app, raise_server_exceptions=False).post("/api/v1/field/enrol", json={"invite": value})
        if r.status_code >= 500:
            failures.append(f"{r.status_code} enrol {value[:20]!r}")
    assert not failures, failures
