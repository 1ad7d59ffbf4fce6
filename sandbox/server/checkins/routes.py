"""Routes: GET /checkins?region=&since= (delegation tokens get points only, no people) and
POST /checkins (a cadre's check-in, validated, stored, announced on GET /events)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from sandbox.domain.enums import Role
from sandbox.domain.masking import coarse_point, person_view, visit_point
from sandbox.domain.regions import RegionCode
from sandbox.server.checkins.photos import decode_photos, remove_photos, save_photos
from sandbox.server.checkins.rules import validate_checkin
from sandbox.server.checkins.schemas import MAX_BODY_BYTES, BadCheckin, CheckinIn, parse_checkin
from sandbox.server.deps import AGGREGATE_ROLES, Caller, RegionDep, SessionDep, allow, in_thread, settings_of
from sandbox.server.timing import Phases
from sandbox.store.checkins import (
    CHINA_TZ,
    DuplicateCheckin,
    checkin_by_client_id,
    data_years,
    from_storage_time,
    month_visits,
    store_checkin,
    to_storage_time,
)
from sandbox.store.models import Cadre, Checkin, Household, Member, Region
from sandbox.store.queries import within

router = APIRouter(prefix="/checkins", tags=["checkins"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]
Poster = Annotated[Caller, Depends(allow(Role.cadre, Role.admin))]
LIMIT = 5000

log = logging.getLogger(__name__)


def _stored(t: dt.datetime | None, name: str) -> dt.datetime | None:
    """A query's time as stored (Beijing wall time, naive); a naive time is taken as Beijing time already."""
    try:
        return to_storage_time(t) if t is not None and t.tzinfo else t
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in Beijing
        raise HTTPException(422, f"{name} 超出可处理的时间范围: {t.isoformat()}") from None


@router.get("", summary="帮扶干部工作签到")
def list_checkins(session: SessionDep, caller: Reader, scope: RegionDep,
                  since: Annotated[dt.datetime | None, Query(description="起始时间 ISO-8601 (不带时区按北京时间)")] = None,
                  until: Annotated[dt.datetime | None, Query(description="截止时间 (不含) ISO-8601, 不带时区按北京时间")] = None
                  ) -> list[dict]:
    rc, _ = scope.load(session)
    lo, hi = _stored(since, "起始时间 since"), _stored(until, "截止时间 until")
    if lo is not None and hi is not None and lo >= hi:
        raise HTTPException(422, f"起始时间 since ({since.isoformat()}) 应早于截止时间 until ({until.isoformat()})")
    # Newest first, cut at LIMIT: the time index drives a time window (narrower than a town's codes,
    # whose range would be read and sorted whole).
    windowed = lo is not None or hi is not None
    q = select(Checkin, Cadre.name).join(Cadre, Cadre.id == Checkin.cadre_id) \
        .where(within(Checkin.village_code, rc, use_index=False if windowed else None, db=session))
    if lo is not None:
        q = q.where(Checkin.at >= lo)
    if hi is not None:  # a wall showing a past year asks for that whole year (it keeps the last 30 days)
        q = q.where(Checkin.at < hi)
    rows = session.execute(q.order_by(Checkin.at.desc()).limit(LIMIT)).all()
    view = person_view(caller.role)
    names = _names_in_notes(session, [(c.id, c.household_id, c.note) for c, _ in rows if c.note]) \
        if view.names != "full" else {}
    out = []
    for c, cadre_name in rows:
        # A visit's point is a poor household's doorstep: as precise as that role may know a home.
        lon, lat = visit_point(view, c.lon, c.lat)
        item = {"id": c.id, "at": c.at.isoformat(), "lon": lon, "lat": lat, "village_code": c.village_code,
                "effective": c.effective}
        if caller.role is not Role.delegation:
            note = view.text(c.note, (*names.get(c.id, ()), cadre_name))
            item.update(cadre_id=c.cadre_id, cadre=view.name(cadre_name), note=note, distance_m=c.distance_m,
                        source_crs=c.source_crs, **photo_verdict(c))
            if view.places == "full":  # a visit's exact point and whose home it was: the house's location
                item["household_id"] = c.household_id
        out.append(item)
    return out


