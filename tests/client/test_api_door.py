"""ApiClient as the display's one door: a typed method per endpoint, safe to call from several threads
at once, and a transport a test double can replace without losing the cache and status rules."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.client.api import ApiClient, ApiError, ApiUnavailable, Unreachable
from sandbox.client.cache import ResponseCache
from sandbox.client.gather import gather


class EchoApi:
    """Answers every GET with its path and query; counts requests in flight."""

    def __init__(self, together: int = 1):
        # a request answers only once `together` requests are in flight: sent one after another,
        # the first would wait in vain and the barrier break
        self.barrier = threading.Barrier(together, timeout=10)
        self.in_flight = self.most_in_flight = 0
        self.auth: set[str] = set()
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                with api.lock:
                    api.in_flight += 1
                    api.most_in_flight = max(api.most_in_flight, api.in_flight)
                    api.auth.add(self.headers.get("Authorization", ""))
                try:
                    api.barrier.wait()
                except threading.BrokenBarrierError:
                    self.send_error(503)
                    return
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                data = json.dumps({"path": url.path.removeprefix("/api/v1"), "query": query}).encode()
                with api.lock:
                    api.in_flight -= 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echo():
    api = EchoApi()
    yield api
    api.close()


@pytest.fixture
def echo5():
    api = EchoApi(together=5)
    yield api
    api.close()


@pytest.mark.parametrize("call, path, query", [
    (lambda c: c.region("522726", 2016), "/regions/522726", {"year": "2016"}),
    (lambda c: c.children_series("522726"), "/regions/522726/children/series", {}),
    (lambda c: c.households("522726101201", page=2, year=2016), "/households",
     {"region": "522726101201", "page": "2", "year": "2016"}),
    (lambda c: c.projects("522726", 2017), "/projects", {"region": "522726", "year": "2017"}),
    (lambda c: c.project(7, 2017), "/projects/7", {"year": "2017"}),
    (lambda c: c.funds_chain("522726", through=2017, project=7), "/funds/chain",
     {"region": "522726", "through": "2017", "project": "7"}),
    (lambda c: c.checkins("522726", since="2020-11-01T00:00:00", until="2020-12-01T00:00:00"), "/checkins",
     {"region": "522726", "since": "2020-11-01T00:00:00", "until": "2020-12-01T00:00:00"}),
    (lambda c: c.checkin_visits("522726", "2020-11"), "/checkins/visits", {"region": "522726", "month": "2020-11"}),
    (lambda c: c.cameras(), "/cameras", {}),
])
def test_every_endpoint_the_display_uses_has_a_typed_method(echo, call, path, query):
    client = ApiClient(echo.url, "tok")
    assert call(client) == {"path": path, "query": query}
    client.close()


def test_one_client_serves_several_threads_at_once(echo5):
    client = ApiClient(echo5.url, "tok", retries=0)
    sessions: list = []
    answers = gather(*[(lambda i=i: (sessions.append(client.session), client.region(f"52272610{i}000"))[1])
                       for i in range(5)])
    assert [a["path"] for a in answers] == [f"/regions/52272610{i}000" for i in range(5)]
    assert echo5.most_in_flight == 5  # all five at the same time, not one after the other
    assert len({id(s) for s in sessions}) == 5  # a session per thread: requests' Session is not shared
    assert echo5.auth == {"Bearer tok"}
    client.close()


class _Double(ApiClient):
    def __init__(self, cache=None):
        super().__init__("http://api.test", "tok", cache=cache)
        self.answer: tuple[int, bytes] | Exception = (200, b'{"code": "522726000000"}')

    def transport(self, path, params):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_a_transport_double_keeps_the_clients_rules(tmp_path):
    double = _Double(cache=ResponseCache(tmp_path / "cache"))
    assert double.region("522726") == {"code": "522726000000"}
    assert double.status.snapshot().online is True
    double.answer = Unreachable("ConnectionError")
    assert double.region("522726") == {"code": "522726000000"}  # the last good answer, offline
    assert double.status.snapshot().online is False
    with pytest.raises(ApiUnavailable, match="无法连接中心数据接口"):
        double.region("522726", 2019)
    double.answer = (403, '{"detail": "无权查看"}'.encode())
    with pytest.raises(ApiError) as err:
        double.households("522726101201")
    assert err.value.status == 403 and err.value.message == "无权查看"


def test_gather_raises_the_first_failure_after_every_call_ended():
    ended = []

    def slow():
        time.sleep(0.2)
        ended.append("slow")
        return 1

    def failing():
        raise ApiError(500, "boom")

    with pytest.raises(ApiError):
        gather(failing, slow)
    assert ended == ["slow"]
    assert gather() == [] and gather(lambda: 3) == [3]
