"""The exit PIN: salted scrypt hashes in the config file, checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

__all__ = ["hash_pin", "verify_pin", "is_pin_hash", "valid_pin", "PIN_RULE"]

# 2**14 × 8: ~16 MiB and tens of milliseconds per check: fine for a PIN pad, slow for guessing.
_N, _R, _P = 2**14, 8, 1
_FORMAT = re.compile(r"^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")
PIN_RULE = "口令须为 4 至 12 位数字"


def valid_pin(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def hash_pin(pin: str) -> str:
    """`scrypt$N$r$p$salt$hash` (base64) for the config's `exit.pin_hash`."""
    if not valid_pin(pin):
        raise ValueError(PIN_RULE)
    salt = os.urandom(16)
    digest = _derive(pin, salt, _N, _R, _P)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def is_pin_hash(text: str) -> bool:
    m = _FORMAT.match(text.strip())
    if not m:
        return False
    n, r, p = (int(v) for v in m.groups()[:3])
    return n >= 2 and n & (n - 1) == 0 and 1 <= r <= 64 and 1 <= p <= 16


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` matches `stored`; never raises on a malformed hash (it just does not match)."""
    m = _FORMAT.match(stored.strip())
    if not m or not is_pin_hash(stored):
        return False
    n, r, p = (int(v) for v in m.groups()[:3])
    try:
        salt, expected = base64.b64decode(m.group(4)), base64.b64decode(m.group(5))
        return hmac.compare_digest(_derive(pin, salt, n, r, p), expected)
    except (ValueError, MemoryError):
        return False
