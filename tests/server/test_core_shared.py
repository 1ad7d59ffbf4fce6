"""server/core holds what features share: the camera list signs stream URLs with the very signer the
stream feeds check, whichever hub the app runs (its own, or one a test installed)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.server.core.demo_streams import DemoStreams, demo_streams_of
from sandbox.server.core.signing import UrlSigner
from sandbox.server.streams.hub import StreamHub, hub_of, install_hub
from tests.conftest import auth


def _signed(client, token) -> tuple[int, int, str]:
    cams = client.get("/api/v1/cameras", params={"region": "522726"}, headers=auth(token)).json()
    cam = next(c for c in cams if c["demo"])
    q = parse_qs(urlsplit(cam["stream_url"]).query)
    return cam["id"], int(q["exp"][0]), q["sig"][0]


def test_the_camera_list_and_the_feeds_share_one_signer(demo_engine, tokens):
    app = create_app(demo_engine)
    with TestClient(app) as client:
        camera_id, exp, sig = _signed(client, tokens["display"])
        assert hub_of(app).shared is demo_streams_of(app)
        assert hub_of(app).verify(camera_id, exp, sig) is None
        assert UrlSigner(b"another secret").verify(camera_id, exp, sig) == "签名无效"


def test_an_installed_hub_signs_the_camera_list(demo_engine, tokens):
    app = create_app(demo_engine)
    hub = install_hub(app, StreamHub(secret=b"known-secret-0123456789", url_ttl_s=60.0))
    with TestClient(app) as client:
        camera_id, exp, sig = _signed(client, tokens["display"])
    assert UrlSigner(b"known-secret-0123456789").verify(camera_id, exp, sig) is None
    assert hub.verify(camera_id, exp, sig) is None and hub_of(app) is hub


def test_a_switched_state_is_kept_before_any_feed_and_refuses_nonsense():
    shared = DemoStreams()
    assert shared.state(7) == "live"
    shared.set_state(7, "down")
    assert shared.state(7) == "down" and shared.switched() == [7]
    hub = StreamHub(shared=shared)
    assert hub.state(7) == "down"
    with pytest.raises(ValueError):
        hub.set_state(7, "broken")
    assert shared.state(7) == "down"
