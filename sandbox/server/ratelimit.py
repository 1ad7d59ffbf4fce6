"""Rate limits per client with the `limits` library: failed authentication, and public endpoints.

A client is its address as uvicorn reports it (behind a reverse proxy on 127.0.0.1 that is the
X-Forwarded-For address: uvicorn trusts that header from 127.0.0.1 by default); an IPv6 client is its
/64 prefix (one subscriber's line gets a whole /64 and picks addresses in it at will). Counts live in the
process (moving window in memory): one API process is how the server runs; several would each count.
"""

from __future__ import annotations

import ipaddress
import math
import time

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["FAILED_AUTH_LIMIT", "PUBLIC_LIMIT", "RateLimits", "check_auth_rate", "note_failed_auth",
           "rate_limited", "client_key"]

# A wall with a wrong token retries every few seconds; guessing tokens needs millions of tries.
FAILED_AUTH_LIMIT = "20/minute"
# For the public endpoints to come (QR pages, complaints): a person, not a script.
PUBLIC_LIMIT = "60/minute"


class RateLimits:
    """One app's counters (kept on `app.state.rate_limits`, so each app, and each test's, starts clean)."""

    def __init__(self, failed_auth: str = FAILED_AUTH_LIMIT) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.failed_auth = parse(failed_auth)

    def retry_after(self, item: RateLimitItem, *key: str) -> int:
        """Whole seconds until the oldest counted event leaves the window (at least 1)."""
        reset = self.limiter.get_window_stats(item, *key).reset_time
        return max(1, math.ceil(reset - time.time()))


def _limits_of(request: Request) -> RateLimits:
    state = request.app.state
    limits = getattr(state, "rate_limits", None)
    if limits is None:
        limits = state.rate_limits = RateLimits()
    return limits


def client_key(host: str | None) -> str:
    """The key a client is counted by: its IPv4 address, its IPv6 /64 prefix, or its host as given."""
    if not host:
        return "-"
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _client(request: Request) -> str:
    return client_key(request.client.host if request.client else None)


def _too_many(what: str, seconds: int) -> HTTPException:
    return HTTPException(429, f"{what}: 请 {seconds} 秒后再试", headers={"Retry-After": str(seconds)})


def check_auth_rate(request: Request) -> None:
    """429 for a client that failed authentication too often lately; called only once its token failed
    (a valid token is never refused for the failures of others behind the same address; guessing a
    256-bit token is hopeless anyway, what the limit stops is the flood of lookups and log lines)."""
    limits = _limits_of(request)
    key = ("auth", _client(request))
    if not limits.limiter.test(limits.failed_auth, *key):
        raise _too_many("访问令牌错误次数过多", limits.retry_after(limits.failed_auth, *key))


def note_failed_auth(request: Request) -> None:
    """Count one failed authentication (a 401) against the client."""
    limits = _limits_of(request)
    limits.limiter.hit(limits.failed_auth, "auth", _client(request))


def rate_limited(limit: str = PUBLIC_LIMIT, scope: str = "public"):
    """A dependency limiting each client to `limit` requests (e.g. "60/minute") across the routes that
    share `scope`: `@router.get(..., dependencies=[Depends(rate_limited())])`."""
    item = parse(limit)

    async def check(request: Request) -> None:
        limits = _limits_of(request)
        key = (scope, _client(request))
        if not limits.limiter.hit(item, *key):
            raise _too_many("请求过于频繁", limits.retry_after(item, *key))

    return check
