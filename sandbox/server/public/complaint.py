"""The complaint form's fields: parsed from a urlencoded body and checked, with a Chinese reason when not."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fastapi import Request
from starlette.exceptions import HTTPException

from sandbox.domain.complaints import ComplaintCategory
from sandbox.server.bodylimit import BodyTooLarge
from sandbox.server.checkins.photos import Photo, photo_from_bytes
from sandbox.server.checkins.schemas import MAX_BODY_BYTES as CHECKIN_BODY_BYTES
from sandbox.server.checkins.schemas import MAX_PHOTO_BYTES, BadCheckin
from sandbox.server.public.pages import MAX_CHARS, MIN_CHARS

__all__ = ["ComplaintForm", "parse_form", "read_form", "check_fields", "check_photos", "new_nonce", "NONCE_PATTERN",
           "MAX_PHOTOS", "MAX_BODY_BYTES", "ROUTE_BODY_BYTES"]

MAX_PHOTOS = 3
MAX_FILES_READ = 60  # parts parsed before the form is refused outright: 50 photos get a counted answer
# three phone photos and the text; more is refused while it streams in (sandbox.server.bodylimit)
MAX_BODY_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024
# What the route itself lets through: the most any route takes (a check-in's), so that a form over
# MAX_BODY_BYTES reaches read_form, which says in Chinese what was too much, and not Starlette's own
# per-route limit, which answers a bare English "Content Too Large"
ROUTE_BODY_BYTES = CHECKIN_BODY_BYTES

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# 11-digit mobiles; landlines with or without the area code (0854-3221234, 3221234)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3})?\d{7,8}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class ComplaintForm:
    nonce: str
    text: str
    phone: str  # as typed (shown back in the form when something is wrong)
    phone_digits: str | None  # the number to store, None when left empty
    error: str | None
    category: str = ComplaintCategory.other.value
    town: str = ""  # the public form's town picker (a QR page's complaint goes to the page's town)
    uploads: list[bytes] = field(default_factory=list)  # the photos as sent, checked when stored


def _field(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


def parse_form(body: bytes) -> ComplaintForm:
    """The form's fields, each checked; `error` is the first problem in words a phone user reads."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return ComplaintForm(new_nonce(), "", "", None, "提交的内容无法识别, 请在页面上重新填写后提交")
    return check_fields(fields)


def check_fields(fields: dict[str, list[str]], uploads: list[bytes] | None = None) -> ComplaintForm:
    nonce = _field(fields, "nonce")
    if not NONCE_PATTERN.match(nonce):
        nonce = new_nonce()  # a form posted without the page's nonce: stored, but a retry is not recognised
    text = _CONTROL.sub("", _field(fields, "text")).replace("\r\n", "\n").strip()
    phone = _field(fields, "phone").strip()[:40]
    digits = re.sub(r"[\s\-()（）]", "", phone)
    category = _field(fields, "category").strip() or ComplaintCategory.other.value
    town = _field(fields, "town").strip()[:12]
    uploads = uploads or []
    error = None
    if category not in ComplaintCategory.labels():
        error, category = "请选择问题类别", ComplaintCategory.other.value
    elif len(uploads) > MAX_PHOTOS:
        error = f"照片最多 {MAX_PHOTOS} 张, 您选择了 {len(uploads)} 张: 请只选最能说明问题的 {MAX_PHOTOS} 张"
        uploads = []
    elif len(text) < MIN_CHARS:
        error = f"请填写问题描述, 至少 {MIN_CHARS} 个字" if text else "请填写问题描述"
    elif len(text) > MAX_CHARS:
        error = f"问题描述最多 {MAX_CHARS} 字, 现在是 {len(text)} 字, 请精简后再提交"
    elif digits and not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        error = "联系电话格式不对: 请填 11 位手机号或带区号的座机号, 也可以不填"
    return ComplaintForm(nonce, text, phone, digits or None, error, category, town, uploads)


async def read_form(request: Request) -> ComplaintForm:
    """The form as posted: urlencoded (no photos) or multipart with up to MAX_PHOTOS photos. A body
    over the route's limit, too many files or a broken upload is an error in words, not a 413/400."""
    ctype = request.headers.get("content-type", "")
    too_large = ComplaintForm(new_nonce(), "", "", None, f"提交的内容过大: 照片最多 {MAX_PHOTOS} 张, 每张不超过 "
                              f"{MAX_PHOTO_BYTES // (1024 * 1024)} MB, 请重新填写后提交")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return too_large  # nothing read
    try:
        if not ctype.startswith("multipart/form-data"):
            return parse_form(await request.body())
        form = await request.form(max_files=MAX_FILES_READ, max_fields=20)
        fields: dict[str, list[str]] = {}
        uploads: list[bytes] = []
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields.setdefault(key, []).append(value)
            elif key == "photos" and value.filename:  # an empty file input sends a part without a name
                if len(uploads) <= MAX_PHOTOS:  # more are counted, not read
                    uploads.append(await value.read(MAX_PHOTO_BYTES + 1))
                else:
                    uploads.append(b"")
        await form.close()
    except BodyTooLarge:
        return too_large
    except HTTPException as exc:  # Starlette's 400 for a broken multipart body, or more parts than allowed
        if exc.status_code == 413:  # Starlette's own limit, on a body sent without its length
            return too_large
        return ComplaintForm(new_nonce(), "", "", None, f"提交的内容无法识别或照片过多 (最多 {MAX_PHOTOS} 张), "
                             "请在页面上重新填写后提交")
    return check_fields(fields, uploads)


def check_photos(uploads: list[bytes]) -> list[Photo] | str:
    """The photos as stored (EXIF stripped), or why one cannot be taken (Chinese)."""
    try:
        return [photo_from_bytes(i, data) for i, data in enumerate(uploads)]
    except BadCheckin as exc:
        return f"{exc}; 请换一张照片, 或不附照片提交 (照片需重新选择)"
