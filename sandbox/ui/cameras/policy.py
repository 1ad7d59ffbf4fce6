"""Which camera URLs may be played (scheme + host allow-list) and how a URL is shown: redact()."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["UrlPolicy", "Verdict", "redact", "SCHEMES", "SECRET_PARAMS"]

SCHEMES = ("http", "https", "rtsp")
# query parameters whose values are credentials: replaced by *** wherever a URL is shown or logged
SECRET_PARAMS = frozenset({
    "sig", "signature", "token", "access_token", "auth", "key", "apikey", "api_key", "password", "pass", "pwd",
    "passwd", "secret", "session", "sessionid", "credential", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "user", "username", "usr",
})
_URL_IN_TEXT = re.compile(r"(?i)\b(?:https?|rtsp)://[^\s'\"<>]+")


def _host_port(netloc: str) -> str:
    """netloc without userinfo (user:password@)."""
    return netloc.rpartition("@")[2]


def redact(url: str | None) -> str:
    """The URL fit for a screen or a log: no user:password@, secret query values replaced by ***."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return "<无效地址>"
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in query]
    return urlunsplit((parts.scheme, _host_port(parts.netloc), parts.path, urlencode(query, safe="*"), ""))


def redact_text(text: str) -> str:
    """Every URL inside free text (an exception message, say) redacted."""
    return _URL_IN_TEXT.sub(lambda m: redact(m.group(0)), text)


@dataclass(frozen=True)
class Verdict:
    """Whether a URL may be played; if so, by which source kind; if not, why (Chinese)."""

    allowed: bool
    kind: str | None = None  # "mjpeg" (HTTP multipart JPEG) or "media" (RTSP, HLS: Qt Multimedia)
    reason: str = ""
    host: str = ""


class UrlPolicy:
    """Only http/https/rtsp URLs to allow-listed hosts are played.

    `hosts` entries: an exact host name or IP ("127.0.0.1", "cam.county.gov.cn"), a wildcard for
    subdomains ("*.county.gov.cn") or an IP network ("10.20.0.0/16"). Host names compare
    case-insensitively; the port is not part of the check.
    """

    def __init__(self, hosts: list[str] | tuple[str, ...] | set[str] = ("127.0.0.1",), schemes=SCHEMES) -> None:
        self.schemes = tuple(s.lower() for s in schemes)
        self._exact: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for h in hosts:
            self.allow(h)

    @classmethod
    def for_api(cls, api_base_url: str, extra_hosts=()) -> UrlPolicy:
        """The API's own host (the embedded server's 127.0.0.1) plus `extra_hosts` (a config's list)."""
        host = urlsplit(api_base_url).hostname or "127.0.0.1"
        return cls([host, "127.0.0.1", *extra_hosts])

    def allow(self, host: str) -> None:
        host = host.strip().lower().strip("[]")
        if not host:
            return
        if host.startswith("*."):
            self._suffixes.append(host[1:])
            return
        if "/" in host:
            self._networks.append(ipaddress.ip_network(host, strict=False))
            return
        self._exact.add(host)

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if host in self._exact or any(host.endswith(s) for s in self._suffixes):
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in n for n in self._networks)

    def check(self, url: str | None) -> Verdict:
        if not url or not url.strip():
            return Verdict(False, reason="没有视频地址")
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname or ""
            parts.port  # noqa: B018 — raises ValueError on a bad port
        except ValueError:
            return Verdict(False, reason="视频地址格式错误")
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            shown = scheme or "无"
            return Verdict(False, reason=f"不支持的协议 {shown[:10]}: 仅允许 http / https / rtsp", host=host)
        if not host:
            return Verdict(False, reason="视频地址缺少主机名")
        if not self.host_allowed(host):
            return Verdict(False, reason=f"主机 {host[:60]} 不在允许列表中", host=host)
        return Verdict(True, kind=stream_kind(url), host=host)


def stream_kind(url: str) -> str:
    """"media" for RTSP and HLS (.m3u8), else "mjpeg" (an HTTP multipart JPEG stream)."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "rtsp" or parts.path.lower().endswith((".m3u8", ".m3u")):
        return "media"
    return "mjpeg"
