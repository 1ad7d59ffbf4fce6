"""POST /checkins: valid check-ins are stored (WGS-84, distance, effective, photos) and announced;
bad ones get 4xx with the reason in Chinese and leave nothing behind; never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re

import numpy as np
import pytest
from sqlalchemy import delete, func, select, text

from sandbox.geo.crs import wgs84_to_gcj02_xy
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.db import session_factory
from sandbox.store.models import Checkin
from sandbox.store.rollup import refresh_facts, refresh_totals
from tests.conftest import auth

CHINESE = re.compile(r"[\u4e00-\u9fff]")


pytestmark = pytest.mark.usefixtures("take_back_checkins")


def _now() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")


def _body(pair: dict, **over) -> dict:
    body = {"point": {"lon": pair["lon"] + 0.0002, "lat": pair["lat"], "crs": "WGS-84"}, "accuracy_m": 8.5,
            "at": _now(), "household_id": pair["household_id"], "note": "走访了解家庭收入情况", "photos": []}
    body.update(over)
    return body


def _image(fmt: str, size=(64, 48)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buf, fmt)
    return buf.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Checkin))


def _photo_files(app) -> set[str]:
    d = app.state.settings.data_dir / "photos"
    return {p.name for p in d.iterdir()} if d.exists() else set()


# -- accepted ----------------------------------------------------------------------------------

def test_cadre_posts_a_checkin_and_it_is_stored_and_announced(client, app, demo_engine, pairs, cadre_token):
    pair = pairs[0]
    before = app.state.events.last_id
    r = client.post("/api/v1/checkins", json=_body(pair), headers=auth(cadre_token))
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["cadre_id"] == pair["cadre_id"] and rec["household_id"] == pair["household_id"]
    assert rec["village_code"] == pair["village_code"]
    assert 10 < rec["distance_m"] < 40 and rec["effective"] is True and rec["effective_m"] == 500.0
    assert rec["source_crs"] == "WGS-84" and rec["crs"] == "WGS-84"
    assert rec["at"].endswith("+08:00") and rec["counted_in_year"] is None  # after the data years
    with session_factory(demo_engine)() as session:
        row = session.get(Checkin, rec["id"])
    assert row.household_id == pair["household_id"] and row.effective and row.note == "走访了解家庭收入情况"
    # announced on the bus, with no personal data
    events = [e for e in app.state.events.recent() if e[0] > before]
    assert [k for _, k, _ in events] == ["checkin"]
    data = events[0][2]
    assert data["id"] == rec["id"] and data["village_code"] == pair["village_code"] and data["effective"] is True
    assert data["town_code"] == pair["village_code"][:9] + "000"
    assert not {"cadre_id", "household_id", "note", "cadre", "photos"} & set(data)


def test_the_answer_says_where_its_time_went(client, pairs, cadre_token):
    """Server-Timing: each step of a check-in (the load test's breakdown), in the order they ran."""
    r = client.post("/api/v1/checkins", json=_body(pairs[0], photos=[_b64(_image("JPEG"))]), headers=auth(cadre_token))
    assert r.status_code == 201, r.text
    phases = [p.strip().split(";dur=") for p in r.headers["Server-Timing"].split(",")]
    assert [name for name, _ in phases] == ["auth", "body", "queue", "validate", "photo", "save", "store", "publish", "total"]
    ms = {name: float(v) for name, v in phases}
    assert all(v >= 0 for v in ms.values()) and ms["total"] >= sum(v for k, v in ms.items() if k != "total") - 0.5



def test_a_checkins_lookup_and_work_run_on_the_apis_kept_threads(client, pairs, cadre_token, monkeypatch):
    """Not on anyio's pool, which ends idle threads after 10 s: the event loop waited in Thread.start for each new
    one (up to a quarter of a second on a busy machine) and every connection of the worker with it."""
    import threading

    from sandbox.server import deps
    from sandbox.server.checkins import routes

    seen = []
    real_auth, real_accept = deps._authenticate, routes._accept_and_announce

    def auth_here(*args):
        seen.append(("auth", threading.current_thread().name))
        return real_auth(*args)

    def accept_here(*args):
        seen.append(("accept", threading.current_thread().name))
        return real_accept(*args)

    monkeypatch.setattr(deps, "_authenticate", auth_here)
    monkeypatch.setattr(routes, "_accept_and_announce", accept_here)
    r = client.post("/api/v1/checkins", json=_body(pairs[0]), headers=auth(cadre_token))
    assert r.status_code == 201, r.text
    assert [step for step, _ in seen] == ["auth", "accept"]
    assert all(name.startswith("api-hop") for _, name in seen), seen

def test_gcj02_points_are_stored_in_wgs84(client, pairs, cadre_token):
    pair = pairs[0]
    x, y = wgs84_to_gcj02_xy(np.array([pair["lon"]]), np.array([pair["lat"]]))
    assert abs(x[0] - pair["lon"]) > 1e-3  # GCJ-02 is hundreds of metres off here
    body = _body(pair, point={"lon": float(x[0]), "lat": float(y[0]), "crs": "GCJ-02"})
    rec = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token)).json()
    assert rec["source_crs"] == "GCJ-02" and rec["distance_m"] < 1.0 and rec["effective"]
    assert abs(rec["lon"] - pair["lon"]) < 1e-6 and abs(rec["lat"] - pair["lat"]) < 1e-6
    assert rec["source_point"] == {"lon": float(x[0]), "lat": float(y[0]), "crs": "GCJ-02"}