_NAME_SEP = "\x1f"  # joins a household's member names in one value (a control character no name holds)


def _names_in_notes(session, rows: list[tuple[int, int | None, str]]) -> dict[int, list[str]]:
    """Per check-in (id, household id, note), the full names of its household (head, members) that its
    note contains: what a wall must not show. One row per household (head and members' names joined,
    by its primary key, per 1,000 households), matched here: the SQL join of every name against every
    note (LIKE per pair) it replaces cost as much again (bench/checkin_notes.py)."""
    households = sorted({h for _, h, _ in rows if h is not None})
    names: dict[int, set[str]] = {}
    for start in range(0, len(households), 1000):  # bounded IN lists
        chunk = households[start:start + 1000]
        q = (select(Household.id, Household.head_name, func.aggregate_strings(Member.name, _NAME_SEP))
             .outerjoin(Member, Member.household_id == Household.id)
             .where(Household.id.in_(chunk)).group_by(Household.id, Household.head_name))
        for household_id, head, members in session.execute(q):
            names[household_id] = {n for n in (head, *(members or "").split(_NAME_SEP)) if n}
    out: dict[int, list[str]] = {}
    for checkin_id, household_id, note in rows:
        present = [n for n in names.get(household_id, ()) if n in note]
        if present:
            out[checkin_id] = present
    return out


def _inline_schema(model) -> dict:
    """The model's JSON schema with its $defs inlined (it is placed inside the OpenAPI document)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.split("/")[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


_VISITS_DOC = """某月的走访情况, 按下级地区 (县 → 乡镇, 乡镇 → 村) 及合计, 直接由签到记录计算:
`targets` 应走访户, `visited` 其中当月有有效签到的户数, `visit_rate` = visited ÷ targets × 100,
`checkins` / `effective_checkins` 当月签到次数。

数据年份内 (如 2014-2020) 应走访户为当年末未脱贫/返贫且有在册结对的户 (即 月走访率 的口径,
`basis` = `poor_households`); 数据年份之后 (实时签到) 没有年度贫困状态, 应走访户为有在册结对的户
(`basis` = `assigned_households`)。`month` 缺省为本月 (北京时间)。
"""


@router.get("/visits", summary="月走访率 (按地区, 由签到记录实时计算)", description=_VISITS_DOC)
def visits(session: SessionDep, caller: Reader, scope: RegionDep,
           month: Annotated[str | None, Query(description="月份 YYYY-MM, 缺省为本月", pattern=r"^\d{4}-\d{2}$")] = None
           ) -> dict:
    rc, _ = scope.load(session)
    if month is None:
        now = dt.datetime.now(CHINA_TZ)
        y, m = now.year, now.month
    else:
        y, m = int(month[:4]), int(month[5:])
        if not (1 <= m <= 12 and 2000 <= y <= 2100):
            raise HTTPException(422, f"月份 {month} 无效, 应为 YYYY-MM")
    start = dt.datetime(y, m, 1)
    end = dt.datetime(y + (m == 12), m % 12 + 1, 1)
    poor_only = y in data_years(session)
    per_village = month_visits(session, rc.prefix, start, end, y, poor_only)
    child_digits = {"county": 9, "town": 12}.get(rc.level.value)
    groups: dict[str, dict[str, int]] = {}
    total = {"targets": 0, "visited": 0, "checkins": 0, "effective_checkins": 0}
    for vc, counts in per_village.items():
        for k, v in counts.items():
            total[k] += v
        if child_digits:
            g = groups.setdefault(vc[:child_digits].ljust(12, "0"), dict.fromkeys(total, 0))
            for k, v in counts.items():
                g[k] += v
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(list(groups)))).all())

    def out(counts: dict) -> dict:
        rate = round(counts["visited"] / counts["targets"] * 100, 2) if counts["targets"] else None
        return {**counts, "visit_rate": rate}

    return {"region": rc.value, "month": f"{y:04d}-{m:02d}",
            "basis": "poor_households" if poor_only else "assigned_households", "total": out(total),
            "children": [{"code": c, "name": names.get(c), **out(g)} for c, g in sorted(groups.items())]}


_POST_DOC = """帮扶干部签到 (帮扶干部令牌或管理员令牌)。

