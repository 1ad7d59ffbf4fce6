"""Route: GET /events — Server-Sent Events with ids, a heartbeat, and resume by `Last-Event-ID`.

Events: `checkin` (a new cadre check-in: id, point to 0.01°, time, village and town codes, effective,
counted_in_year; no personal data), `facts` (a data year's figures of a region changed: refetch
them), `duty` (a new 督办 item: kind, id, region_code, title, at; a delegation token gets no
title), `resync` (the client missed events it cannot get back: refetch what it shows). A comment
line `: heartbeat` comes every 15 s when nothing else does, so proxies keep the stream open and
clients can tell a dead connection from a quiet county. Ids are integers that grow across server
restarts; reconnect with `Last-Event-ID` (or `?last_event_id=`) to get the events missed.

Each subscriber gets the events of its token's region only (an event's region: its `village_code`,
else `region_code`, else `town_code`; a `facts` event of a region above the token's is sent too: the
token's figures are part of it; an event without a region reaches a region-limited token only when
its type is one of GLOBAL_EVENTS), and any free-text field scrubbed for its role
(sandbox.domain.masking). A stream
whose token is revoked or expires ends at its next heartbeat.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from sandbox.domain.masking import person_view, scrub_fields
from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.server.deps import AGGREGATE_ROLES, Caller, allow, still_authorised
from sandbox.server.events.bus import Render, format_event

router = APIRouter(tags=["events"])
HEARTBEAT_S = 15.0
RETRY_MS = 3000  # how long EventSource clients wait before reconnecting


# Events that belong to no region and go to every subscriber: anything else without a region is not
# known to be a limited token's and is held back from it (a new event type must choose).
GLOBAL_EVENTS = frozenset({"resync", "ping", "heartbeat"})
_REGION_KEYS = ("village_code", "region_code", "town_code")  # the most precise first


def event_region(data: dict) -> str | None:
    """An event's region code: its village's, else its region's, else its town's; None without one."""
    for key in _REGION_KEYS:
        code = data.get(key)
        if isinstance(code, str) and code:
            return code
    return None


def render_for(caller: Caller) -> Render:
    """How `caller` sees an event: only its region's, free text scrubbed for its role."""
    view = person_view(caller.role)

    def render(event_id: int | None, kind: str, data: dict) -> str | None:
        if caller.region is not None:
            code = event_region(data)
            if code is None:
                if kind not in GLOBAL_EVENTS:
                    return None  # a regional event without its region, or a type nobody classed
            elif not (caller.may_see(code) or (kind == "facts" and _contains(code, caller.region.value))):
                return None
        if kind == "duty" and not view.records:
            # 督办 events name a complaint, a finding, a household: a delegation's wall counts, never reads
            data = {k: v for k, v in data.items() if k not in _DUTY_TEXT}
        return format_event(event_id, kind, scrub_fields(data, view))

    return render


_DUTY_TEXT = frozenset({"title", "text", "note", "name", "household", "subject"})


def _contains(outer: str, inner: str) -> bool:
    try:
        return RegionCode.parse(outer).contains(RegionCode.parse(inner))
    except InvalidRegionCode:
        return False


def _event_id(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


@router.get("/events", summary="实时事件流 (SSE)", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "事件: checkin (新签到), facts (某地某年指标已变化), resync (请重新拉取数据); 心跳为注释行"}})
async def events(request: Request, caller: Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))],
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", include_in_schema=True,
                                                             description="断线重连时最后收到的事件 id")] = None,
                 since_id: Annotated[str | None, Query(alias="last_event_id",
                                                       description="同 Last-Event-ID (无法设置请求头的客户端用)")] = None
                 ) -> StreamingResponse:
    bus = request.app.state.events
    heartbeat = float(getattr(request.app.state, "sse_heartbeat_s", HEARTBEAT_S))
    queue = bus.subscribe(_event_id(last_event_id) if last_event_id is not None else _event_id(since_id),
                          render_for(caller))

    async def stream():
        try:
            yield f"retry: {RETRY_MS}\n: connected, last id {bus.last_id}, worker {os.getpid()}\n\n"
            checked = time.monotonic()
            while not await request.is_disconnected():
                if time.monotonic() - checked >= heartbeat:
                    if not await still_authorised(request):
                        break  # revoked or expired while streaming: the reconnect gets its 401
                    checked = time.monotonic()
                try:
                    yield await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    yield ": heartbeat\n\n"
        finally:
            bus.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
