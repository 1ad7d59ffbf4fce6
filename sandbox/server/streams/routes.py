"""Routes: GET /demo/streams/{id}.mjpeg (main stream) and /demo/streams/{id}/sub.mjpeg (sub-stream),
MJPEG over HTTP with a signed URL, and for admins
GET /demo/streams (feed states) and PUT /demo/streams/{id}/state (live / stalled / down)."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from sandbox.domain.enums import Role
from sandbox.server.bodylimit import read_json_model
from sandbox.server.deps import Caller, allow
from sandbox.server.streams.hub import DEMO_STREAM_PREFIX, CameraFeed, hub_of
from sandbox.store.models import Camera

router = APIRouter(prefix="/demo/streams", tags=["demo streams"])
Admin = Annotated[Caller, Depends(allow(Role.admin))]
BOUNDARY = "frame"
CameraId = Annotated[int, Path(ge=1, lt=2**62, description="摄像头编号")]


def _camera(app, camera_id: int) -> tuple[str, str | None] | None:
    with app.state.sessions() as session:
        cam = session.get(Camera, camera_id)
        if cam is None or not (cam.stream_url or "").startswith(DEMO_STREAM_PREFIX):
            return None
        return cam.name, cam.site


@router.get("/{camera_id}.mjpeg", summary="演示摄像头实时画面 (MJPEG, 签名地址)",
            response_class=StreamingResponse,
            responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}},
                       401: {"description": "缺少签名"}, 403: {"description": "签名无效或已过期"},
                       404: {"description": "没有该演示摄像头"}, 503: {"description": "摄像头信号中断"}})
async def stream(request: Request, camera_id: CameraId,
                 exp: Annotated[int | None, Query(ge=0, lt=2**40, description="地址有效期 (unix 秒)")] = None,
                 sig: Annotated[str | None, Query(max_length=128, description="签名")] = None) -> StreamingResponse:
    return await _stream(request, camera_id, exp, sig, "main")


@router.get("/{camera_id}/sub.mjpeg", summary="演示摄像头子码流 (640×360, 供大屏分格画面; 签名同主码流)",
            response_class=StreamingResponse,
            responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}},
                       401: {"description": "缺少签名"}, 403: {"description": "签名无效或已过期"},
                       404: {"description": "没有该演示摄像头"}, 503: {"description": "摄像头信号中断"}})
async def sub_stream(request: Request, camera_id: CameraId,
                     exp: Annotated[int | None, Query(ge=0, lt=2**40, description="地址有效期 (unix 秒)")] = None,
                     sig: Annotated[str | None, Query(max_length=128, description="签名")] = None
                     ) -> StreamingResponse:
    return await _stream(request, camera_id, exp, sig, "sub")


async def _stream(request: Request, camera_id: int, exp: int | None, sig: str | None, profile: str
                  ) -> StreamingResponse:
    hub = hub_of(request.app)
    problem = hub.verify(camera_id, exp, sig)
    if problem is not None:
        raise HTTPException(401 if exp is None or not sig else 403, problem)
    found = await run_in_threadpool(_camera, request.app, camera_id)
    if found is None:
        raise HTTPException(404, f"没有编号为 {camera_id} 的演示摄像头")
    feed = hub.feed(camera_id, *found, profile=profile)
    if feed.state == "down":
        raise HTTPException(503, f"摄像头 {camera_id} 信号中断")
    return StreamingResponse(_frames(feed), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                             headers={"Cache-Control": "no-cache, no-store", "Pragma": "no-cache",
                                      "X-Accel-Buffering": "no"})


async def _frames(feed: CameraFeed):
    viewer = feed.subscribe()
    last = 0
    try:
        while True:
            await viewer.event.wait()
            viewer.event.clear()
            if feed.state == "down":
                return
            if feed.state != "live":
                continue  # stalled: the connection stays open and nothing comes
            seq, jpeg, t = feed.latest()
            if jpeg is None or seq == last:
                continue
            last = seq
            yield (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n"
                   f"X-Timestamp: {t:.3f}\r\nX-Frame: {seq}\r\n\r\n").encode() + jpeg + b"\r\n"
    finally:
        feed.unsubscribe(viewer)


class StateIn(BaseModel):
    state: Literal["live", "stalled", "down"]


@router.get("", summary="演示摄像头推流状态 (管理员)")
def streams_status(request: Request, _: Admin) -> dict:
    hub = hub_of(request.app)
    return {"fps": hub.fps, "size": list(hub.size), "sub_size": list(hub.sub_size), "url_ttl_s": hub.url_ttl_s, "now": time.time(),
            "feeds": hub.status()}


@router.put("/{camera_id}/state", summary="模拟摄像头故障: live 正常 / stalled 卡住不出画面 / down 断开 (管理员)",
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/json": {"schema": StateIn.model_json_schema()}}}})
async def set_stream_state(request: Request, camera_id: CameraId, _: Admin) -> dict:
    # The body is read here, after the token was checked: no body parameter, which FastAPI reads first.
    body = await read_json_model(request, StateIn)
    if await run_in_threadpool(_camera, request.app, camera_id) is None:
        raise HTTPException(404, f"没有编号为 {camera_id} 的演示摄像头")
    hub = hub_of(request.app)
    hub.set_state(camera_id, body.state)
    return {"camera_id": camera_id, "state": hub.state(camera_id)}