- `point`: 坐标及其坐标系 (WGS-84 或 GCJ-02); GCJ-02 在入库前换算为 WGS-84。须在本县辖区内。
- `at`: ISO-8601 且带时区; 不得晚于服务器时间 5 分钟以上; 帮扶干部令牌不得早于 7 天前
  (离线补传), 管理员令牌可补录至数据起始年份。
- `household_id`: 须为该干部当年在册的结对帮扶户 (帮扶干部令牌: 否则 403; 管理员代签: 否则 422)。
- `cadre_id`: 管理员令牌必填; 帮扶干部令牌取令牌标签 `cadre:<编号>` 所指干部, 可省略。
- `photos`: 至多 5 张 base64 JPEG/PNG, 每张 ≤ 2 MB、≤ 2000 万像素; 入库时去除 EXIF (含 GPS 位置),
  长边缩至 2000 像素以内。请求体合计不超过约 13 MB。无需旋转或缩小的 JPEG 在应答后解码校验:
  应答中 `photo_check` 为 `pending`, 校验后为 `ok`, 或 `bad` 并由 `photo_problem` 说明原因 (签到仍保留)。

距结对户不超过 `checkin_effective_m` (缺省 500 米) 为有效走访。数据年份 (如 2014-2020) 内的签到
在同一事务中刷新该村汇总, 月走访率随之变化; 之后的签到 (如实时签到) 不落入任何年度, 只作为
地图点和事件。成功后返回 201 与入库记录, 并在 `GET /events` 推送 `checkin` 事件 (不含个人信息);
落入数据年份时另推送 `facts` 事件 (该村该年的指标已变化)。

