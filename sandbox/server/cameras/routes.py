"""Routes: GET /cameras?region= — demo stream URLs come back signed (short-lived).

A demo camera's `stream_url` is stored relative (`/api/v1/demo/streams/{id}.mjpeg`); the answer
adds `exp` and `sig` (see sandbox.server.core.signing), with `stream_expires_at` (ISO-8601) so a
client knows when to fetch a fresh one. A relative URL is made absolute against the configured
`public_base_url` (SANDBOX_PUBLIC_BASE_URL), never against the request's Host header (which any
client can set); without that setting it stays relative and the client resolves it against the
API address it called. Real cameras' absolute URLs are passed through as stored. `status` is
`offline` while a demo feed is switched `down`. Without `region`, a region-limited token gets
its own region's cameras.
`sub_stream_url` is the camera's sub-stream (tiles play it, full screen plays `stream_url`), signed
alike for a demo camera; null when the platform has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from sandbox.domain.masking import person_view
from sandbox.server.core.demo_streams import DEMO_STREAM_PREFIX, demo_streams_of
from sandbox.server.deps import AGGREGATE_ROLES, Caller, OptionalRegionDep, SessionDep, allow, settings_of
from sandbox.store.models import Camera
from sandbox.store.queries import within

router = APIRouter(prefix="/cameras", tags=["cameras"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


@router.get("", summary="项目点摄像头")
def list_cameras(request: Request, session: SessionDep, caller: Reader, scope: OptionalRegionDep) -> list[dict]:
    q = select(Camera).order_by(Camera.id)
    if scope.code is not None:
        rc, _ = scope.load(session)
        q = q.where(within(Camera.region_code, rc, db=session))
    base = (settings_of(request.app).public_base_url or "").rstrip("/")
    streams = demo_streams_of(request.app)
    view = person_view(caller.role)
    out = []
    for c in session.scalars(q):
        item = {"id": c.id, "name": view.text(c.name), "site": view.text(c.site), "project_id": c.project_id,
                "region_code": c.region_code,
                "lon": c.lon, "lat": c.lat, "status": c.status, "stream_url": c.stream_url, "stream_expires_at": None,
                "sub_stream_url": c.sub_stream_url, "demo": False}
        if c.stream_url.startswith(DEMO_STREAM_PREFIX):
            query, exp = streams.signer.signed_query(c.id)
            item.update(stream_url=f"{base}{c.stream_url}?{query}", demo=True,
                        sub_stream_url=f"{base}{DEMO_STREAM_PREFIX}{c.id}/sub.mjpeg?{query}",
                        stream_expires_at=dt.datetime.fromtimestamp(exp, dt.UTC).isoformat())
            if streams.state(c.id) == "down":
                item["status"] = "offline"
        elif c.stream_url.startswith("/"):
            item["stream_url"] = base + c.stream_url
        if (item["sub_stream_url"] or "").startswith("/"):  # a real camera's relative sub-stream
            item["sub_stream_url"] = base + item["sub_stream_url"]
        out.append(item)
    return out
