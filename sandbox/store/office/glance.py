"""Data at a glance: per data source its rows, as-of date, last import and by whom, and what the wall lacks without it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.domain.indicators import REGISTRY
from sandbox.store import models as m
from sandbox.store.office.uploads import last_imports

__all__ = ["Source", "data_sources"]

_LABEL = {i.key: i.label_zh for i in REGISTRY}


@dataclass(frozen=True)
class Source:
    key: str
    name: str  # 区划边界, 建档立卡户 …
    rows: int
    as_of: str | None
    last_import: str | None  # "2026-12-06 15:02 · 张三 (控制台)" or "命令行/演示数据"
    missing: tuple[str, ...]  # what the wall shows as 无数据 while this source is empty
    load_with: str  # how to load it: a console upload, or the command that does

    @property
    def empty(self) -> bool:
        return self.rows == 0


def _count(session: Session, model, *where) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _labels(*keys: str) -> tuple[str, ...]:
    return tuple(_LABEL.get(k, k) for k in keys)


_BEIJING = dt.timezone(dt.timedelta(hours=8))


def _beijing(at: dt.datetime) -> str:
    """A stored time as a clerk reads it: naive values are UTC (the console's), aware ones say their zone (meta's)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M")


def _stamp(text: str | None) -> str | None:
    """A meta time stamp (ISO, with its offset) in Beijing time; a bare date as it is."""
    if not text:
        return None
    if len(text) == 10:
        return text
    try:
        return _beijing(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


def data_sources(session: Session) -> list[Source]:
    meta = dict(session.execute(select(m.Meta.key, m.Meta.value)).all())
    demo = meta.get("demo") == "true"
    jobs = last_imports(session)
    upload = "控制台 → 数据导入"

    def last(kinds: str, fallback: str | None) -> str | None:
        done = [jobs[k] for k in kinds.split() if k in jobs]
        job = max(done, key=lambda j: j.finished_at, default=None)
        if job is not None:
            return f"{_beijing(job.finished_at)} · {job.confirmed_by or job.uploaded_by} (控制台上传 {job.filename})"
        return fallback

    cli = "演示数据 (sandbox demo build)" if demo else (
        f"{_stamp(meta['imported_at'])} · 命令行导入" if meta.get("imported_at") else None)
    built = "演示数据 (sandbox demo build)" if demo else (
        f"{_stamp(meta['built_at'])} · 命令行导入" if meta.get("built_at") else None)
    as_of = _stamp(meta.get("data_as_of"))
    latest_checkin = session.scalar(select(func.max(m.Checkin.at)))
    year = session.scalar(select(func.max(m.HouseholdYear.year)))
    surveyed = _count(session, m.HouseholdYear, m.HouseholdYear.year == year,
                      m.HouseholdYear.survey_satisfied.is_not(None)) if year else 0
    return [
        Source("boundaries", "区划与边界", _count(session, m.Region), None, last("boundaries", built),
               ("整张地图", "乡镇、村的名称与下钻"), upload + " (边界文件)"),
        Source("households", "建档立卡户", _count(session, m.Household), as_of,
               last("households", cli),
               _labels("poverty_incidence", "poor_population", "poor_households", "exited_population", "relapse_rate",
                       "income_ok_rate", "housing_safe_rate", "water_safe_rate", "medical_ok_rate"),
               upload + " (建档立卡登记表)"),
        Source("members", "家庭成员", _count(session, m.Member), as_of, last("households", cli),
               ("户详情中的家庭成员", "义务教育、医疗的成员核对"), upload + " (登记表的 家庭成员 工作表)"),
        Source("populations", "农村户籍人口", _count(session, m.RegionPopulation), None, last("households villages", cli),
               _labels("poverty_incidence"), upload + " (村级数据表)"),
        Source("surveys", "群众满意度调查", surveyed, str(year) if surveyed else None, last("households", cli),
               _labels("satisfaction_rate"), upload + " (登记表的 满意度 列)"),
        Source("cadres", "帮扶干部", _count(session, m.Cadre), None, "演示数据" if demo else None,
               _labels("help_coverage", "cadres", "helpers") + ("干部签到图层",), "干部花名册导入尚未提供 (待接入)"),
        Source("assignments", "结对帮扶", _count(session, m.Assignment), None, "演示数据" if demo else None,
               _labels("help_coverage"), "结对关系导入尚未提供 (待接入)"),
        Source("checkins", "工作签到", _count(session, m.Checkin),
               _beijing(latest_checkin) if latest_checkin else None, "手机端实时上报" if not demo else "演示数据",
               _labels("visit_rate") + ("签到动态",), "帮扶干部手机端 (/m/)"),
        Source("projects", "产业项目", _count(session, m.Project), None, "演示数据" if demo else None,
               _labels("project_start_rate") + ("项目图层",), "待接入项目库"),
        Source("funds", "扶贫资金", _count(session, m.FundAllocation), None, "演示数据" if demo else None,
               _labels("fund_arrival_rate", "fund_spend_rate") + ("资金流向",), "待接入资金监管系统"),
        Source("cameras", "项目摄像头", _count(session, m.Camera), None, "演示数据" if demo else None,
               ("摄像头画面",), "待接入视频平台"),
        Source("poverty_lines", "贫困线标准", _count(session, m.PovertyLine), None, built,
               _labels("income_ok_rate"), "随登记表导入自动补充"),
    ]
