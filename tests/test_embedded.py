"""The wall's and the kiosk's one way to an embedded API: a saved token reused, a stale one replaced,
everything stopped on exit; and `api_client` closing its client before the server stops."""

from __future__ import annotations

import pytest
import requests

from sandbox.client.api import ApiClient
from sandbox.embedded import EmbeddedApi, api_client
from sandbox.settings import Settings


def _status(url: str, token: str) -> int:
    client = ApiClient(url, token, retries=0)
    try:
        return client.get_json_status("/indicators")
    finally:
        client.close()


def test_the_embedded_api_keeps_its_token_private_and_replaces_a_stale_one(demo_engine, db_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    saved = settings.data_dir / "embedded-delegation.token"
    with EmbeddedApi(settings, "delegation", simulate=False) as api:
        first = api.token
        assert _status(api.url, first) == 200
    assert saved.read_text() == first and saved.stat().st_mode & 0o777 == 0o600
    with EmbeddedApi(settings, "delegation", simulate=False) as api:
        assert api.token == first  # reused, not one more token per start
    saved.write_text("sbx_from_a_database_rebuilt_since")
    with EmbeddedApi(settings, "delegation", simulate=False) as api:
        assert api.token != "sbx_from_a_database_rebuilt_since" and saved.read_text() == api.token
        assert _status(api.url, api.token) == 200
        url = api.url
    with pytest.raises(requests.ConnectionError):  # stopped on exit
        requests.get(f"{url}/api/v1/health", timeout=2)


def test_api_client_is_closed_and_its_server_stopped_on_exit(demo_engine, db_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    with api_client(settings, role="display", retries=0) as client:
        assert client.health()["status"] == "ok"
        url = client.config.base_url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/api/v1/health", timeout=2)
