"""What the live map layers draw (projects, fund chain, check-ins, visit rates, cameras) and how a worker fetches it."""

# Qt-free: runs on a worker thread; the GUI thread only applies the result. Only aggregates and
# points are kept: no household ID number ever lands here (the `display` token's answers are
# masked by the server, and the fields the layers keep are codes, amounts, points and counts).

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.client.gather import gather
from sandbox.domain.regions import InvalidRegionCode, RegionCode, RegionLevel
from sandbox.ratelog import RateLimitedLog

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient

__all__ = [
    "ProjectPoint", "CheckinPoint", "CameraPoint", "LayersData", "ProjectDetail", "fetch_layers", "fetch_project",
    "fetch_cameras", "fetch_camera", "markers_drawn",
    "checkin_window", "CHECKIN_DAYS", "STAGES", "FUND_STAGES", "ANOMALY_ZH",
]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)

CHECKIN_DAYS = 30
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
STAGES = (("pool", "项目库"), ("approved", "批复"), ("filed", "备案"), ("in_progress", "实施中"),
          ("accepted", "验收"), ("handed_over", "移交"))
FUND_STAGES = (("allocated", "下达"), ("arrived", "到位"), ("filed", "备案"), ("reimbursed", "报账"), ("paid", "支付"))
ANOMALY_ZH = {"overpaid": "支付超过到位资金", "idle": "到位资金闲置超过12个月", "paid_no_progress": "已支付但项目零进度"}


def _f(v: Any, default: float = 0.0) -> float:
    try:
        out = float(v)
    except (TypeError, ValueError):
        return default
    return out if out == out else default  # NaN → default


