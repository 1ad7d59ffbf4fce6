"""Camera URL policy, redaction, multipart parsing and reconnect timing: pure Python, no Qt, no network."""

import random

import pytest

from sandbox.ui.cameras.multipart import MultipartParser, boundary_of
from sandbox.ui.cameras.policy import UrlPolicy, redact, redact_text
from sandbox.ui.cameras.reconnect import Backoff, LinkSupervisor, StaggerGate, StreamSettings


@pytest.fixture
def policy():
    return UrlPolicy(["127.0.0.1", "cam.dushan.gov.cn", "*.video.gz.cn", "10.20.0.0/16"])


@pytest.mark.parametrize("url,kind", [
    ("http://127.0.0.1:8765/api/v1/demo/streams/1.mjpeg?exp=1&sig=ab", "mjpeg"),
    ("https://CAM.dushan.gov.cn/live/2.mjpg", "mjpeg"),
    ("rtsp://admin:pw@10.20.3.4:554/Streaming/Channels/101", "media"),
    ("https://a.b.video.gz.cn/hls/cam7/index.m3u8", "media"),
])
def test_allowed_urls_and_their_source_kind(policy, url, kind):
    v = policy.check(url)
    assert v.allowed and v.kind == kind


@pytest.mark.parametrize("url,word", [
    ("ftp://127.0.0.1/x.mjpeg", "协议"),
    ("file:///etc/passwd", "协议"),
    ("javascript:alert(1)", "协议"),
    ("http://evil.example.com/cam.mjpeg", "不在允许列表"),
    ("http://127.0.0.2/cam.mjpeg", "不在允许列表"),
    ("http://video.gz.cn.evil.com/x", "不在允许列表"),
    ("rtsp://10.21.0.1/stream", "不在允许列表"),
    ("http://127.0.0.1:99999999/x", "格式"),
    ("", "没有视频地址"),
    ("http:///nohost", "主机"),
])
def test_not_allowed_urls_say_why_in_chinese(policy, url, word):
    v = policy.check(url)
    assert not v.allowed and word in v.reason


def test_policy_for_the_api_allows_its_host():
    p = UrlPolicy.for_api("http://api.county.local:8000", extra_hosts=["cam.x.cn"])
    assert p.check("http://api.county.local:8000/api/v1/demo/streams/1.mjpeg").allowed
    assert p.check("http://127.0.0.1:1/x").allowed and p.check("rtsp://cam.x.cn/1").allowed
    assert not p.check("http://other.cn/1").allowed


def test_redact_strips_userinfo_and_secret_query_values():
    url = "rtsp://admin:Pa55word@10.20.3.4:554/ch1?sig=deadbeef&exp=123&token=tkn&channel=2#frag"
    shown = redact(url)
    for secret in ("admin", "Pa55word", "deadbeef", "tkn", "frag"):
        assert secret not in shown
    assert shown.startswith("rtsp://10.20.3.4:554/ch1?") and "exp=123" in shown and "channel=2" in shown
    assert "sig=***" in shown and "token=***" in shown
    text = "failed: GET http://u:p4ss@h/x?sig=s1gn&a=1 and https://h2/y?access_token=abc"
    assert "p4ss" not in redact_text(text) and "s1gn" not in redact_text(text) and "abc" not in redact_text(text)


def _part(jpeg: bytes, length=True) -> bytes:
    head = b"--frame\r\nContent-Type: image/jpeg\r\n" + (b"Content-Length: %d\r\n" % len(jpeg) if length else b"")
    return head + b"\r\n" + jpeg + b"\r\n"


@pytest.mark.parametrize("length", [True, False])
def test_multipart_parser_in_any_chunking(length):
    frames = [b"\xff\xd8" + bytes([i]) * (100 + i * 37) + b"\xff\xd9" for i in range(5)]
    stream = b"".join(_part(f, length) for f in frames) + b"--frame\r\n"
    for size in (1, 7, 64, len(stream)):
        p = MultipartParser("frame")
        got = []
        for i in range(0, len(stream), size):
            got += [body for _, body in p.feed(stream[i:i + size])]
        assert got == frames, size


def test_boundary_parameter_forms():
    assert boundary_of("multipart/x-mixed-replace; boundary=frame") == "frame"
    assert boundary_of('multipart/x-mixed-replace;boundary="--myboundary"') == "--myboundary"
    assert boundary_of("image/jpeg") is None
    p = MultipartParser("--myboundary")  # a camera that puts the dashes into the parameter
    assert [b for _, b in p.feed(b"--myboundary\r\nContent-Length: 3\r\n\r\nabc\r\n")] == [b"abc"]


def test_backoff_grows_with_jitter_up_to_the_cap():
    s = StreamSettings(backoff_base_s=1, backoff_factor=2, backoff_cap_s=8, jitter=0.5)
    b = Backoff(s, random.Random(1))
    for attempt, top in [(0, 1), (1, 2), (2, 4), (3, 8), (4, 8), (50, 8)]:
        ds = [b.delay(attempt) for _ in range(200)]
        assert all(top / 2 <= d <= top for d in ds) and max(ds) - min(ds) > top / 10


def test_stagger_gate_spreads_reconnects():
    gate = StaggerGate(0.25)
    starts = [gate.reserve(100.0) for _ in range(9)]  # nine tiles whose network returns at once
    assert starts == pytest.approx([100.0 + 0.25 * i for i in range(9)])
    assert gate.reserve(200.0) == 200.0


def test_supervisor_stall_retry_and_resume():
    s = StreamSettings(stall_s=5, backoff_base_s=1, backoff_cap_s=8, stagger_s=0.0, jitter=0.0)
    sup = LinkSupervisor(s, StaggerGate(0.0))
    sup.start(0.0)
    assert sup.tick(0.0) == "connect" and sup.state == "connecting"
    sup.on_frame(1.0)
    assert sup.state == "live" and sup.tick(5.0) is None
    assert sup.tick(6.5) == "drop" and sup.state == "stalled"  # no frame for > 5 s
    assert sup.tick(7.0) is None and sup.tick(7.6) == "connect"  # after 1 s backoff
    sup.on_failed(7.7, "x")
    assert sup.retry_in(7.7) == pytest.approx(2.0)
    for t in (9.8,):
        assert sup.tick(t) == "connect"
    sup.on_frame(10.0)
    assert sup.state == "live" and sup.attempts == 0


def test_supervisor_first_failure_is_no_signal():
    sup = LinkSupervisor(StreamSettings(stagger_s=0.0), StaggerGate(0.0))
    sup.start(0.0)
    sup.tick(0.0)
    sup.on_failed(0.1, "无法连接摄像头")
    assert sup.state == "down" and sup.reason == "无法连接摄像头"
