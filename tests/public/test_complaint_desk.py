"""The public complaint form with its town picker and photos, and the tracking page: one record per form,
photos without EXIF, 50 photos refused with nothing stored, the reply shown and never the contact."""

from __future__ import annotations

import io
import json
import re

from PIL import Image
from sqlalchemy import func, select

from sandbox.domain.complaints import reply_deadline
from sandbox.server.public.intake import photo_dir
from sandbox.store.command.complaints import beijing_today
from sandbox.store.models import Complaint
from tests.conftest import auth
from tests.public.test_complaints import REFERENCE

TOWN = "522726103000"
TEXT = "村里的产业路修了一半就停工了, 没人管。"
PHONE = "13908549876"


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (25.0, 49.0, 48.0), 3: "E", 4: (107.0, 32.0, 42.0)})
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buf, "JPEG", exif=exif, quality=85)
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    return buf.getvalue()


def _nonce(client) -> str:
    r = client.get("/q/complaint")
    assert r.status_code == 200
    return re.search(r'name="nonce" value="([^"]+)"', r.text).group(1)


def _count(sessions, nonce: str) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Complaint).where(Complaint.submission_id == nonce))


def _files(client) -> set[str]:
    d = photo_dir(client.app)
    return set(p.name for p in d.iterdir()) if d.is_dir() else set()


def test_the_form_offers_every_town_and_needs_one(client, sessions):
    r = client.get("/q/complaint")
    assert r.status_code == 200 and "问题所在乡镇" in r.text and "问题类别" in r.text
    assert len(re.findall(r'<option value="5227261\d\d000"', r.text)) == 8
    assert 'enctype="multipart/form-data"' in r.text and 'type="file"' in r.text
    nonce = _nonce(client)
    r = client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "category": "project"})
    assert r.status_code == 422 and "请选择问题所在的乡镇" in r.text and TEXT in r.text  # what was typed stays
    assert _count(sessions, nonce) == 0


def test_a_complaint_with_a_photo_goes_to_its_town_with_a_working_day_deadline(client, sessions):
    nonce = _nonce(client)
    before = _files(client)
    form = {"nonce": nonce, "text": TEXT, "phone": PHONE, "category": "project", "town": TOWN}
    r = client.post("/q/complaint", data=form, files=[("photos", ("road.jpg", _jpeg_with_gps(), "image/jpeg"))])
    assert r.status_code == 200, r.text[:500]
    reference = REFERENCE.search(r.text).group(1)
    again = client.post("/q/complaint", data=form, files=[("photos", ("road.jpg", _jpeg_with_gps(), "image/jpeg"))])
    assert REFERENCE.search(again.text).group(1) == reference  # the same form twice: one complaint
    with sessions() as s:
        (c,) = s.scalars(select(Complaint).where(Complaint.submission_id == nonce)).all()
        assert (c.category, c.town_code, c.region_code, c.phone, c.text, c.kind) == \
            ("project", TOWN, TOWN, PHONE, TEXT, "form")
        assert c.deadline == reply_deadline(beijing_today())
        names = json.loads(c.photos)
    assert len(names) == 1 and _files(client) - before == set(names)  # the repeat left no second file
    with Image.open(photo_dir(client.app) / names[0]) as img:
        assert not img.getexif()  # no EXIF, no GPS
    assert "答复" in r.text and "查询办理进度" in r.text


def test_fifty_photos_are_refused_and_nothing_is_stored(client, sessions):
    nonce = _nonce(client)
    before = _files(client)
    photos = [("photos", (f"p{i}.png", _png(), "image/png")) for i in range(50)]
    r = client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "town": TOWN}, files=photos)
    assert r.status_code == 422 and "照片最多 3 张, 您选择了 50 张" in r.text and TEXT in r.text
    assert _count(sessions, nonce) == 0 and _files(client) == before


