"""The complaint form's fields: parsed from a urlencoded body and checked, with a Chinese reason when not."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from sandbox.server.public.pages import MAX_CHARS, MIN_CHARS

__all__ = ["ComplaintForm", "parse_form", "new_nonce", "NONCE_PATTERN"]

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


def _field(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


def parse_form(body: bytes) -> ComplaintForm:
    """The form's fields, each checked; `error` is the first problem in words a phone user reads."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return ComplaintForm(new_nonce(), "", "", None, "提交的内容无法识别, 请在页面上重新填写后提交")
    nonce = _field(fields, "nonce")
    if not NONCE_PATTERN.match(nonce):
        nonce = new_nonce()  # a form posted without the page's nonce: stored, but a retry is not recognised
    text = _CONTROL.sub("", _field(fields, "text")).replace("\r\n", "\n").strip()
    phone = _field(fields, "phone").strip()[:40]
    digits = re.sub(r"[\s\-()（）]", "", phone)
    error = None
    if len(text) < MIN_CHARS:
        error = f"请填写问题描述, 至少 {MIN_CHARS} 个字" if text else "请填写问题描述"
    elif len(text) > MAX_CHARS:
        error = f"问题描述最多 {MAX_CHARS} 字, 现在是 {len(text)} 字, 请精简后再提交"
    elif digits and not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        error = "联系电话格式不对: 请填 11 位手机号或带区号的座机号, 也可以不填"
    return ComplaintForm(nonce, text, phone, digits or None, error)
