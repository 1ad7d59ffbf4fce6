"""Tiny HTTP servers for the client's tests: a scripted JSON API, and sockets that accept and never answer."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubApi:
    """Serves `routes[path] -> (status, body)`; `script` (a list of statuses) is consumed first per path.
    Counts hits per path. Stop and start again on the same port to simulate an outage."""

    def __init__(self, routes: dict[str, tuple[int, object]] | None = None, port: int = 0):
        self.routes = dict(routes or {})
        self.script: dict[str, list[int]] = {}
        self.hits: dict[str, int] = {}
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StubApi:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0].removeprefix("/api/v1")
                stub.hits[path] = stub.hits.get(path, 0) + 1
                scripted = stub.script.get(path)
                if scripted:
                    status, body = scripted.pop(0), {"detail": "稍后再试"}
                else:
                    status, body = stub.routes.get(path, (404, {"detail": "未找到"}))
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class SilentServer:
    """Accepts connections and never answers (a hung API); `trickle` sends a byte every so often
    without ever finishing the answer."""

    def __init__(self, trickle: float | None = None):
        self.trickle = trickle
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            if self.trickle:
                threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        try:
            conn.sendall(head)
            while not self._stop.is_set():
                conn.sendall(b" ")
                time.sleep(self.trickle)
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
        self._sock.close()


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()