def test_photos_too_large_for_the_form_are_a_readable_page(client, sessions):
    nonce = _nonce(client)
    big = b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024 + 100_000)
    r = client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "town": TOWN},
                    files=[("photos", (f"b{i}.jpg", big, "image/jpeg")) for i in range(3)])
    assert r.status_code == 422 and "提交的内容过大" in r.text and "<html" in r.text  # a page, not JSON
    r = client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "town": TOWN},
                    files=[("photos", ("b.jpg", big, "image/jpeg"))])
    assert r.status_code == 422 and "第 1 张照片过大" in r.text
    r = client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "town": TOWN},
                    files=[("photos", ("x.jpg", b"not a photo at all", "image/jpeg"))])
    assert r.status_code == 422 and "第 1 张照片" in r.text
    assert _count(sessions, nonce) == 0


def test_a_qr_page_complaint_takes_a_category_and_its_town(client, sessions, household):
    h, slug = household
    r = client.get(f"/q/{slug}/complaint")
    nonce = re.search(r'name="nonce" value="([^"]+)"', r.text).group(1)
    assert "问题类别" in r.text and "问题所在乡镇" not in r.text
    r = client.post(f"/q/{slug}/complaint", data={"nonce": nonce, "text": TEXT, "category": "help"},
                    files=[("photos", ("a.png", _png(), "image/png"))])
    assert r.status_code == 200
    with sessions() as s:
        c = s.scalars(select(Complaint).where(Complaint.submission_id == nonce)).one()
        assert (c.category, c.town_code, len(json.loads(c.photos))) == ("help", h.village_code[:9] + "000", 1)


def test_tracking_shows_the_status_and_the_reply_never_the_contact_or_text(client, sessions, tokens):
    nonce = _nonce(client)
    r = client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "phone": PHONE, "category": "funds",
                                          "town": TOWN})
    reference = REFERENCE.search(r.text).group(1)
    page = client.get(f"/q/track?code={reference.lower()}")  # typed in lower case: still found
    assert page.status_code == 200 and "待处理" in page.text and "资金使用" in page.text and "尚未答复" in page.text
    assert PHONE not in page.text and TEXT not in page.text
    with sessions() as s:
        cid = s.scalar(select(Complaint.id).where(Complaint.reference == reference))
    reply = "经核实, 产业路因雨季暂停施工, 已于本月复工, 预计下月完工。"
    r = client.post(f"/api/v1/complaints/{cid}/reply", json={"reply": reply}, headers=auth(tokens["leader"]))
    assert r.status_code == 200
    page = client.get(f"/q/track?code={reference}")
    assert "已答复" in page.text and reply in page.text and "基长镇" in page.text
    assert PHONE not in page.text and TEXT not in page.text
    assert set(re.findall(r"TS\d{8}-[2-9A-Z]{6}", page.text)) - {"TS20190930-ABC234"} == {reference}  # its own only
    assert page.headers["Cache-Control"] == "no-store"


def test_tracking_unknown_or_malformed_codes(client):
    r = client.get("/q/track")
    assert r.status_code == 200 and "受理编号" in r.text
    r = client.get("/q/track?code=TS20190101-AAAAAA")
    assert r.status_code == 404 and "没有找到这个受理编号" in r.text
    for bad in ("abc", "TS2019-XYZ", "' OR 1=1 --", "x" * 500):
        r = client.get("/q/track", params={"code": bad})
        assert r.status_code == 422 and "格式不对" in r.text


def test_a_new_complaint_is_a_duty_event_without_its_text(client):
    from sandbox.domain.enums import Role
    from sandbox.domain.regions import RegionCode
    from sandbox.server.deps import Caller
    from sandbox.server.events.routes import render_for

    nonce = _nonce(client)
    client.post("/q/complaint", data={"nonce": nonce, "text": TEXT, "phone": PHONE, "town": TOWN})
    bus = client.app.state.events
    event_id, kind, data = [e for e in bus._history if e[1] == "duty"][-1]
    assert data["kind"] == "complaint" and data["region_code"] == TOWN and data["title"] == "新投诉: 其他"
    for role in (Role.delegation, Role.display, Role.leader, Role.admin):
        shown = render_for(Caller(role, None))(event_id, kind, data)
        assert TEXT not in shown and PHONE not in shown
    assert render_for(Caller(Role.delegation, RegionCode("522726101000")))(event_id, kind, data) is None
