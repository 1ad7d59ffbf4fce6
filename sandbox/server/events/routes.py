"""Route: GET /events — an SSE stream with a heartbeat so proxies and clients see it is alive."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from sandbox.server.deps import AGGREGATE_ROLES, Caller, allow

router = APIRouter(tags=["events"])
HEARTBEAT_S = 15.0


@router.get("/events", summary="实时事件流 (SSE)")
async def events(request: Request, _: Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]) -> StreamingResponse:
    bus = request.app.state.events
    queue = bus.subscribe()

    async def stream():
        try:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                try:
                    yield await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except asyncio.TimeoutError:
                    yield ": heartbeat\n\n"
        finally:
            bus.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
