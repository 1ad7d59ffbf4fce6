"""A check-in's rules, checked before it is stored: its time, its cadre and household (a 结对 in force that
year, in the token's region), its point inside the household's county; → the check-in to store."""

from __future__ import annotations

import datetime as dt

import numpy as np
from fastapi import HTTPException

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.domain.rules import haversine_m, is_effective_visit
from sandbox.geo.crs import gcj02_to_wgs84_xy
from sandbox.server.checkins.geofence import county_fence
from sandbox.server.checkins.schemas import CheckinIn
from sandbox.server.deps import Caller
from sandbox.store.checkins import NewCheckin, data_years, to_storage_time, visit_facts

__all__ = ["validate_checkin", "cadre_of", "CLOCK_SKEW", "LATE_SYNC"]

CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock may run this far ahead of the server's
LATE_SYNC = dt.timedelta(days=7)  # a phone offline this long may still upload; older: admins only


def validate_checkin(session, caller: Caller, data: CheckinIn, effective_m: float) -> tuple[NewCheckin, list[int]]:
    """The check-in to store, and the data years as read (for the store, which would read them again), or an
    HTTPException saying in Chinese which rule it breaks."""
    now = dt.datetime.now(dt.UTC)
    if data.at > now + CLOCK_SKEW:
        raise HTTPException(422, f"签到时间 {data.at.isoformat()} 晚于服务器当前时间, 不能签到未来的时间")
    if caller.role is Role.cadre and data.at < now - LATE_SYNC:
        raise HTTPException(422, f"签到时间 {data.at.isoformat()} 早于 {LATE_SYNC.days} 天前: 过期的补签须由管理员录入")
    years = data_years(session)
    at_local = to_storage_time(data.at)
    if years and at_local.year < years[0]:
        raise HTTPException(422, f"签到时间 {data.at.isoformat()} 早于建档立卡数据起始年份 {years[0]}")

    cadre_id = cadre_of(caller, data)
    cadre_known, household, assigned = visit_facts(session, cadre_id, data.household_id, at_local.year)
    if not cadre_known:
        if caller.role is Role.cadre:
            raise HTTPException(403, f"令牌所属的帮扶干部 {cadre_id} 不存在")
        raise HTTPException(422, f"帮扶干部 {cadre_id} 不存在")
    if household is None:
        raise HTTPException(422, f"目标贫困户 {data.household_id} 不存在")
    if caller.region is not None and not caller.region.contains(RegionCode(household.village_code)):
        raise HTTPException(403, f"令牌仅限 {caller.region.value} 辖区, 该户不在其中")

    lon, lat = data.point.lon, data.point.lat
    if data.point.crs == "GCJ-02":
        x, y = gcj02_to_wgs84_xy(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    fence = county_fence(session, household.village_code)  # the household's county: a province holds many
    if fence is None:
        raise HTTPException(503, "数据库中没有县界, 无法校验签到位置")
    if not fence.contains(lon, lat):
        raise HTTPException(422, f"签到坐标 ({data.point.lon}, {data.point.lat}, {data.point.crs}) 不在{fence.name}辖区内")

    if not assigned:
        why = f"贫困户 {household.id} 不是帮扶干部 {cadre_id} 在 {at_local.year} 年的结对帮扶户"
        raise HTTPException(403 if caller.role is Role.cadre else 422, why)

    distance = haversine_m(lon, lat, household.lon, household.lat)
    note = (data.note or "").strip() or None
    return NewCheckin(
        cadre_id=cadre_id, household_id=household.id, village_code=household.village_code, at=data.at,
        lon=lon, lat=lat, source_crs=data.point.crs, accuracy_m=data.accuracy_m, distance_m=distance,
        effective=is_effective_visit(distance, effective_m), note=note,
    ), years


def cadre_of(caller: Caller, data: CheckinIn) -> int:
    if caller.role is Role.cadre:
        if caller.cadre_id is None:
            raise HTTPException(403, "该帮扶干部令牌未关联干部编号 (令牌标签应为 cadre:<编号>)")
        if data.cadre_id is not None and data.cadre_id != caller.cadre_id:
            raise HTTPException(403, "帮扶干部令牌只能为本人签到")
        return caller.cadre_id
    if data.cadre_id is None:
        raise HTTPException(422, "管理员令牌代为签到时须提供 cadre_id")
    return data.cadre_id
