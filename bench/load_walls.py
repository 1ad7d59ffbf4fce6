"""The load test's walls' SSE streams in a light process of their own (asyncio, plain sockets): each wall holds
`GET /events` and keeps the ids of the `checkin` events it receives, so bench/load.py can check exactly-once
delivery without the load generator's own CPU (one gevent process parsing every wall's stream) being what
the table measures.

    python bench/load_walls.py URL TOKEN WALLS OUT

Prints `ready` once every wall holds its stream; reads one line from stdin — the check-in ids posted, as a
JSON list — then waits until every wall has every one (at most LOAD_DRAIN_S, default 60 s), writes OUT
(JSON: per wall its ids, reconnects and resyncs) and exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

_CHECKIN_ID = re.compile(rb'"id":(\d+)')  # the first "id" of a checkin event's data is the check-in's own


def parse_events(buffer: bytes) -> tuple[list[tuple[int | None, bytes, bytes]], bytes]:
    """Complete SSE messages in `buffer` as (id or None, event kind, data) and the incomplete rest: only what
    the load test needs (no multi-line data, which the API does not send)."""
    out = []
    *messages, rest = buffer.split(b"\n\n")
    for message in messages:
        event_id, kind, data = None, b"message", b""
        for line in message.split(b"\n"):
            if line.startswith(b"id: "):
                event_id = int(line[4:])
            elif line.startswith(b"event: "):
                kind = line[7:]
            elif line.startswith(b"data: "):
                data = line[6:]
        if data or kind != b"message":
            out.append((event_id, kind, data))
    return out, rest


class Wall:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.reconnects = 0
        self.resyncs = 0
        self.connected = asyncio.Event()
        self.last: int | None = None


async def hold(wall: Wall, host: str, port: int, token: str, stop: asyncio.Event) -> None:
    """One wall's stream, reconnecting with Last-Event-ID after a dropped connection or a `resync` (the server
    dropped what this stream had not read; the missed ones come from the log)."""
    while not stop.is_set():
        writer = None
        try:
            reader, writer = await asyncio.open_connection(host, port)
            resume = f"Last-Event-ID: {wall.last}\r\n" if wall.last is not None else ""
            writer.write((f"GET /api/v1/events HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                          f"Accept: text/event-stream\r\n{resume}\r\n").encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head[:80])
            chunked = b"chunked" in head.lower()
            wall.connected.set()
            buffer = b""
            while not stop.is_set():
                if chunked:
                    size = int((await reader.readline()).strip() or b"0", 16)
                    if size == 0:
                        raise ConnectionError("stream ended")
                    buffer += await reader.readexactly(size + 2)
                    buffer = buffer[:-2]
                else:
                    chunk = await reader.read(65536)
                    if not chunk:
                        raise ConnectionError("stream ended")
                    buffer += chunk
                events, buffer = parse_events(buffer)
                resync = False
                for event_id, kind, data in events:
                    if event_id is not None:
                        wall.last = event_id
                    if kind == b"checkin":
                        wall.ids.append(int(_CHECKIN_ID.search(data).group(1)))
                    elif kind == b"resync":
                        resync = True
                if resync:
                    wall.resyncs += 1
                    break
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            if stop.is_set():
                return
            wall.reconnects += 1
            await asyncio.sleep(1)
        finally:
            if writer is not None:
                writer.close()


async def main(url: str, token: str, n: int, out: str) -> None:
    parts = urlsplit(url)
    walls = [Wall() for _ in range(n)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(hold(w, parts.hostname, parts.port, token, stop)) for w in walls]
    await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in walls)), 120)
    print("ready", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    want = set(json.loads(line or "[]"))
    deadline = time.monotonic() + float(os.environ.get("LOAD_DRAIN_S", "60"))
    while time.monotonic() < deadline and not all(want <= set(w.ids) for w in walls):
        await asyncio.sleep(0.5)
    stop.set()
    for t in tasks:
        t.cancel()
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"walls": [{"ids": w.ids, "reconnects": w.reconnects, "resyncs": w.resyncs} for w in walls]}, f)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
