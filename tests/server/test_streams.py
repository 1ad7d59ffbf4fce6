"""Demo camera streams: live MJPEG over HTTP from a real server, signed URLs, stall/down switch."""

from __future__ import annotations

import io
import socket
import threading
import time

import numpy as np
import pytest
import requests

from sandbox.server.runtime import EmbeddedServer
from sandbox.server.streams.hub import StreamHub, hub_of
from sandbox.server.streams.render import CLOCK_BOX, SceneRenderer
from tests.conftest import auth


class MjpegReader:
    """Reads multipart/x-mixed-replace in a thread: (arrival time, part headers, JPEG bytes)."""

    def __init__(self, url: str) -> None:
        self.response = requests.get(url, stream=True, timeout=(5, 60))
        self.frames: list[tuple[float, dict, bytes]] = []
        self.ended = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        if self.response.status_code == 200:
            self._thread.start()

    def _read(self) -> None:
        raw = self.response.raw
        try:
            while True:
                line = raw.readline()
                if not line:
                    break
                if line.strip() != b"--frame":
                    continue
                headers = {}
                while True:
                    h = raw.readline().strip()
                    if not h:
                        break
                    k, _, v = h.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                data = raw.read(int(headers["content-length"]))
                raw.readline()  # the CRLF after the part
                self.frames.append((time.monotonic(), headers, data))
        except Exception:
            pass
        self.ended = True

    def wait_frames(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.frames) < n and time.monotonic() < deadline and not self.ended:
            time.sleep(0.01)

    def close(self) -> None:
        try:
            self.response.raw.connection.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        self.response.close()


@pytest.fixture(scope="module")
def server(demo_engine):
    srv = EmbeddedServer(demo_engine).start()
    yield srv
    hub_of(srv.server.config.app).close()
    srv.stop()


@pytest.fixture(scope="module")
def hub(server) -> StreamHub:
    return hub_of(server.server.config.app)


@pytest.fixture(scope="module")
def cameras(server, tokens) -> list[dict]:
    r = requests.get(server.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=10)
    assert r.status_code == 200
    return r.json()


def _decode(jpeg: bytes):
    from PIL import Image

    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG"
    return np.asarray(img.convert("L"), dtype=np.int16)


def _clock(pixels: np.ndarray) -> np.ndarray:
    h, w = pixels.shape
    l, t, r, b = CLOCK_BOX
    return pixels[int(t * h): int(b * h), int(l * w): int(r * w)]


def test_cameras_come_with_signed_absolute_stream_urls(cameras, server, tokens):
    assert len(cameras) >= 4
    for c in cameras:
        assert c["demo"] is True and c["stream_url"].startswith(server.url + "/api/v1/demo/streams/")
        assert "exp=" in c["stream_url"] and "sig=" in c["stream_url"] and c["stream_expires_at"]
        assert tokens["display"] not in c["stream_url"] and "token" not in c["stream_url"]


def test_mjpeg_delivers_over_ten_frames_a_second_with_a_running_clock(cameras, hub):
    reader = MjpegReader(cameras[0]["stream_url"])
    try:
        assert reader.response.status_code == 200
        assert reader.response.headers["content-type"] == "multipart/x-mixed-replace; boundary=frame"
        reader.wait_frames(1)
        start = len(reader.frames)
        reader.wait_frames(start + 51, timeout=20)
        got = reader.frames[start:]
        # the rate at which the server sent them (its own stamps): a reader thread held up by a loaded
        # machine reads a burst late, which says nothing about the stream
        span = float(got[-1][1]["x-timestamp"]) - float(got[0][1]["x-timestamp"])
        assert len(got) >= 51 and (len(got) - 1) / span >= 10, (len(got), span)
        first, last = got[0], got[-1]
        assert first[1]["content-type"] == "image/jpeg"
        a, b = _decode(first[2]), _decode(last[2])
        assert a.shape == b.shape == (hub.size[1], hub.size[0])
        # the burned-in clock moved (frames ~2 s apart), and so did the scene
        # (counted in changed pixels: when only two digits change, a mean over the band is ~1 and flaky)
        assert (np.abs(_clock(a) - _clock(b)) > 40).sum() >= 30
        assert float(last[1]["x-timestamp"]) - float(first[1]["x-timestamp"]) > 1.5
        assert int(last[1]["x-frame"]) > int(first[1]["x-frame"])
    finally:
        reader.close()


