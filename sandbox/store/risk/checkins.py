"""The check-in rules (挂名帮扶、代办帮扶): one photo reused across visits, a cadre faster than a car between
check-ins, many "visits" from one spot, a photo taken far from the check-in's time."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from sandbox.domain.rules import EARTH_RADIUS_M
from sandbox.store.models import Cadre, Checkin
from sandbox.store.risk.hits import Evidence, Hit
from sandbox.store.risk.photo_marks import hash_distance
from sandbox.store.risk.rules import Thresholds, rule

__all__ = ["reused_photo", "too_fast", "one_spot", "exif_time"]

SOURCE = "走访签到"
_CHUNK = 100_000
_BANDS = 8  # a 64-bit hash in 8 bytes: two hashes within 7 bits share at least one byte (pigeonhole)


@dataclass(frozen=True)
class Visit:
    id: int
    cadre_id: int
    household_id: int
    village: str
    at: dt.datetime
    lon: float
    lat: float

    def evidence(self, **extra: str) -> Evidence:
        fields = {"签到编号": str(self.id), "干部编号": str(self.cadre_id), "贫困户编号": str(self.household_id),
                  "时间": self.at.isoformat(sep=" ", timespec="minutes"), "位置": f"{self.lon:.5f}, {self.lat:.5f}"}
        fields.update(extra)
        return Evidence(SOURCE, f"签到 {self.id}", fields)


def _visit(r) -> Visit:
    return Visit(r.id, r.cadre_id, r.household_id, r.village_code, r.at, float(r.lon), float(r.lat))


_COLS = (Checkin.id, Checkin.cadre_id, Checkin.household_id, Checkin.village_code, Checkin.at, Checkin.lon, Checkin.lat)


@rule("checkins.reused_photo", "同一照片重复用于多次走访")
def reused_photo(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "checkins.reused_photo"
    most = int(t.value(rid, "max_hash_distance"))
    if most >= _BANDS:
        raise ValueError(f"阈值 {rid}.max_hash_distance 须小于 {_BANDS}")
    score = float(t.value(rid, "score"))
    rows = session.execute(select(*_COLS, Checkin.photo_hashes).where(Checkin.photo_hashes.is_not(None))
                           .order_by(Checkin.at, Checkin.id)).all()
    seen: list[tuple[Visit, str]] = []  # (visit, hash) in time order
    buckets: dict[tuple[int, str], list[int]] = defaultdict(list)  # (band, its two hex digits) → indexes in seen
    for r in rows:
        try:
            hashes = [h for h in json.loads(r.photo_hashes or "[]") if isinstance(h, str) and len(h) == 16]
        except ValueError:
            continue
        v = _visit(r)
        match: tuple[Visit, str, str, int] | None = None
        for h in hashes:
            candidates = {i for b in range(_BANDS) for i in buckets.get((b, h[2 * b:2 * b + 2]), ())}
            for i in sorted(candidates):
                earlier, eh = seen[i]
                if earlier.id == v.id:
                    continue
                d = hash_distance(h, eh)
                if d <= most and (match is None or d < match[3]):
                    match = (earlier, eh, h, d)
        if match is not None:
            earlier, eh, h, d = match
            same = "完全相同" if d == 0 else f"仅差 {d} 位(阈值 {most})"
            yield Hit(rid, "checkin", str(v.id), v.village,
                      f"签到 {v.id} 的照片与 {earlier.at:%Y-%m-%d} 签到 {earlier.id} 的照片感知哈希{same}:"
                      "同一张照片用于两次走访, 需核实是否真实入户。",
                      (v.evidence(照片哈希=h), earlier.evidence(照片哈希=eh)), score)
        for h in hashes:
            seen.append((v, h))
            for b in range(_BANDS):
                buckets[(b, h[2 * b:2 * b + 2])].append(len(seen) - 1)


def _arrays(session: Session, where=()) -> dict[str, np.ndarray]:
    """Every check-in's id, cadre, household, time (s), lon, lat as arrays, read in chunks (millions at scale)."""
    # the time as text: numpy parses it in bulk, far faster than the driver's datetime a row
    q = select(Checkin.id, Checkin.cadre_id, Checkin.household_id, cast(Checkin.at, String), Checkin.lon,
               Checkin.lat).where(*where)
    parts: list[list] = [[], [], [], [], [], []]
    # Core, not session.execute: the ORM wraps every row (≈ 40 % of the rule's time over millions of check-ins)
    result = session.connection().execute(q.execution_options(yield_per=_CHUNK))
    for chunk in result.partitions(_CHUNK):
        cols = list(zip(*chunk))
        for k in range(6):
            parts[k].append(np.array([v[:19] for v in cols[k]], dtype="datetime64[s]") if k == 3 else np.array(cols[k]))
    keys = ("id", "cadre", "household", "at", "lon", "lat")
    if not parts[0]:
        return {k: np.array([], dtype="datetime64[s]" if k == "at" else float) for k in keys}
    out = {k: np.concatenate(v) for k, v in zip(keys, parts)}
    out["at"] = out["at"].astype("int64")
    for k in ("id", "cadre", "household"):
        out[k] = out[k].astype(np.int64)
    out["lon"], out["lat"] = out["lon"].astype(float), out["lat"].astype(float)
    return out


