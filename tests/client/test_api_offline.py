"""The API client offline: last good answer from the disk cache, status and as-of, deadline, retries."""

from __future__ import annotations

import logging
import time

import pytest

from sandbox.client.api import MAX_DEADLINE_S, ApiClient, ApiError, ApiUnavailable
from sandbox.client.cache import ResponseCache
from sandbox.client.status import ConnectionStatus
from tests.client.stub_server import SilentServer, StubApi

REGION = {"code": "522726000000", "name": "独山县", "level": "county", "indicators": {"poor_population": 45123}}


@pytest.fixture
def stub():
    s = StubApi({"/regions/522726": (200, REGION), "/indicators": (200, [{"key": "poverty_incidence"}])}).start()
    yield s
    s.stop()


@pytest.fixture
def cache(tmp_path):
    return ResponseCache(tmp_path / "cache")


def test_serves_the_last_good_answer_while_the_api_is_down_and_recovers(stub, cache):
    status = ConnectionStatus()
    client = ApiClient(stub.url, "tok", cache=cache, status=status)
    assert client.region("522726") == REGION
    snap = status.snapshot()
    assert snap.online is True and snap.data_as_of is not None and snap.last_contact is not None
    fetched_at = snap.data_as_of

    stub.stop()
    assert client.region("522726") == REGION  # from the disk, not an exception
    snap = status.snapshot()
    assert snap.online is False and snap.failures >= 1 and snap.cached_answers == 1
    assert snap.data_as_of <= fetched_at  # never fresher than what was fetched
    with pytest.raises(ApiUnavailable):  # never fetched: nothing to fall back on
        client.region("522726", 2019)

    # a new process (new client, same cache dir) starts offline with the data of the last run
    fresh_status = ConnectionStatus()
    other = ApiClient(stub.url, "tok", cache=ResponseCache(cache.directory), status=fresh_status)
    assert other.region("522726") == REGION
    assert fresh_status.snapshot().data_as_of is not None
    # another token (another role) never sees this token's answers
    with pytest.raises(ApiUnavailable):
        ApiClient(stub.url, "other-token", cache=cache).region("522726")

    stub.start()  # same port
    assert client.region("522726") == REGION
    assert status.snapshot().online is True and status.snapshot().cached_answers == 0
    client.close()
    other.close()


def test_error_answers_are_not_cached_and_do_not_hide_behind_the_cache(stub, cache):
    client = ApiClient(stub.url, "tok", cache=cache)
    client.region("522726")
    stub.routes["/regions/522726"] = (403, {"detail": "无权访问"})
    with pytest.raises(ApiError) as err:
        client.region("522726")
    assert err.value.status == 403 and err.value.message == "无权访问"
    assert client.status.online is True  # the API answered: it is reachable
    with pytest.raises(ApiError) as err:
        client.get_json("/nowhere")
    assert err.value.status == 404


def test_a_corrupt_cache_file_while_offline_is_an_unavailable_error_not_a_crash(stub, cache, caplog):
    client = ApiClient(stub.url, "tok", cache=cache)
    client.region("522726")
    for f in cache.entries():
        f.write_bytes(b"\x00\xff garbage")
    stub.stop()
    with caplog.at_level(logging.WARNING):
        with pytest.raises(ApiUnavailable):
            client.region("522726")
    assert "discarded corrupt cache entry" in caplog.text
    assert cache.entries() == []


def test_a_server_that_never_answers_costs_at_most_the_deadline():
    hung = SilentServer()
    try:
        status = ConnectionStatus()
        client = ApiClient(hung.url, "tok", deadline=1.5, status=status)
        t0 = time.monotonic()
        with pytest.raises(ApiUnavailable):
            client.region("522726")
        elapsed = time.monotonic() - t0
        assert elapsed < 1.5 + 1.0  # generous: the point is "bounded", not "fast"
        assert status.snapshot().online is False
    finally:
        hung.close()


def test_a_server_that_trickles_bytes_is_cut_off_at_the_deadline():
    drip = SilentServer(trickle=0.2)
    try:
        client = ApiClient(drip.url, "tok", deadline=1.5)
        t0 = time.monotonic()
        with pytest.raises(ApiUnavailable):
            client.region("522726")
        assert time.monotonic() - t0 < 1.5 + 1.0
    finally:
        drip.close()


def test_the_deadline_is_never_above_ten_seconds():
    assert ApiClient("http://127.0.0.1:1", deadline=60).config.deadline == MAX_DEADLINE_S == 10.0


def test_transient_errors_are_retried_then_succeed(stub):
    stub.script["/regions/522726"] = [503, 502]
    client = ApiClient(stub.url, "tok", retries=2)
    assert client.region("522726") == REGION
    assert stub.hits["/regions/522726"] == 3


def test_a_persisting_503_is_the_servers_answer_after_the_retries(stub):
    stub.script["/regions/522726"] = [503, 503, 503]
    with pytest.raises(ApiError) as err:
        ApiClient(stub.url, "tok", retries=2).region("522726")
    assert err.value.status == 503 and not isinstance(err.value, ApiUnavailable)


def test_a_gateway_error_serves_the_cache(stub, cache):
    client = ApiClient(stub.url, "tok", cache=cache, retries=1)
    client.region("522726")
    stub.script["/regions/522726"] = [502, 502]
    assert client.region("522726") == REGION
    assert client.status.online is False


def test_refused_connections_retry_with_jittered_backoff_inside_the_deadline(monkeypatch):
    sleeps: list[float] = []
    import tenacity.nap

    monkeypatch.setattr(tenacity.nap.time, "sleep", lambda s: sleeps.append(s))
    client = ApiClient("http://127.0.0.1:1", "tok", retries=3)
    with pytest.raises(ApiUnavailable):
        client.region("522726")
    assert len(sleeps) == 3 and all(0 <= s <= 2.0 for s in sleeps)
    # known down: the next call tries twice at most (the cached answer, if any, shows at once)
    sleeps.clear()
    with pytest.raises(ApiUnavailable):
        client.region("522726")
    assert len(sleeps) == 1


def test_clone_shares_cache_and_status_but_not_the_session(stub, cache):
    client = ApiClient(stub.url, "tok", cache=cache, timeout=4.0, retries=1, deadline=5.0)
    other = client.clone()
    assert other.config == client.config and other.session is not client.session
    assert other.cache is cache and other.status is client.status


def test_logs_name_the_path_only(stub, cache, caplog):
    token = "sbx_secret-token"
    client = ApiClient(stub.url, token, cache=cache)
    client.region("522726")
    stub.stop()
    with caplog.at_level(logging.DEBUG):
        client.region("522726")
    assert token not in caplog.text and "Bearer" not in caplog.text


def test_a_server_that_stalls_mid_body_is_cut_off_at_the_deadline():
    """Headers and a first chunk arrive, then nothing: the socket wait shrinks to the deadline."""
    drip = SilentServer(trickle=30.0)  # one byte, then silence
    try:
        client = ApiClient(drip.url, "tok", deadline=1.5, timeout=10.0)
        t0 = time.monotonic()
        with pytest.raises(ApiUnavailable):
            client.region("522726")
        assert time.monotonic() - t0 < 1.5 + 1.0
    finally:
        drip.close()