def test_viewers_of_one_camera_share_one_encoder(cameras, hub):
    cid = cameras[1]["id"]
    readers = [MjpegReader(cameras[1]["stream_url"]) for _ in range(3)]
    try:
        for r in readers:
            r.wait_frames(2)
        feed = next(f for f in hub.status() if f["camera_id"] == cid)
        assert feed["viewers"] == 3
        before = hub.status()
        t0 = time.monotonic()
        time.sleep(1.0)
        rendered = (next(f for f in hub.status() if f["camera_id"] == cid)["frames_rendered"]
                    - next(f for f in before if f["camera_id"] == cid)["frames_rendered"])
        assert rendered <= hub.fps * (time.monotonic() - t0) + 3  # once per frame, not once per viewer
    finally:
        for r in readers:
            r.close()


def test_unknown_camera_is_404(server, hub):
    exp, sig = hub.sign(987654)
    r = requests.get(f"{server.url}/api/v1/demo/streams/987654.mjpeg", params={"exp": exp, "sig": sig}, timeout=5)
    assert r.status_code == 404 and "摄像头" in r.json()["detail"]


def test_no_signature_is_401_a_bad_or_old_one_403(server, hub, cameras):
    base = f"{server.url}/api/v1/demo/streams/{cameras[0]['id']}.mjpeg"
    assert requests.get(base, timeout=5).status_code == 401
    assert requests.get(base, params={"exp": 2_000_000_000}, timeout=5).status_code == 401
    assert requests.get(base, params={"exp": 2_000_000_000, "sig": "0" * 32}, timeout=5).status_code == 403
    other_exp, other_sig = hub.sign(cameras[1]["id"])  # a good signature for another camera
    assert requests.get(base, params={"exp": other_exp, "sig": other_sig}, timeout=5).status_code == 403
    exp, sig = hub.sign(cameras[0]["id"], now=time.time() - 2 * hub.url_ttl_s)  # expired
    r = requests.get(base, params={"exp": exp, "sig": sig}, timeout=5)
    assert r.status_code == 403 and "过期" in r.json()["detail"]
    # a display token in the URL is no way in either
    assert requests.get(base, params={"token": "sbx_anything"}, timeout=5).status_code == 401


@pytest.mark.parametrize("path", ["abc.mjpeg", "-1.mjpeg", "0.mjpeg", "99999999999999999999999.mjpeg", "1.mp4",
                                  "abc/sub.mjpeg", "0/sub.mjpeg", "99999999999999999999999/sub.mjpeg", "1/sub.mp4",
                                  "1/main.mjpeg"])
def test_bad_stream_paths_are_client_errors(server, path):
    r = requests.get(f"{server.url}/api/v1/demo/streams/{path}", params={"exp": "x", "sig": "y"}, timeout=5)
    assert 400 <= r.status_code < 500


def test_a_camera_can_be_stalled_and_cut_and_comes_back(server, hub, cameras, tokens):
    cam = cameras[2]
    admin = auth(tokens["admin"])
    url = f"{server.url}/api/v1/demo/streams/{cam['id']}/state"
    reader = MjpegReader(cam["stream_url"])
    try:
        reader.wait_frames(3)
        # stalled: the connection stays open, no frames come
        r = requests.put(url, json={"state": "stalled"}, headers=admin, timeout=5)
        assert r.status_code == 200 and r.json()["state"] == "stalled"
        stalled_at = time.time()
        time.sleep(1.3)
        n = len(reader.frames)
        # nothing sent after the stall (a frame sent just before it may be read late), and still open
        assert all(float(h["x-timestamp"]) <= stalled_at + 0.05 for _, h, _ in reader.frames) and not reader.ended
        # live again: frames resume on the same connection
        requests.put(url, json={"state": "live"}, headers=admin, timeout=5)
        reader.wait_frames(n + 5, timeout=5)
        assert len(reader.frames) >= n + 5
        # down: the open stream ends, new ones get 503, the camera list says offline
        requests.put(url, json={"state": "down"}, headers=admin, timeout=5)
        deadline = time.monotonic() + 5
        while not reader.ended and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reader.ended
        assert requests.get(cam["stream_url"], timeout=5).status_code == 503
        listed = requests.get(server.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=5).json()
        assert next(c for c in listed if c["id"] == cam["id"])["status"] == "offline"
        # and back
        requests.put(url, json={"state": "live"}, headers=admin, timeout=5)
        again = MjpegReader(cam["stream_url"])
        try:
            again.wait_frames(3)
            assert len(again.frames) >= 3
        finally:
            again.close()
    finally:
        reader.close()
        hub.set_state(cam["id"], "live")