@dataclass(frozen=True)
class ProjectPoint:
    id: int
    name: str
    industry: str
    industry_zh: str
    region_code: str
    lon: float
    lat: float
    budget: float
    stage: str
    stage_zh: str
    progress: float
    beneficiaries: int = 0
    camera_ids: tuple[int, ...] = ()

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> ProjectPoint | None:
        try:
            lon, lat = float(d["lon"]), float(d["lat"])
            pid = int(d["id"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(pid, str(d.get("name") or f"项目 {pid}"), str(d.get("industry") or ""),
                   str(d.get("industry_zh") or d.get("industry") or "其他"), str(d.get("region_code") or ""),
                   lon, lat, _f(d.get("budget")), str(d.get("stage") or ""), str(d.get("stage_zh") or ""),
                   max(0.0, min(100.0, _f(d.get("progress")))), int(_f(d.get("beneficiary_households"))),
                   tuple(int(c) for c in d.get("camera_ids") or () if isinstance(c, int)))


@dataclass(frozen=True)
class CheckinPoint:
    id: int
    at: dt.datetime
    lon: float
    lat: float
    village_code: str
    effective: bool

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> CheckinPoint | None:
        """From GET /checkins or a `checkin` SSE event (only the point, time and village are kept)."""
        try:
            at = dt.datetime.fromisoformat(str(d["at"]))
            if at.tzinfo is None:
                at = at.replace(tzinfo=CHINA_TZ)  # the API's naive times are Beijing time
            return cls(int(d["id"]), at, float(d["lon"]), float(d["lat"]), str(d.get("village_code") or ""),
                       bool(d.get("effective", True)))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class CameraPoint:
    """Where a camera is and what the API last said of it (never its stream URL: that stays in the dict)."""

    id: int
    name: str
    site: str
    region_code: str
    lon: float
    lat: float
    status: str  # the API's: "online" / "offline"
    project_id: int | None = None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> CameraPoint | None:
        try:
            cid, lon, lat = int(d["id"]), float(d["lon"]), float(d["lat"])
        except (KeyError, TypeError, ValueError):
            return None
        if lon != lon or lat != lat:
            return None
        pid = d.get("project_id")
        return cls(cid, str(d.get("name") or f"摄像头 {cid}"), str(d.get("site") or ""), str(d.get("region_code") or ""),
                   lon, lat, str(d.get("status") or ""), pid if isinstance(pid, int) else None)


@dataclass
class LayersData:
    """Everything the three layers show for one region and year."""

    region: str
    year: int | None
    projects: list[ProjectPoint] = field(default_factory=list)
    chain: dict = field(default_factory=dict)  # GET /funds/chain
    checkins: list[CheckinPoint] = field(default_factory=list)
    visits: dict = field(default_factory=dict)  # GET /checkins/visits
    window: tuple[dt.datetime, dt.datetime] | None = None
    cameras: list[dict] = field(default_factory=list)  # GET /cameras (signed stream URLs: never shown)
    errors: dict[str, str] = field(default_factory=dict)  # part → Chinese message (that part is empty)

    def anomalies(self) -> list[dict]:
        return [a for a in self.chain.get("anomalies") or [] if isinstance(a, dict)]

    def anomalies_of_project(self, pid: int) -> list[dict]:
        return [a for a in self.anomalies() if a.get("project_id") == pid]

    def visit_rates(self) -> dict[str, dict]:
        """child code → {visit_rate, visited, targets}."""
        return {str(c.get("code")): c for c in self.visits.get("children") or [] if isinstance(c, dict)}

    def add_checkin(self, c: CheckinPoint) -> bool:
        if any(x.id == c.id for x in self.checkins):
            return False
        self.checkins.append(c)
        return True


@dataclass
class ProjectDetail:
    """A project's card: GET /projects/{id}, its fund chain and its cameras."""

    project: dict
    chain: dict | None
    cameras: list[dict]
    errors: dict[str, str] = field(default_factory=dict)


def checkin_window(year: int | None, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """What the check-in layer asks for: the last 30 days up to now, or the whole of a past year on
    screen (fetch_layers then keeps the 30 days up to the end of that year's last month of check-ins)."""
    now = now or dt.datetime.now(CHINA_TZ)
    if year is not None and year < now.year:
        return dt.datetime(year, 1, 1, tzinfo=CHINA_TZ), dt.datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
    return now - dt.timedelta(days=CHECKIN_DAYS), now


def _month_end(t: dt.datetime) -> dt.datetime:
    """The start of the month after `t`'s (in Beijing time)."""
    t = t.astimezone(CHINA_TZ)
    return dt.datetime(t.year + (t.month == 12), t.month % 12 + 1, 1, tzinfo=CHINA_TZ)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(CHINA_TZ).replace(tzinfo=None).isoformat(timespec="seconds")


def _part(errors: dict, name: str, call, default):
    """One call of the layer fetch: a failure empties that part only (the other layers still draw)."""
    from sandbox.client.api import ApiError, ApiUnavailable
    from sandbox.ui.loader import describe_error

    try:
        return call()
    except ApiError as exc:
        if isinstance(exc, ApiUnavailable):  # every refresh of a lasting outage: once per 10 minutes
            _quiet.warning(f"layer {name}", "layer data %s failed: %s", name, exc)
        else:
            log.warning("layer data %s failed: %s", name, exc)
        errors[name] = describe_error(exc)
        return default


def _points(raw: Any, kind) -> list:
    return [p for p in (kind.from_api(d) for d in raw if isinstance(d, dict)) if p is not None] \
        if isinstance(raw, list) else []


def fetch_layers(client: ApiClient, region: str, year: int | None, now: dt.datetime | None = None) -> LayersData:
    """The blocking part (worker thread): projects, fund chain, 30 days of check-ins, month visit rates
    and cameras, asked for at the same time (one round trip, not five in a row). A province's or a
    prefecture's map draws the fund chain alone: only that is asked for there."""
    out = LayersData(region, year)
    errors = out.errors
    if not markers_drawn(region):
        # Projects, check-ins (and their visit rates) and cameras are a marker each, not drawn above a county
        # (Overlay.above_county): hundreds of counties' worth of them would be fetched for nothing.
        out.chain = _part(errors, "funds", lambda: client.funds_chain(region, through=year), {})
        out.chain = out.chain if isinstance(out.chain, dict) else {}
        return out
    start, end = out.window = checkin_window(year, now)
    past = end - start > dt.timedelta(days=CHECKIN_DAYS)
    calls = {
        "projects": lambda: _part(errors, "projects", lambda: client.projects(region, year), []),
        "funds": lambda: _part(errors, "funds", lambda: client.funds_chain(region, through=year), {}),
        "checkins": lambda: _part(errors, "checkins",
                                  lambda: client.checkins(region, since=_iso(start), until=_iso(end)), []),
        "cameras": lambda: _part(errors, "cameras", lambda: fetch_cameras(client, region), []),
    }
    if not past:  # the month of the visit rates is known before the check-ins arrive: ask with them
        month = _month_of(end)
        calls["visits"] = lambda: _part(errors, "visits", lambda: client.checkin_visits(region, month), {})
    got = dict(zip(calls, gather(*calls.values())))
    out.projects = _points(got["projects"], ProjectPoint)
    out.chain = got["funds"] if isinstance(got["funds"], dict) else {}
    out.checkins = _points(got["checkins"], CheckinPoint)
    out.cameras = got["cameras"]
    if past:
        # A past year: its last 30 days of check-ins, which end where its check-ins end (the month the
        # KPI's 月走访率 is for), not on 31 December (a year whose visits stop in November showed 0).
        end = _month_end(max(c.at for c in out.checkins)) if out.checkins else end
        start = end - dt.timedelta(days=CHECKIN_DAYS)
        out.window = (start, end)
        out.checkins = [c for c in out.checkins if start <= c.at < end]
        month = _month_of(end)
        got["visits"] = _part(errors, "visits", lambda: client.checkin_visits(region, month), {})
    out.visits = got["visits"] if isinstance(got["visits"], dict) else {}
    return out


def markers_drawn(region: str) -> bool:
    """Whether the map of `region` draws a marker per project, check-in and camera: a county's and below."""
    try:
        level = RegionCode.parse(region).level
    except InvalidRegionCode:
        return True  # not ours to judge: the API answers a bad code with its own message
    return level not in (RegionLevel.province, RegionLevel.prefecture)


def _month_of(end: dt.datetime) -> str:
    """The month (YYYY-MM) a check-in window ending at `end` (exclusive) ends in."""
    return (end - dt.timedelta(seconds=1)).strftime("%Y-%m")


def fetch_cameras(client: ApiClient, region: str | None = None) -> list[dict]:
    """GET /cameras (worker thread): the region's cameras, or every camera the caller may see; only dicts with an id."""
    raw = client.cameras(region)
    return [dict(c) for c in raw if isinstance(c, dict) and isinstance(c.get("id"), int)] if isinstance(raw, list) else []


def fetch_camera(client: ApiClient, camera_id: int) -> dict | None:
    """One camera by id (worker thread), None if the API has no such camera (a tour's stale id)."""
    return next((c for c in fetch_cameras(client) if c.get("id") == camera_id), None)


def fetch_project(client: ApiClient, project_id: int, year: int | None = None) -> ProjectDetail:
    """A project's card (worker thread): details with progress history and beneficiaries, the fund
    chain of this one project, its cameras."""
    errors: dict[str, str] = {}
    project = client.project(project_id, year)  # stage and progress as of the year on screen
    region = str(project.get("region_code") or "")
    chain, cams = gather(
        lambda: _part(errors, "funds", lambda: client.funds_chain(region, through=year, project=project_id), None),
        lambda: _part(errors, "cameras", lambda: client.cameras(region), []))
    cams = [c for c in cams if isinstance(c, dict) and c.get("project_id") == project_id] if isinstance(cams, list) else []
    return ProjectDetail(project, chain if isinstance(chain, dict) else None, cams, errors)
