"""The demo county's complaints (2017–2020, each month, answered; and a few of the weeks before the day of
the build, some still open and overdue) and its satisfaction call-backs, whose answers are the survey answers
the demo's 群众认可度 has always shown."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from sandbox.domain.complaints import CallOutcome, ComplaintCategory, ComplaintStatus, Satisfaction, add_working_days
from sandbox.domain.complaints import reply_deadline as deadline_of
from sandbox.store.models import Complaint, Region

__all__ = ["build_complaints", "build_callbacks"]

_REF = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# (category, weight, what people write, what the town answers)
_KINDS = (
    (ComplaintCategory.help, 5, "帮扶干部很少来, 今年只来过一次, 帮扶措施没有落实到户。",
     "经核实, 帮扶责任人走访次数不足, 已约谈并调整走访计划, 每月至少入户一次。"),
    (ComplaintCategory.identification, 3, "村里有家庭条件好的户被评为贫困户, 评议过程不公开。",
     "经镇村两级核查, 该户识别程序符合规定; 已在村务公开栏补充公示评议结果。"),
    (ComplaintCategory.policy, 4, "孩子上学的教育资助一直没有到账, 去问了几次都说在办。",
     "经核查, 因银行账号有误未能到账, 已更正并于本月补发到位。"),
    (ComplaintCategory.funds, 3, "产业项目的分红比说好的少, 也没有公示分红明细。",
     "经核查, 分红按合作社章程足额发放, 已补充张贴分红明细, 并向群众解释计算方法。"),
    (ComplaintCategory.project, 3, "村里修的产业路有一段已经开裂, 施工质量有问题。",
     "已责成施工单位在质保期内返修, 镇里组织验收后在村内公示。"),
    (ComplaintCategory.conduct, 2, "去镇里办事工作人员态度不好, 材料要求反复变。",
     "已对相关工作人员批评教育, 并在便民服务中心公示办事指南和一次性告知清单。"),
    (ComplaintCategory.other, 2, "希望村里多组织一些种养殖技术培训。",
     "已纳入今年的农技培训计划, 具体时间由村委会通知。"),
)
_RECORDED = dt.datetime(2021, 1, 5)  # when the call centre's sheets were imported
_REASONS = ("帮扶干部来得少", "产业分红没到位", "危房改造进度慢", "不清楚帮扶政策", "对识别结果有意见", "饮水还不稳定")


def _beijing_to_utc(d: dt.datetime) -> dt.datetime:
    return d - dt.timedelta(hours=8)


def build_complaints(conn: Connection, seed: int) -> None:
    """About 8–16 complaints a month in 2017–2020, routed to the town of a village; most answered and
    closed within their working-day deadline (93 % of all), a few answered late (escalated first). Then a few
    placed relative to the day of the build (Beijing): a handful still open from the last weeks (most overdue)
    and some received this month, some of those answered."""
    rng = np.random.default_rng(seed + 16_003)
    villages = list(conn.execute(select(Region.code, Region.name, Region.parent_code)
                                 .where(Region.level == "village").order_by(Region.code)).all())
    if not villages:
        return
    towns = dict(conn.execute(select(Region.code, Region.name).where(Region.level == "town")).all())
    weights = np.array([w for _, w, _, _ in _KINDS], float)
    weights /= weights.sum()
    rows, seen = [], set()
    months = [(y, m) for y in range(2017, 2021) for m in range(1, 13)]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=8)  # Beijing
    # (year, month, how many still open, or the Beijing times of the recent ones, which come after the history)
    plan = [(y, m, None) for y, m in months] + [(now.year, now.month, _recent_times(now))]
    for year, month, recent in plan:
        n = len(recent) if recent is not None else int(rng.integers(8, 17))
        for k in range(n):
            code, vname, parent = villages[int(rng.integers(len(villages)))]
            cat, _, text, answer = _KINDS[int(rng.choice(len(_KINDS), p=weights))]
            day = int(rng.integers(1, 29))
            at = dt.datetime(year, month, day, int(rng.integers(8, 22)), int(rng.integers(0, 60)))
            if recent is not None:
                at = recent[k]
            received = at.date()
            deadline = deadline_of(received)
            ref = f"TS{received:%Y%m%d}-" + "".join(_REF[i] for i in rng.integers(0, len(_REF), 6))
            if ref in seen:
                continue
            seen.add(ref)
            town = parent if parent in towns else code[:9] + "000"
            row = dict(reference=ref, submission_id=f"demo-{len(rows):06d}", slug="", kind="form", subject_id=0,
                       subject_name=f"{towns.get(town, '')} {vname}".strip(), region_code=code, text=text,
                       phone=f"13{int(rng.integers(0, 10))}0854{int(rng.integers(0, 10000)):04d}"
                       if rng.random() < .5 else None,
                       created_at=_beijing_to_utc(at), status=ComplaintStatus.closed.value, category=cat.value,
                       town_code=town, deadline=deadline, photos=None, assignee=f"{towns.get(town, '')}扶贫工作站",
                       reply=answer, replied_at=None, escalated_at=None, closed_at=None, handled_by="demo")
            answered_by = at + dt.timedelta(hours=2)  # a recent one answered: a couple of hours in, at the earliest
            if recent is not None and (k < _STILL_OPEN or k % 2 or answered_by > now):  # backlog, half this month's
                row.update(status=ComplaintStatus.assigned.value, reply=None)
            else:
                late = rng.random() < .06 and recent is None
                if late:
                    replied_on = add_working_days(deadline, int(rng.integers(1, 6)))
                    row["escalated_at"] = _beijing_to_utc(dt.datetime.combine(deadline + dt.timedelta(days=1),
                                                                              dt.time(9)))
                else:
                    replied_on = add_working_days(received, int(rng.integers(1, 6)))
                replied = dt.datetime.combine(replied_on, dt.time(int(rng.integers(9, 18)), int(rng.integers(0, 60))))
                closed = replied + dt.timedelta(days=int(rng.integers(1, 8)))
                if recent is not None:  # answered by now (not closed yet: the complainant may still come back)
                    replied, closed = min(replied, max(answered_by, dt.datetime(now.year, now.month, now.day))), None
                    row.update(status=ComplaintStatus.replied.value)
                row.update(replied_at=_beijing_to_utc(replied), closed_at=closed and _beijing_to_utc(closed))
            rows.append(row)
    conn.execute(Complaint.__table__.insert(), rows)


_STILL_OPEN = 6  # the desk's backlog the wall shows: received 1–6 weeks before the build, most overdue now


def _recent_times(now: dt.datetime) -> list[dt.datetime]:
    """Beijing times of the recent complaints: the backlog's, days before the build (fixed, so the build
    is the same apart from its day), then four from the start of this month until now, spread evenly."""
    day = dt.datetime(now.year, now.month, now.day)  # the build day's midnight: the times hang on the day only
    backlog = [day - dt.timedelta(days=d, hours=h) for d, h in ((40, 3), (33, 6), (25, 1), (18, 5), (11, 2), (4, 4))]
    start = dt.datetime(now.year, now.month, 1)
    end = day if day > start else now.replace(second=0, microsecond=0)  # on the 1st: so far today
    month = [start + (end - start) * f for f in (.1, .35, .6, .85)]
    return backlog[:_STILL_OPEN] + [t.replace(microsecond=0) for t in month]


def build_callbacks(conn: Connection, seed: int) -> None:
    """One connected call for every household-year the demo surveyed (满意 or 基本满意 for a satisfied
    answer, 不满意 with a reason otherwise), in a month of that year, plus calls that reached nobody
    (未接通, 拒访), about one in eight, in another month. In SQL (25,000 rows: a second in Python), the
    month and the answer drawn by a hash of the household, the year and the seed."""
    k = int(seed) % 9973
    h = f"(hy.household_id * 7919 + hy.year * 104729 + {k})"  # a deterministic draw per household-year
    month = f"((({h}) % 12) + 1)"
    other = f"(((({h}) % 12) + 1 + (hy.household_id % 11)) % 12 + 1)"  # never the answered month

    def month_text(m: str) -> str:
        return f"CAST(hy.year AS TEXT) || '-' || CASE WHEN {m} < 10 THEN '0' ELSE '' END || CAST({m} AS TEXT)"

    reason = "CASE hy.household_id % 6 " + " ".join(f"WHEN {i} THEN '{r}'" for i, r in enumerate(_REASONS)) + " END"
    source = ("FROM household_years hy JOIN households h ON h.id = hy.household_id "
              "WHERE hy.survey_satisfied IS NOT NULL AND hy.status <> 'closed'")  # the rollup counts no closed household
    cols = "month, village_code, household_id, outcome, satisfaction, reason, caller, called_at, recorded_at"
    conn.execute(text(
        f"INSERT INTO callbacks ({cols}) SELECT {month_text(month)}, h.village_code, hy.household_id, "
        f"'{CallOutcome.connected.value}', CASE WHEN NOT hy.survey_satisfied THEN '{Satisfaction.dissatisfied.value}' "
        f"WHEN ({h} / 12) % 100 < 22 THEN '{Satisfaction.fairly.value}' ELSE '{Satisfaction.satisfied.value}' END, "
        f"CASE WHEN hy.survey_satisfied THEN NULL ELSE {reason} END, '坐席0' || CAST({month} % 6 + 1 AS TEXT), "
        f"NULL, :at {source}"), {"at": _RECORDED})
    conn.execute(text(
        f"INSERT INTO callbacks ({cols}) SELECT {month_text(other)}, h.village_code, hy.household_id, "
        f"CASE WHEN ({h} / 96) % 4 = 0 THEN '{CallOutcome.refused.value}' ELSE '{CallOutcome.no_answer.value}' END, "
        f"NULL, NULL, '坐席01', NULL, :at {source} AND ({h} / 12) % 8 = 0"), {"at": _RECORDED})