def test_the_in_process_switch_works_before_anyone_watches(server, hub, cameras):
    cam = cameras[3]
    hub.set_state(cam["id"], "down")
    try:
        assert requests.get(cam["stream_url"], timeout=5).status_code == 503
    finally:
        hub.set_state(cam["id"], "live")
    reader = MjpegReader(cam["stream_url"])
    try:
        reader.wait_frames(2)
        assert len(reader.frames) >= 2
    finally:
        reader.close()


def test_only_admins_switch_cameras(server, tokens, cameras):
    url = f"{server.url}/api/v1/demo/streams/{cameras[0]['id']}/state"
    assert requests.put(url, json={"state": "down"}, headers=auth(tokens["display"]), timeout=5).status_code == 403
    assert requests.put(url, json={"state": "down"}, timeout=5).status_code == 401
    assert requests.put(url, json={"state": "broken"}, headers=auth(tokens["admin"]), timeout=5).status_code == 422
    assert requests.put(f"{server.url}/api/v1/demo/streams/99999/state", json={"state": "down"},
                        headers=auth(tokens["admin"]), timeout=5).status_code == 404
    status = requests.get(f"{server.url}/api/v1/demo/streams", headers=auth(tokens["admin"]), timeout=5).json()
    assert status["fps"] >= 10 and isinstance(status["feeds"], list)


def test_feeds_stop_rendering_when_nobody_watches(server, hub, cameras):
    cam = cameras[4] if len(cameras) > 4 else cameras[0]
    reader = MjpegReader(cam["stream_url"])
    reader.wait_frames(2)
    reader.close()
    feed = hub.feed(cam["id"], cam["name"], cam["site"])
    deadline = time.monotonic() + feed.linger_s + 5
    while feed._thread is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert feed._thread is None and feed.viewers == 0


def test_the_renderer_draws_a_moving_scene_cheaply():
    r = SceneRenderer(7, "测试摄像头·1号种植大棚", "测试园区", fps=20)
    t = 1_790_000_000.0
    a, b = _decode(r.render(t)), _decode(r.render(t + 1.0))
    assert np.abs(_clock(a) - _clock(b)).mean() > 1.0
    assert np.abs(a - b).mean() > 0.1
    # spliced frames (cached scene rows + a freshly encoded clock bar) are exactly the JPEG of the
    # composed picture, so every decoder reads them
    for k in (0, 1, 37, 119, 120, 333):
        assert r.render(t + k / 20) == r._encode(r.compose(t + k / 20), restart=True)
    assert r.splice
    for k in range(r.frames_in_loop):  # the loop is cached after one pass ...
        r.render(t + k / 20)
    start = time.perf_counter()
    for k in range(40):  # ... and then a frame costs a clock-bar encode at most
        r.render(t + 1000 + k / 20)
    assert (time.perf_counter() - start) / 40 < 0.02  # generous: ~0.5 ms on this machine


def test_a_failed_splice_falls_back_to_whole_frames():
    r = SceneRenderer(8, "测试摄像头", "测试园区", fps=20)
    r._rows += 1  # pretend the encoder laid out rows differently
    jpeg = r.render(1_790_000_000.0)
    assert not r.splice and _decode(jpeg).shape == (360, 640)


