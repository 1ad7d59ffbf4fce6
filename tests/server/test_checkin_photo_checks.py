"""Check-in photos decoded after the answer: a phone's upright JPEG is checked from its header and markers in the
request and reads `pending`; its pixels are decoded in the background and the verdict recorded (a photo that does
not decode reads `bad`, with the words a 422 said before, to the cadre and to the centre); a check-in whose check
was lost with its worker is taken up again."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import uuid

import pytest
from PIL import Image, ImageFile
from sqlalchemy import update

from sandbox.server.checkins.photo_checks import STALE_AFTER, PhotoChecks
from sandbox.server.checkins.photos import decode_photos
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.db import session_factory
from sandbox.store.models import Checkin
from sandbox.store.photo_checks import claim, utc_now
from sandbox.store.risk.photo_marks import photo_hash
from tests.conftest import auth

BROKEN = "第 1 张照片已损坏或不是有效的 JPEG 图片"


pytestmark = pytest.mark.usefixtures("take_back_checkins")


@pytest.fixture(scope="module")
def pair(pairs) -> dict:
    return pairs[0]


def _body(pair: dict, photos: list[bytes], **over) -> dict:
    body = {"client_id": str(uuid.uuid4()), "household_id": pair["household_id"],
            "at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
            "point": {"lon": pair["lon"] + 0.0002, "lat": pair["lat"], "crs": "WGS-84"}, "photos":
            [base64.b64encode(p).decode() for p in photos]}
    body.update(over)
    return body


def _phone_jpeg(size=(800, 600), orientation: int = 1, taken: str = "2026:12:07 09:30:00") -> bytes:
    """A photo with the metadata a camera adds (EXIF time, GPS): noise, so it does not compress away."""
    rnd = random.Random(size[0] + orientation)
    w, h = size[0] // 8, size[1] // 8
    small = Image.frombytes("RGB", (w, h), bytes(rnd.getrandbits(8) for _ in range(w * h * 3)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    exif.get_ifd(0x8825).update({1: "N", 2: (25.0, 49.0, 48.0)})
    buf = io.BytesIO()
    small.resize(size).save(buf, "JPEG", quality=80, exif=exif)
    return buf.getvalue()


def _broken_tables(jpeg: bytes) -> bytes:
    """The JPEG with its first Huffman table's class byte made invalid: its header and its markers still read
    as a whole picture, its pixels do not decode."""
    i = jpeg.index(b"\xff\xc4")
    return jpeg[:i + 4] + b"\x37" + jpeg[i + 5:]


def _row(engine, checkin_id: int) -> Checkin:
    with session_factory(engine)() as session:
        return session.get(Checkin, checkin_id)


def test_a_phones_upright_jpeg_is_not_decoded_in_the_request(monkeypatch):
    decoded = []
    real = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self.size) or real(self))
    original = _phone_jpeg()
    [photo] = decode_photos([base64.b64encode(original).decode()], defer=True)
    assert photo.pending and photo.phash is None and decoded == []
    assert photo.taken_at == dt.datetime(2026, 12, 7, 9, 30)  # read before the EXIF is dropped
    assert b"Exif" not in photo.data  # what is stored never carries the GPS, pending or not
    [checked] = decode_photos([base64.b64encode(original).decode()])  # the other uploads: checked at once
    assert not checked.pending and checked.data == photo.data and checked.phash


def test_a_checkin_reads_pending_then_ok_with_the_photos_hash(client, app, demo_engine, pair, cadre_token):
    r = client.post("/api/v1/checkins", json=_body(pair, [_phone_jpeg()]), headers=auth(cadre_token))
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["photo_check"] == "pending" and rec["photo_problem"] is None
    assert app.state.photo_checks.wait_idle()
    row = _row(demo_engine, rec["id"])
    stored = (app.state.settings.data_dir / "photos" / rec["photos"][0]).read_bytes()
    assert row.photo_check == "ok" and json.loads(row.photo_hashes) == [photo_hash(stored)]
    assert row.photo_taken_at == dt.datetime(2026, 12, 7, 9, 30)
    again = client.post("/api/v1/checkins", json=_body(pair, [], client_id=rec["client_id"]), headers=auth(cadre_token))
    assert again.json()["repeat"] and again.json()["photo_check"] == "ok"


def test_a_photo_that_does_not_decode_is_flagged_bad_not_lost(client, app, demo_engine, pair, cadre_token, tokens):
    # before, the request decoded it and answered 422 with these words; now the check-in is kept, and says so
    r = client.post("/api/v1/checkins", json=_body(pair, [_broken_tables(_phone_jpeg())]), headers=auth(cadre_token))
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["photo_check"] == "pending"
    assert app.state.photo_checks.wait_idle()
    row = _row(demo_engine, rec["id"])
    assert row.photo_check == "bad" and row.photo_problem == BROKEN and row.photo_hashes is None
    assert (app.state.settings.data_dir / "photos" / rec["photos"][0]).is_file()  # what arrived is kept
    listed = client.get("/api/v1/checkins", params={"region": "522726"}, headers=auth(tokens["admin"])).json()
    [item] = [c for c in listed if c["id"] == rec["id"]]
    assert item["photo_check"] == "bad" and item["photo_problem"] == BROKEN
    again = client.post("/api/v1/checkins", json=_body(pair, [], client_id=rec["client_id"]), headers=auth(cadre_token))
    assert again.json()["photo_check"] == "bad" and again.json()["photo_problem"] == BROKEN


def test_a_photo_to_turn_is_checked_in_the_request_and_a_cut_one_still_refused(client, app, pair, cadre_token):
    rotated = client.post("/api/v1/checkins", json=_body(pair, [_phone_jpeg(orientation=6)]), headers=auth(cadre_token))
    assert rotated.status_code == 201 and rotated.json()["photo_check"] == "ok"
    with Image.open(app.state.settings.data_dir / "photos" / rotated.json()["photos"][0]) as img:
        assert img.size == (600, 800)  # turned upright before its orientation was dropped
    original = _phone_jpeg()
    cut = client.post("/api/v1/checkins", json=_body(pair, [original[:len(original) // 2]]), headers=auth(cadre_token))
    assert cut.status_code == 422 and "已损坏" in cut.json()["detail"]
    plain = client.post("/api/v1/checkins", json=_body(pair, []), headers=auth(cadre_token))
    assert plain.status_code == 201 and plain.json()["photo_check"] is None


def test_the_phone_lists_its_checkins_with_their_photo_verdict(app, demo_engine, pair):
    from tests.server.test_field import phone

    c = phone(app, demo_engine, pair["cadre_id"])
    r = c.post("/api/v1/field/checkins", json=_body(pair, [_broken_tables(_phone_jpeg((640, 480)))]))
    assert r.status_code == 201 and r.json()["photo_check"] == "pending"
    assert app.state.photo_checks.wait_idle()
    [item] = [i for i in c.get("/api/v1/field/checkins").json()["items"] if i["id"] == r.json()["id"]]
    assert item["photo_check"] == "bad" and item["photo_problem"] == BROKEN


def test_a_check_lost_with_its_worker_is_taken_up_once(client, app, demo_engine, pair, cadre_token, monkeypatch):
    monkeypatch.setattr(app.state.photo_checks, "submit", lambda *a: None)  # its worker stops before the check
    rec = client.post("/api/v1/checkins", json=_body(pair, [_phone_jpeg((320, 240))]), headers=auth(cadre_token)).json()
    lost = client.post("/api/v1/checkins", json=_body(pair, [_phone_jpeg((300, 200))]), headers=auth(cadre_token)).json()
    (app.state.settings.data_dir / "photos" / lost["photos"][0]).unlink()
    monkeypatch.undo()
    queued = utc_now() - STALE_AFTER - dt.timedelta(seconds=5)
    with demo_engine.begin() as conn:
        conn.execute(update(Checkin).where(Checkin.id.in_([rec["id"], lost["id"]])).values(photo_check_at=queued))
    with session_factory(demo_engine)() as session:  # two workers claim one: only the first takes it
        assert claim(session, rec["id"], queued) and not claim(session, rec["id"], queued)
    with demo_engine.begin() as conn:
        conn.execute(update(Checkin).where(Checkin.id == rec["id"]).values(photo_check_at=queued))
    other = PhotoChecks(app.state.sessions, lambda: app.state.settings.data_dir / "photos")
    other.start()  # another worker starting: it sweeps first
    other.close()
    assert app.state.photo_checks.wait_idle()  # (or this worker's own sweep took it first)
    assert _row(demo_engine, rec["id"]).photo_check == "ok"
    gone = _row(demo_engine, lost["id"])
    assert gone.photo_check == "bad" and gone.photo_problem == "第 1 张照片的文件缺失"