`client_id` (可选, UUID): 客户端为每次签到生成的编号。同一编号只入库一次; 重发时返回 200 与已入库的
记录 (`repeat`: true), 不再推送事件, 因此离线补传、超时重试都不会重复计数。
"""


@router.post("", status_code=201, summary="提交工作签到", description=_POST_DOC,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _inline_schema(CheckinIn)}}}},
             max_body_size=MAX_BODY_BYTES,
             responses={200: {"description": "该 client_id 已入库 (重发): 返回已入库的记录, repeat 为 true"},
                        201: {"description": "已入库的签到记录"}, 403: {"description": "无权为该户签到"},
                        409: {"description": "该 client_id 属于其他干部的签到"},
                        413: {"description": "请求体过大"}, 422: {"description": "签到无效, detail 说明原因"}})
async def post_checkin(request: Request, caller: Poster) -> JSONResponse:
    phases = Phases()
    body = await read_body(request)
    try:
        data = parse_checkin(body)
    except BadCheckin as exc:
        raise HTTPException(422, str(exc)) from None
    phases.lap("body")
    record, created = await accept_checkin(request.app, caller, data, phases)
    return JSONResponse(record, status_code=201 if created else 200, headers={"Server-Timing": phases.header()})


async def accept_checkin(app, caller: Caller, data: CheckinIn, phases: Phases | None = None) -> tuple[dict, bool]:
    """Validate, store and announce a check-in: (the record as stored, whether it is new). A repeat of
    a stored `client_id` (a phone's retry) is answered with the stored record and announced no more.
    `phases` gets the time of each step (the answer's Server-Timing header)."""
    phases = phases or Phases()
    record, event = await in_thread(_accept_and_announce, app, caller, data, phases)
    return record, event is not None


def _accept_and_announce(app, caller: Caller, data: CheckinIn, phases: Phases) -> tuple[dict, dict | None]:
    # In the thread that stored it: with several API workers publishing is a database write (the shared event
    # log), and a second trip through the pool would queue behind every other request's work.
    record, event = _accept(app, caller, data, phases)
    if event is not None:
        _announce(app.state.events, record, event)
        phases.lap("publish")
    return record, event


def _announce(bus, record: dict, event: dict) -> None:
    bus.publish("checkin", event)
    if record["counted_in_year"] is not None:  # a data year's figures moved: walls refetch them
        bus.publish("facts", {"region_code": record["village_code"], "year": record["counted_in_year"],
                              "reason": "checkin"})


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"请求体过大: 不超过 {MAX_BODY_BYTES // (1024 * 1024)} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(413, f"请求体过大: 不超过 {MAX_BODY_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _accept(app, caller: Caller, data: CheckinIn, phases: Phases) -> tuple[dict, dict | None]:
    phases.lap("queue")  # waiting for a thread of the pool
    settings = settings_of(app)
    client_id = str(data.client_id) if data.client_id is not None else None
    with app.state.sessions() as session:
        if client_id is not None:  # a retry: answered before any rule, which may have changed since
            stored = checkin_by_client_id(session, client_id)
            if stored is not None:
                return _repeat(session, caller, stored, settings), None
        new, years = validate_checkin(session, caller, data, settings.checkin_effective_m)
        new.client_id = client_id
        phases.lap("validate")
        try:  # a phone's upright JPEG is checked from its header and markers here, its pixels after the answer
            photos = decode_photos(data.photos, defer=True)
        except BadCheckin as exc:
            raise HTTPException(422, str(exc)) from None
        phases.lap("photo")
        photo_dir = settings.data_dir / "photos"
        new.photos = save_photos(photo_dir, photos)
        new.photo_hashes = [p.phash for p in photos if p.phash]
        new.photo_taken_at = next((p.taken_at for p in photos if p.taken_at is not None), None)
        new.photo_check = "pending" if any(p.pending for p in photos) else None
        phases.lap("save")
        try:
            row, counted = store_checkin(session, new, years)
        except DuplicateCheckin as dup:  # the same check-in raced in on another connection
            remove_photos(photo_dir, new.photos)
            return _repeat(session, caller, dup.row, settings), None
        except BaseException:
            remove_photos(photo_dir, new.photos)
            raise
    phases.lap("store")
    at = from_storage_time(row.at)
    record = _record(caller, row, settings, counted)
    record["source_point"] = {"lon": data.point.lon, "lat": data.point.lat, "crs": data.point.crs}
    village = RegionCode(row.village_code)
    # The event goes to every wall, whatever its role: the point as coarse as the least trusted one sees it.
    event_lon, event_lat = coarse_point(row.lon, row.lat)
    event = {"id": row.id, "at": at.isoformat(), "lon": event_lon, "lat": event_lat, "village_code": row.village_code,
             "town_code": village.parent.value if village.parent else None, "effective": row.effective,
             "counted_in_year": counted}
    if row.photo_check == "pending":  # after the record is made: it says pending, whenever the check ends
        app.state.photo_checks.submit(row.id, new.photos)
    return record, event


def _record(caller: Caller, row: Checkin, settings, counted: int | None) -> dict:
    return {
        "id": row.id, "cadre_id": row.cadre_id, "household_id": row.household_id, "village_code": row.village_code,
        "at": from_storage_time(row.at).isoformat(), "lon": row.lon, "lat": row.lat, "crs": "WGS-84",
        "source_crs": row.source_crs, "accuracy_m": row.accuracy_m, "distance_m": row.distance_m,
        "effective": row.effective, "effective_m": settings.checkin_effective_m,
        "note": person_view(caller.role).text(row.note), "photos": json.loads(row.photos or "[]"),
        "counted_in_year": counted, "client_id": row.client_id, **photo_verdict(row),
    }


def photo_verdict(row: Checkin) -> dict:
    """`photo_check`: "pending" until its photos' pixels are decoded (after the answer), then "ok", or "bad"
    with `photo_problem` saying why (what a 422 said when that decode ran in the request); None without photos."""
    check = row.photo_check or ("ok" if json.loads(row.photos or "[]") else None)
    return {"photo_check": check, "photo_problem": row.photo_problem}


def _repeat(session, caller: Caller, row: Checkin, settings) -> dict:
    """The stored check-in, answering a repeat of its client_id: only to whom it belongs."""
    if caller.role is Role.cadre and row.cadre_id != caller.cadre_id:
        raise HTTPException(409, "签到编号 client_id 已被其他干部的签到使用, 请重新生成")
    counted = row.at.year if row.at.year in data_years(session) else None
    return {**_record(caller, row, settings, counted), "repeat": True}