def _haversine(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _visits(session: Session, ids: Iterable[int]) -> dict[int, Visit]:
    wanted = sorted({int(i) for i in ids})
    out: dict[int, Visit] = {}
    for i in range(0, len(wanted), 500):
        for r in session.execute(select(*_COLS).where(Checkin.id.in_(wanted[i:i + 500]))):
            out[r.id] = _visit(r)
    return out


@rule("checkins.too_fast", "签到间移动速度不可能")
def too_fast(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "checkins.too_fast"
    limit = float(t.value(rid, "max_speed_kmh"))
    least = float(t.value(rid, "min_distance_km")) * 1000
    score = float(t.value(rid, "score"))
    a = _arrays(session)
    if len(a["id"]) < 2:
        return
    order = np.lexsort((a["id"], a["at"], a["cadre"]))  # per cadre, in time order
    cadre, at, lon, lat, ids = (a[k][order] for k in ("cadre", "at", "lon", "lat", "id"))
    same = cadre[1:] == cadre[:-1]
    metres = _haversine(lon[:-1], lat[:-1], lon[1:], lat[1:])
    seconds = np.maximum(at[1:] - at[:-1], 1).astype(float)
    kmh = metres / 1000 / (seconds / 3600)
    flagged = np.flatnonzero(same & (metres >= least) & (kmh > limit))
    if not len(flagged):
        return
    rows = _visits(session, np.r_[ids[flagged], ids[flagged + 1]])
    for k in flagged.tolist():
        prev, v = rows[int(ids[k])], rows[int(ids[k + 1])]
        km, minutes, speed = metres[k] / 1000, (at[k + 1] - at[k]) / 60, kmh[k]
        yield Hit(rid, "checkin", str(v.id), v.village,
                  f"干部 {v.cadre_id} 在 {minutes:.0f} 分钟内从签到 {prev.id} 的位置到了 {km:.1f} 公里外签到 {v.id},"
                  f"折合 {speed:,.0f} 公里/小时, 超过 {limit:.0f} 公里/小时: 需核实是否代签或虚拟定位。",
                  (prev.evidence(), v.evidence(速度=f"{speed:,.0f} 公里/小时")), score)


@rule("checkins.one_spot", "多次走访签到于同一地点")
def one_spot(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "checkins.one_spot"
    cell_m = float(t.value(rid, "cell_m"))
    least_households = int(t.value(rid, "min_households"))
    least_visits = int(t.value(rid, "min_visits"))
    score = float(t.value(rid, "score"))
    a = _arrays(session)
    if not len(a["id"]):
        return
    # Four grids of `cell_m` squares, shifted by half a cell: visits within half a cell of one another always
    # share a square of one of them. Metres east scaled at each visit's latitude.
    y = a["lat"] * 111_320.0
    x = a["lon"] * 111_320.0 * np.cos(np.radians(a["lat"]))
    best: dict[int, np.ndarray] = {}
    for dx, dy in ((0, 0), (.5, 0), (0, .5), (.5, .5)):
        cx = np.floor(x / cell_m + dx).astype(np.int64)
        cy = np.floor(y / cell_m + dy).astype(np.int64)
        cx, cy = cx - cx.min(), cy - cy.min()
        keys = (a["cadre"] * (int(cx.max()) + 1) + cx) * (int(cy.max()) + 1) + cy  # one int64 per (cadre, square)
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        by_group = np.argsort(inverse, kind="stable")
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        for g in np.flatnonzero(counts >= least_visits).tolist():
            members = by_group[starts[g]:starts[g] + counts[g]]
            if len(np.unique(a["household"][members])) < least_households:
                continue
            cadre_id = int(a["cadre"][members[0]])
            if cadre_id not in best or len(members) > len(best[cadre_id]):
                best[cadre_id] = members
    if not best:
        return
    regions = dict(session.execute(select(Cadre.id, Cadre.region_code).where(Cadre.id.in_(sorted(best)))).all())
    for cadre_id, members in sorted(best.items()):
        visits = sorted(_visits(session, a["id"][members]).values(), key=lambda w: (w.at, w.id))
        homes = {w.household_id for w in visits}
        c = visits[0]
        yield Hit(rid, "cadre", str(cadre_id), regions.get(cadre_id, c.village),
                  f"干部 {cadre_id} 有 {len(visits)} 次对 {len(homes)} 户的走访签到都在同一个 {cell_m:.0f} 米见方的地点"
                  f"({c.lon:.5f}, {c.lat:.5f} 附近): 入户走访应在各户家中, 需核实是否在办公室等处集中签到。",
                  tuple(w.evidence() for w in visits[:20]), score)


@rule("checkins.exif_time", "照片拍摄时间与签到时间不符")
def exif_time(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "checkins.exif_time"
    hours = float(t.value(rid, "max_hours"))
    score = float(t.value(rid, "score"))
    q = select(*_COLS, Checkin.photo_taken_at).where(Checkin.photo_taken_at.is_not(None)).order_by(Checkin.id)
    for r in session.execute(q):
        v = _visit(r)
        gap = abs((v.at - r.photo_taken_at).total_seconds()) / 3600
        if gap > hours:
            when = f"{gap / 24:.0f} 天" if gap >= 48 else f"{gap:.0f} 小时"
            yield Hit(rid, "checkin", str(v.id), v.village,
                      f"签到 {v.id} 的照片拍摄于 {r.photo_taken_at:%Y-%m-%d %H:%M}(照片 EXIF), 与签到时间 {v.at:%Y-%m-%d %H:%M}"
                      f"相差 {when}, 超过 {hours:.0f} 小时: 需核实是否用旧照片签到。",
                      (v.evidence(拍摄时间=r.photo_taken_at.isoformat(sep=" ", timespec="minutes")),), score)