def test_far_from_the_household_is_stored_but_not_effective(client, pairs, cadre_token):
    pair = pairs[0]
    body = _body(pair, point={"lon": pair["lon"] + 0.01, "lat": pair["lat"], "crs": "WGS-84"})  # ~1 km east
    r = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token))
    if r.status_code == 422:  # the household sits on the county's eastern edge: go west instead
        body["point"]["lon"] = pair["lon"] - 0.01
        r = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token))
    rec = r.json()
    assert r.status_code == 201 and 900 < rec["distance_m"] < 1100 and rec["effective"] is False


def test_photos_are_checked_and_stored_under_random_names(client, app, demo_engine, pairs, cadre_token):
    jpeg, png = _image("JPEG"), _image("PNG")
    body = _body(pairs[0], photos=[_b64(jpeg), "data:image/png;base64," + _b64(png)])
    rec = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token)).json()
    names = rec["photos"]
    assert len(names) == 2 and names[0].endswith(".jpg") and names[1].endswith(".png")
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(jpg|png)", n) for n in names)
    d = app.state.settings.data_dir / "photos"
    # stored re-encoded (without metadata, see test_checkin_photos.py): the same picture, not the same bytes
    from PIL import Image

    for name, fmt in zip(names, ("JPEG", "PNG")):
        with Image.open(d / name) as img:
            assert img.format == fmt and img.size == (64, 48)
    with demo_engine.connect() as conn:
        stored = conn.scalar(select(Checkin.photos).where(Checkin.id == rec["id"]))
    assert json.loads(stored) == names


def test_admin_checks_in_for_a_cadre(client, pairs, tokens):
    pair = pairs[1]
    r = client.post("/api/v1/checkins", json=_body(pair, cadre_id=pair["cadre_id"]), headers=auth(tokens["admin"]))
    assert r.status_code == 201 and r.json()["cadre_id"] == pair["cadre_id"]