def test_cameras_carry_a_signed_sub_stream_beside_the_main_stream(cameras, server, tokens):
    for c in cameras:
        sub = c["sub_stream_url"]
        assert sub.startswith(f"{server.url}/api/v1/demo/streams/{c['id']}/sub.mjpeg?")
        assert "exp=" in sub and "sig=" in sub and tokens["display"] not in sub
        assert sub != c["stream_url"]


def test_the_sub_stream_is_640x360_and_the_main_stream_1280x720(cameras, hub):
    """Tiles play the sub-stream, full screen the main stream: the two profiles of an NVR's camera."""
    assert tuple(hub.sub_size) == (640, 360) and tuple(hub.size) == (1280, 720)
    for url, (w, h) in ((cameras[1]["sub_stream_url"], (640, 360)), (cameras[1]["stream_url"], (1280, 720))):
        reader = MjpegReader(url)
        try:
            assert reader.response.status_code == 200, url
            reader.wait_frames(2)
            assert _decode(reader.frames[-1][2]).shape == (h, w)
        finally:
            reader.close()


def _luma_table(jpeg: bytes) -> list[int]:
    from PIL import Image

    return list(Image.open(io.BytesIO(jpeg)).quantization[0])


def _table_of_quality(quality: int) -> list[int]:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG", quality=quality, subsampling="4:2:0")
    return _luma_table(buf.getvalue())


def test_the_sub_stream_is_encoded_leaner_than_the_main_stream(cameras, hub):
    """As a platform's sub-stream: quality 60 (the main stream 70), 4:2:0, so tiles decode smaller frames."""
    assert (hub.quality, hub.sub_quality) == (70, 60)
    got = {}
    for name, url in (("sub", cameras[2]["sub_stream_url"]), ("main", cameras[2]["stream_url"])):
        reader = MjpegReader(url)
        try:
            reader.wait_frames(2)
            got[name] = reader.frames[-1][2]
        finally:
            reader.close()
    assert _luma_table(got["sub"]) == _table_of_quality(60)
    assert _luma_table(got["main"]) == _table_of_quality(70)
    from PIL import Image

    for jpeg in got.values():  # 4:2:0: the luma component samples 2×2 per chroma sample
        assert Image.open(io.BytesIO(jpeg)).layer[0][1:3] == (2, 2)
    status = next(f for f in hub.status() if f["camera_id"] == cameras[2]["id"])
    assert status["profiles"]["sub"]["quality"] == 60 and status["profiles"]["main"]["quality"] == 70


def test_the_sub_stream_needs_the_signature_too(server, cameras):
    cid = cameras[0]["id"]
    assert requests.get(f"{server.url}/api/v1/demo/streams/{cid}/sub.mjpeg", timeout=5).status_code == 401
    sub = cameras[0]["sub_stream_url"].replace("sig=", "sig=0")
    assert requests.get(sub, timeout=5).status_code == 403


def test_a_real_cameras_sub_stream_is_passed_through_and_none_is_null(demo_engine, api, tokens):
    from sqlalchemy import update

    from sandbox.store.models import Camera

    with demo_engine.begin() as conn:
        conn.execute(update(Camera).where(Camera.id == 2).values(
            stream_url="rtsp://nvr.example.gov.cn/ch2/main", sub_stream_url="rtsp://nvr.example.gov.cn/ch2/sub"))
        conn.execute(update(Camera).where(Camera.id == 3).values(stream_url="rtsp://nvr.example.gov.cn/ch3/main",
                                                                   sub_stream_url=None))
    try:
        got = {c["id"]: c for c in api.get("/api/v1/cameras", headers=auth(tokens["display"])).json()}
        assert got[2]["sub_stream_url"] == "rtsp://nvr.example.gov.cn/ch2/sub" and got[2]["demo"] is False
        assert got[3]["sub_stream_url"] is None
    finally:
        with demo_engine.begin() as conn:
            for cid in (2, 3):
                conn.execute(update(Camera).where(Camera.id == cid).values(
                    stream_url=f"/api/v1/demo/streams/{cid}.mjpeg", sub_stream_url=f"/api/v1/demo/streams/{cid}/sub.mjpeg"))
