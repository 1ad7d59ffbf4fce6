"""The benchmarks' API process serves stream URLs the display accepts (a bench whose tiles never go live measures nothing)."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi.testclient import TestClient

from sandbox.ui.cameras.policy import UrlPolicy
from tests.conftest import auth

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from api_process import bench_app  # noqa: E402 - the bench folder is not a package


def test_the_bench_api_hands_out_absolute_stream_urls_the_tiles_may_play(demo_engine, tokens):
    base = "http://127.0.0.1:8765"
    with TestClient(bench_app(demo_engine, 8765, streams_fps=25.0), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/cameras", headers=auth(tokens["display"]))
    assert r.status_code == 200
    cameras = r.json()
    assert cameras
    policy = UrlPolicy.for_api(base)
    for c in cameras:
        for url in (c["stream_url"], c["sub_stream_url"]):
            assert url.startswith(base + "/api/v1/demo/streams/"), url
            assert policy.check(url).allowed, url


def test_the_bench_api_can_serve_smaller_sub_streams(demo_engine, tokens):
    """bench/layers.py's 480×270 rows: the sub-streams at that size, the main stream as before."""
    with TestClient(bench_app(demo_engine, 8765, sub_size=(480, 270)), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/demo/streams", headers=auth(tokens["admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["sub_size"] == [480, 270] and r.json()["size"] == [1280, 720] and r.json()["fps"] == 25.0