def test_a_checkin_in_a_data_year_moves_that_years_visit_rate(client, api, demo_engine, tokens):
    """Back-dated into December 2018 (the month 2018's 月走访率 is reported for), a visit to a poor
    household nobody visited that month raises its village's rate; taking it back restores it."""
    with demo_engine.connect() as conn:
        row = conn.execute(text(
            "SELECT a.cadre_id, h.id AS household_id, h.village_code, h.lon, h.lat FROM household_years hy "
            "JOIN households h ON h.id = hy.household_id JOIN assignments a ON a.household_id = h.id "
            "AND a.start_year <= 2018 AND (a.end_year IS NULL OR a.end_year > 2018) "
            "WHERE hy.year = 2018 AND hy.status IN ('poor', 'relapsed') AND NOT EXISTS (SELECT 1 FROM checkins c "
            "WHERE c.household_id = h.id AND c.effective AND c.at >= :s AND c.at < :e) ORDER BY h.id LIMIT 1"),
            {"s": dt.datetime(2018, 12, 1), "e": dt.datetime(2019, 1, 1)}).first()
    assert row is not None
    pair = dict(row._mapping)

    def rate() -> float:
        r = api.get(f"/api/v1/regions/{pair['village_code']}", params={"year": 2018}, headers=auth(tokens["admin"]))
        return r.json()["indicators"]["visit_rate"]

    before = rate()
    body = _body(pair, cadre_id=pair["cadre_id"], at="2018-12-15T10:30:00+08:00")
    last = client.app.state.events.last_id
    r = client.post("/api/v1/checkins", json=body, headers=auth(tokens["admin"]))
    assert r.status_code == 201, r.text
    assert r.json()["counted_in_year"] == 2018
    kinds = [(k, d) for i, k, d in client.app.state.events.recent() if i > last]
    assert [k for k, _ in kinds] == ["checkin", "facts"]
    assert kinds[1][1] == {"region_code": pair["village_code"], "year": 2018, "reason": "checkin"}
    try:
        assert rate() > before
    finally:
        with demo_engine.begin() as conn:
            conn.execute(delete(Checkin).where(Checkin.id == r.json()["id"]))
            refresh_facts(conn, pair["village_code"])
            refresh_totals(conn)
    assert rate() == before


# -- refused -----------------------------------------------------------------------------------

