"""The demo's inspections: 8 groups / 30 sub-groups / 133 people, a plan for every month of 2017–2020,
findings from those visits with their rectifications, mostly closed on time; the few still open (with the
unit, or awaiting acceptance) are placed in the weeks before the day of the build, so "now" has some."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.domain.inspection import Severity, SubGroupRef, VillageRef, generate_plan
from sandbox.store.bulk import bulk_insert
from sandbox.store.command.inspection import (
    Finding,
    InspectionAssignment,
    InspectionGroup,
    InspectionMember,
    InspectionPlan,
    InspectionSubgroup,
    Rectification,
)
from sandbox.store.demo.people import names
from sandbox.store.importers.upsert import reset_sequence
from sandbox.store.models import Cadre, Household, Region

__all__ = ["build_inspections", "SUBGROUPS_PER_GROUP", "MEMBERS"]

SUBGROUPS_PER_GROUP = (4, 4, 4, 4, 4, 4, 3, 3)  # 30 sub-groups (the seed article: 8 groups, 30 sub-groups)
MEMBERS = 133  # people over the 30 sub-groups
_NUMERALS = "一二三四五六七八九十"
_UNITS = ("县纪委监委", "县委督查室", "县政府督查室", "县扶贫办", "县审计局", "县财政局", "县农业农村局",
          "县教育局", "县卫生健康局", "县住房和城乡建设局", "县水务局", "县民政局")
_YEARS = range(2017, 2021)
_AS_OF = dt.date(2020, 12, 31)  # the demo's data end: findings of its last weeks are still being rectified
_FINDINGS_PER_VISIT = 0.35
_CATEGORY_P = {"support_false": .22, "data_wrong": .30, "policy_unmet": .20, "funds": .10, "conduct": .08,
               "other": .10}
_SEVERITY_P = {"minor": .70, "major": .25, "serious": .05}
_TEXTS = {
    "support_false": ("帮扶责任人本季度未入户走访, 帮扶手册记录与实际不符", "帮扶措施与该户致贫原因不对应",
                      "户内未张贴明白卡, 群众不清楚帮扶干部是谁"),
    "data_wrong": ("系统中家庭人口与实际不一致, 需核实更新", "家庭收入台账计算有误, 人均纯收入偏高",
                   "危房改造信息未及时录入系统"),
    "policy_unmet": ("适龄子女未享受教育资助", "医保参保缴费补助未落实到户", "产业扶持资金未按户兑现"),
    "funds": ("项目资金拨付进度滞后, 报账资料不全", "项目收益分红未按协议发放", "资金使用台账不规范"),
    "conduct": ("村干部对群众诉求回应不及时", "驻村工作队考勤记录不全, 在岗不在位", "会议记录简单应付, 工作作风不实"),
    "other": ("村级脱贫攻坚档案资料不全", "公示栏信息未按期更新", "环境卫生整治不到位"),
}
_EVIDENCE = ("已入户核实并整改到位, 相关资料已补齐", "已组织重新核算并更新系统数据", "已落实到户, 附群众签字确认表",
             "已召开村两委会议研究整改, 制度已建立")


def build_inspections(conn: Connection, seed: int) -> None:
    rng = np.random.default_rng(seed + 16)
    towns = conn.execute(select(Region.code, Region.name).where(Region.level == "town").order_by(Region.code)).all()
    villages = [VillageRef(c, p) for c, p in conn.execute(
        select(Region.code, Region.parent_code).where(Region.level == "village", Region.is_poor_village.is_(True))
        .order_by(Region.code))]
    if not towns or not villages:
        return
    subgroups = _write_groups(conn, rng, towns)
    _write_history(conn, rng, seed, subgroups, villages, dict(towns))
    for table in (InspectionGroup, InspectionSubgroup, InspectionMember, Finding):  # written with explicit ids
        reset_sequence(conn, table.__tablename__)


def _write_groups(conn: Connection, rng, towns) -> list[tuple[int, str, list[int]]]:
    """The groups, one per town; returns (sub-group id, its town, its member ids)."""
    n_groups = len(SUBGROUPS_PER_GROUP)
    group_rows, sub_rows = [], []
    leaders = names(rng, rng.random(n_groups) < 0.8)
    for g in range(n_groups):
        town_code, _ = towns[g % len(towns)]
        group_rows.append((g + 1, f"第{_NUMERALS[g]}督查组", town_code, str(leaders[g])))
        for s in range(SUBGROUPS_PER_GROUP[g]):
            sub_rows.append((len(sub_rows) + 1, g + 1, f"第{_NUMERALS[g]}督查组第{s + 1}小组", town_code))
    bulk_insert(conn, InspectionGroup.__table__, ("id", "name", "town_code", "leader_name"), group_rows)
    bulk_insert(conn, InspectionSubgroup.__table__, ("id", "group_id", "name", "town_code"), sub_rows)
    town_cadres: dict[str, list[tuple[int, str, str]]] = {}
    for cid, name, unit, region in conn.execute(select(Cadre.id, Cadre.name, Cadre.unit, Cadre.region_code)
                                                .where(Cadre.role == "town_cadre", Cadre.end_year.is_(None))
                                                .order_by(Cadre.id)):
        town_cadres.setdefault(region, []).append((cid, name, unit))
    n_sub = len(sub_rows)
    sizes = [MEMBERS // n_sub + (1 if i < MEMBERS % n_sub else 0) for i in range(n_sub)]  # 13 of 5, 17 of 4
    people = names(rng, rng.random(MEMBERS) < 0.7)
    member_rows, out, k = [], [], 0
    for (sid, _, _, town_code), size in zip(sub_rows, sizes):
        ids = []
        # one cadre of the town on the register (a town's own cadre knows its villages), the rest from county units
        pool = town_cadres.get(town_code, [])
        for j in range(size):
            mid = len(member_rows) + 1
            if j == 0 and pool:
                cid, cname, unit = pool[int(rng.integers(len(pool)))]
                member_rows.append((mid, sid, cname, unit[:64], cid))
            else:
                member_rows.append((mid, sid, str(people[k]), _UNITS[int(rng.integers(len(_UNITS)))], None))
            k += 1
            ids.append(mid)
        out.append((sid, town_code, ids))
    bulk_insert(conn, InspectionMember.__table__, ("id", "subgroup_id", "name", "unit", "cadre_id"), member_rows)
    return out


def _write_history(conn: Connection, rng, seed: int, subgroups, villages: list[VillageRef],
                   town_names: dict[str, str]) -> None:
    refs = [SubGroupRef(sid, town) for sid, town, _ in subgroups]
    members = {sid: ids for sid, _, ids in subgroups}
    households: dict[str, list[int]] = {}
    for hid, vc in conn.execute(select(Household.id, Household.village_code)
                                .where(Household.village_code.in_([v.code for v in villages]))):
        households.setdefault(vc, []).append(hid)
    responsible = _responsible(conn, villages)
    plans, assignments, findings, rects = [], [], [], []
    cats, cat_p = list(_CATEGORY_P), np.array(list(_CATEGORY_P.values()))
    sevs, sev_p = list(_SEVERITY_P), np.array(list(_SEVERITY_P.values()))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for year in _YEARS:
        for m in range(1, 13):
            month = f"{year:04d}-{m:02d}"
            plan = generate_plan(month, refs, villages, seed)
            plans.append((month, m % 3 == 0, seed, dt.datetime(year, m, 1) - dt.timedelta(hours=8)))
            for v in villages:
                sid = plan[v.code]
                assignments.append((month, v.code, sid, False))
                for _ in range(int(rng.poisson(_FINDINGS_PER_VISIT))):
                    fid = len(findings) + 1
                    day = int(rng.integers(5, 26))
                    found = dt.date(year, m, day)
                    created = dt.datetime(year, m, day, 10) - dt.timedelta(hours=8) \
                        + dt.timedelta(minutes=int(rng.integers(0, 360)))
                    cat = cats[int(rng.choice(len(cats), p=cat_p))]
                    sev = Severity(sevs[int(rng.choice(len(sevs), p=sev_p))])
                    pool = households.get(v.code, [])
                    hid = pool[int(rng.integers(len(pool)))] if pool and cat in (
                        "support_false", "data_wrong", "policy_unmet") else None
                    texts = _TEXTS[cat]
                    findings.append((fid, month, sid, members[sid][int(rng.integers(len(members[sid])))], v.code,
                                     hid, None, cat, sev.value, texts[int(rng.integers(len(texts)))], "[]", created))
                    rects.append(_rectification(rng, fid, v, found, created, sev, responsible, town_names))
                    if rects[-1][5] != "closed":  # still open: moved to the weeks before the build
                        findings[-1], rects[-1] = _to_now(findings[-1], rects[-1], found, now)
    bulk_insert(conn, InspectionPlan.__table__, ("month", "cross_inspection", "seed", "generated_at"), plans)
    bulk_insert(conn, InspectionAssignment.__table__, ("month", "village_code", "subgroup_id", "edited"), assignments)
    bulk_insert(conn, Finding.__table__, ("id", "month", "subgroup_id", "member_id", "village_code", "household_id",
                                          "project_id", "category", "severity", "text", "photos", "created_at"),
                findings)
    bulk_insert(conn, Rectification.__table__,
                ("finding_id", "village_code", "responsible_unit", "responsible_cadre_id", "deadline", "status",
                 "evidence_note", "evidence_photos", "submitted_at", "review_comment", "rejections", "closed_at",
                 "closed_on_time"), rects)


def _to_now(finding: tuple, rect: tuple, found: dt.date, now: dt.datetime) -> tuple[tuple, tuple]:
    """An open finding and its rectification shifted whole days so it was found 2–8 weeks before the day
    of the build (Beijing), drawn from its id (no draw from the history's stream, which stays as it was):
    its deadline follows, so some are overdue by days to weeks and some not yet due."""
    today = (now + dt.timedelta(hours=8)).date()
    fid = finding[0]
    shift = (today - dt.timedelta(days=14 + (fid * 37) % 43)) - found
    created = finding[11] + shift
    f = (fid, f"{(created + dt.timedelta(hours=8)):%Y-%m}", *finding[2:11], created)
    submitted = rect[8]
    if submitted is not None:  # evidence in by now, after the finding
        day = dt.datetime.combine(today, dt.time()) - dt.timedelta(hours=8)  # the build day's start, in UTC
        submitted = min(submitted + shift, day - dt.timedelta(hours=1 + fid % 20))
        submitted = max(submitted, created + dt.timedelta(hours=2))
    return f, (*rect[:4], rect[4] + shift, *rect[5:8], submitted, *rect[9:])


def _responsible(conn: Connection, villages: list[VillageRef]) -> dict[str, int | None]:
    """Per poor village, its 第一书记 (else a 驻村工作队 member, else a town cadre): who answers for it."""
    by_region: dict[tuple[str, str], int] = {}
    for cid, role, region in conn.execute(select(Cadre.id, Cadre.role, Cadre.region_code)
                                          .where(Cadre.role.in_(("first_secretary", "village_team", "town_cadre")),
                                                 Cadre.end_year.is_(None)).order_by(Cadre.id)):
        by_region.setdefault((role, region), cid)
    out = {}
    for v in villages:
        out[v.code] = by_region.get(("first_secretary", v.code)) or by_region.get(("village_team", v.code)) \
            or by_region.get(("town_cadre", v.town_code))
    return out


def _rectification(rng, fid: int, v: VillageRef, found: dt.date, created: dt.datetime, sev: Severity,
                   responsible, town_names) -> tuple:
    deadline = found + dt.timedelta(days=sev.days_to_rectify)
    unit = f"{town_names.get(v.town_code, '')}人民政府"
    u = rng.random()
    recent = (_AS_OF - found).days < 45
    if (recent and u < 0.5) or (not recent and u < 0.004):  # still with the unit: overdue by now
        return (fid, v.code, unit, responsible[v.code], deadline, "open", None, "[]", None, None, 0, None, None)
    late = u > 0.91
    took = int(rng.integers(sev.days_to_rectify + 2, sev.days_to_rectify + 25)) if late \
        else int(rng.integers(2, sev.days_to_rectify + 1))
    submitted = created + dt.timedelta(days=took, hours=int(rng.integers(0, 8)))
    evidence = _EVIDENCE[int(rng.integers(len(_EVIDENCE)))]
    if recent and u < 0.7:  # evidence in, awaiting the inspector
        return (fid, v.code, unit, responsible[v.code], deadline, "submitted", evidence, "[]", submitted, None, 0,
                None, None)
    rejected = int(rng.random() < 0.06)
    closed = submitted + dt.timedelta(days=int(rng.integers(1, 6)))
    comment = "第一次整改不到位, 已退回补充材料" if rejected else None
    on_time = (submitted + dt.timedelta(hours=8)).date() <= deadline
    return (fid, v.code, unit, responsible[v.code], deadline, "closed", evidence, "[]", submitted, comment, rejected,
            closed, on_time)
