"""Signed, short-lived URLs: an HMAC over (purpose, item, expiry), so a URL grants one thing for a while."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

__all__ = ["UrlSigner", "SECRET_ENV"]

SECRET_ENV = "SANDBOX_STREAM_SECRET"


class UrlSigner:
    """Signs and checks `exp=<unix time>&sig=<HMAC>` for one purpose (a demo camera's stream).

    The secret is `secret`, else `SANDBOX_STREAM_SECRET`, else random per process (URLs from an
    earlier run stop working, by design)."""

    def __init__(self, secret: bytes | None = None, ttl_s: float = 3600.0, purpose: str = "demo-stream") -> None:
        env = os.environ.get(SECRET_ENV)
        self._secret = secret or (env.encode() if env else secrets.token_bytes(32))
        self.ttl_s = ttl_s
        self.purpose = purpose

    def _mac(self, item_id: int, exp: int) -> str:
        return hmac.new(self._secret, f"{self.purpose}:{item_id}:{exp}".encode(), hashlib.sha256).hexdigest()[:32]

    def sign(self, item_id: int, now: float | None = None) -> tuple[int, str]:
        """(expiry unix time, signature) for a URL of this item."""
        exp = int((now if now is not None else time.time()) + self.ttl_s)
        return exp, self._mac(item_id, exp)

    def signed_query(self, item_id: int) -> tuple[str, int]:
        exp, sig = self.sign(item_id)
        return f"exp={exp}&sig={sig}", exp

    def verify(self, item_id: int, exp: int | None, sig: str | None) -> str | None:
        """None if the signature is good; else why not (Chinese)."""
        if exp is None or not sig:
            return "缺少签名: 请使用 GET /cameras 返回的 stream_url"
        # compared as bytes: compare_digest raises TypeError for a str that is not ASCII (`sig=%C3%A9`)
        if not hmac.compare_digest(self._mac(item_id, exp).encode(), sig.encode("utf-8", "replace")):
            return "签名无效"
        if exp < time.time():
            return "视频地址已过期: 请重新获取 GET /cameras"
        return None