def _bad_bodies(pair: dict) -> list[tuple[str, object, str]]:
    future = (dt.datetime.now(CHINA_TZ) + dt.timedelta(hours=2)).isoformat()
    good = _body(pair)
    jpeg = _image("JPEG")
    return [
        ("outside the county", _body(pair, point={"lon": 116.39, "lat": 39.9, "crs": "WGS-84"}), "辖区"),
        ("outside, GCJ-02", _body(pair, point={"lon": 0.0, "lat": 0.0, "crs": "GCJ-02"}), "辖区"),
        ("future time", _body(pair, at=future), "未来"),
        ("time without a zone", _body(pair, at="2026-01-01T10:00:00"), "时区"),
        ("not a time", _body(pair, at="yesterday"), "时间"),
        ("before the records", _body(pair, at="2001-05-01T10:00:00+08:00"), "早于"),
        ("a cadre back-dating", _body(pair, at="2018-12-15T10:30:00+08:00"), "管理员"),
        ("no household", {k: v for k, v in good.items() if k != "household_id"}, "household_id"),
        ("unknown household", _body(pair, household_id=10**12), "不存在"),
        ("household as text", _body(pair, household_id="三号"), "整数"),
        ("no point", {k: v for k, v in good.items() if k != "point"}, "point"),
        ("bad crs", _body(pair, point={"lon": pair["lon"], "lat": pair["lat"], "crs": "BD-09"}), "坐标系"),
        ("lon out of range", _body(pair, point={"lon": 500, "lat": 26, "crs": "WGS-84"}), "经度"),
        ("lon as text", _body(pair, point={"lon": "东经107度", "lat": 26, "crs": "WGS-84"}), "经度"),
        ("point as list", _body(pair, point=[107.5, 25.8]), "point"),
        ("negative accuracy", _body(pair, accuracy_m=-1), "精度"),
        ("note too long", _body(pair, note="走" * 2001), "过长"),
        ("photo not base64", _body(pair, photos=["这不是图片"]), "base64"),
        ("photo not an image", _body(pair, photos=[_b64(b"%PDF-1.4 not a picture" * 10)]), "不是图片"),
        ("photo truncated jpeg", _body(pair, photos=[_b64(jpeg[: len(jpeg) // 2])]), "损坏"),
        ("photo jpeg magic, garbage", _body(pair, photos=[_b64(b"\xff\xd8\xff" + b"\x00" * 500)]), "照片"),
        ("photo as number", _body(pair, photos=[123]), "照片"),
        ("photos not a list", _body(pair, photos="abc"), "照片"),
        ("too many photos", _body(pair, photos=[_b64(jpeg)] * 6), "最多 5 张"),
        ("photo too large", _body(pair, photos=[_b64(b"\xff\xd8\xff" + bytes(2 * 1024 * 1024))]), "过大"),
    ]


def test_bad_checkins_get_422_with_a_chinese_reason_and_store_nothing(client, app, demo_engine, pairs, cadre_token):
    count, files = _count(demo_engine), _photo_files(app)
    for name, body, needle in _bad_bodies(pairs[0]):
        r = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token))
        assert r.status_code == 422, (name, r.status_code, r.text[:300])
        detail = r.json()["detail"]
        assert isinstance(detail, str) and CHINESE.search(detail), (name, detail)
        assert needle in detail, (name, detail)
    assert _count(demo_engine) == count
    assert _photo_files(app) == files


@pytest.mark.parametrize("raw", [
    b"", b"{", b"null", b"[]", b"42", b'"text"', b"\xff\xfe\x00garbage", b'{"point": NaN}',
    b'{"point": {"lon": Infinity, "lat": 26, "crs": "WGS-84"}}', b"[" * 100_000 + b"]" * 100_000,
    b'{"household_id": 99999999999999999999999999999}',
])
def test_malformed_bodies_are_422_not_500(client, cadre_token, raw):
    r = client.post("/api/v1/checkins", content=raw,
                    headers={**auth(cadre_token), "Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    assert CHINESE.search(r.json()["detail"])


def test_a_form_post_is_422(client, pairs, cadre_token):
    r = client.post("/api/v1/checkins", data={"household_id": str(pairs[0]["household_id"])},
                    headers=auth(cadre_token))
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


def test_a_huge_body_is_refused_before_it_is_read(client, demo_engine, cadre_token):
    count = _count(demo_engine)
    huge = b'{"photos": ["' + b"A" * (20 * 1024 * 1024) + b'"]}'
    r = client.post("/api/v1/checkins", content=huge, headers={**auth(cadre_token), "Content-Type": "application/json"})
    assert r.status_code == 413 and "过大" in r.json()["detail"]
    assert _count(demo_engine) == count


def test_other_roles_and_other_cadres_are_refused(client, demo_engine, pairs, cadre_token, tokens):
    mine, other = pairs[0], pairs[1]
    count = _count(demo_engine)
    # a household of another cadre: 403 for a cadre token
    r = client.post("/api/v1/checkins", json=_body(other), headers=auth(cadre_token))
    assert r.status_code == 403 and "结对" in r.json()["detail"]
    # a cadre token cannot check in as someone else
    r = client.post("/api/v1/checkins", json=_body(mine, cadre_id=other["cadre_id"]), headers=auth(cadre_token))
    assert r.status_code == 403
    # admin: cadre_id is required and must exist and match the household
    assert client.post("/api/v1/checkins", json=_body(mine), headers=auth(tokens["admin"])).status_code == 422
    r = client.post("/api/v1/checkins", json=_body(mine, cadre_id=10**9), headers=auth(tokens["admin"]))
    assert r.status_code == 422 and "不存在" in r.json()["detail"]
    r = client.post("/api/v1/checkins", json=_body(mine, cadre_id=other["cadre_id"]), headers=auth(tokens["admin"]))
    assert r.status_code == 422 and "结对" in r.json()["detail"]
    # roles that do not check in, and no token
    for role in ("display", "leader", "delegation", "public"):
        assert client.post("/api/v1/checkins", json=_body(mine), headers=auth(tokens[role])).status_code == 403
    assert client.post("/api/v1/checkins", json=_body(mine)).status_code == 401
    assert _count(demo_engine) == count


def test_a_cadre_token_without_a_cadre_is_refused(client, demo_engine, pairs):
    """Such a token can no longer be created (sandbox.store.tokens refuses it); one made before is refused here."""
    from sqlalchemy.orm import Session

    from sandbox.store.models import ApiToken
    from sandbox.store.tokens import hash_token, utcnow

    token = "sbx_old_cadre_token_without_its_cadre"
    with Session(demo_engine) as session:
        session.add(ApiToken(token_hash=hash_token(token), role="cadre", label="没有编号的干部", created_at=utcnow()))
        session.commit()
    r = client.post("/api/v1/checkins", json=_body(pairs[0]), headers=auth(token))
    assert r.status_code == 403 and "cadre:" in r.json()["detail"]


def test_the_request_schema_is_in_openapi(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/checkins"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"point", "at", "household_id", "photos"} <= set(schema["properties"])
    assert "$ref" not in json.dumps(schema)


def test_data_year_checkins_posted_at_once_are_all_stored(demo_engine, tokens, client):
    """Facts refreshes are serialised: concurrent back-dated check-ins neither fail nor lose counts."""
    import threading

    from sandbox.store.checkins import NewCheckin, store_checkin

    with demo_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.cadre_id, h.id AS household_id, h.village_code, h.lon, h.lat FROM assignments a "
            "JOIN households h ON h.id = a.household_id WHERE a.start_year <= 2019 "
            "AND (a.end_year IS NULL OR a.end_year > 2019) ORDER BY h.id LIMIT 3")).all()
    results, errors = [], []

    def post(r):
        try:
            with session_factory(demo_engine)() as session:
                row, year = store_checkin(session, NewCheckin(
                    cadre_id=r.cadre_id, household_id=r.household_id, village_code=r.village_code,
                    at=dt.datetime(2019, 12, 20, 10, 0, tzinfo=CHINA_TZ), lon=r.lon, lat=r.lat, source_crs="WGS-84",
                    accuracy_m=5.0, distance_m=0.0, effective=True, note="并发测试"))
                results.append((row.id, year, r.village_code))
        except Exception as exc:  # pragma: no cover - the failure this test guards against
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(r,)) for r in rows]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert not errors and len(results) == 3 and all(y == 2019 for _, y, _ in results)
    finally:
        with demo_engine.begin() as conn:
            conn.execute(delete(Checkin).where(Checkin.id.in_([i for i, _, _ in results])))
            for vc in {vc for _, _, vc in results}:
                refresh_facts(conn, vc)
            refresh_totals(conn)


def test_admin_cannot_back_date_before_the_records(client, pairs, tokens):
    body = _body(pairs[1], cadre_id=pairs[1]["cadre_id"], at="2001-05-01T10:00:00+08:00")
    r = client.post("/api/v1/checkins", json=body, headers=auth(tokens["admin"]))
    assert r.status_code == 422 and "起始年份" in r.json()["detail"]


def test_month_visits_match_the_visit_rate_and_count_live_checkins(client, api, tokens, pairs, cadre_token):
    h = auth(tokens["display"])
    nov = client.get("/api/v1/checkins/visits", params={"region": "522726", "month": "2017-11"}, headers=h).json()
    indicator = api.get("/api/v1/regions/522726", params={"year": 2017}, headers=h).json()["indicators"]["visit_rate"]
    assert nov["basis"] == "poor_households" and nov["total"]["visit_rate"] == pytest.approx(indicator, abs=0.05)
    assert len(nov["children"]) == 8 and sum(c["visited"] for c in nov["children"]) == nov["total"]["visited"]
    town = nov["children"][0]["code"]
    villages = client.get("/api/v1/checkins/visits", params={"region": town, "month": "2017-11"}, headers=h).json()
    assert villages["total"] == {k: nov["children"][0][k] for k in villages["total"]}
    # this month (live check-ins, after the data years): every assigned household is a target
    body = _body(pairs[0])
    month = {"region": "522726", "month": body["at"][:7]}  # the check-in's own month, even across a midnight
    default = client.get("/api/v1/checkins/visits", params={"region": "522726"}, headers=h).json()
    assert default["basis"] == "assigned_households" and default["month"] >= body["at"][:7]  # no month: this one
    before = client.get("/api/v1/checkins/visits", params=month, headers=h).json()
    assert before["basis"] == "assigned_households" and before["total"]["targets"] > 20_000
    r = client.post("/api/v1/checkins", json=body, headers=auth(cadre_token))
    assert r.status_code == 201
    after = client.get("/api/v1/checkins/visits", params=month, headers=h).json()
    assert after["total"]["checkins"] == before["total"]["checkins"] + 1
    for bad in ("2017-13", "17-11", "x", "2017-1"):
        r = client.get("/api/v1/checkins/visits", params={"region": "522726", "month": bad}, headers=h)
        assert r.status_code == 422
