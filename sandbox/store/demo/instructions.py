"""The demo county's instructions (指令/批示) from named leaders 2017–2020, most closed, a few open and
overdue now; and its notices and guides with read receipts (issue 16 items 1 and 4).

The leaders are made up here (the demo has no leader roster): a county's 县委书记, 县长 and two deputies,
each town's 党委书记 and 镇长, named like the demo's people. The history is seeded; the few open items
are placed relative to the day of the build, so "now" always has some overdue work.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.store import models as m
from sandbox.store.bulk import bulk_insert, columns_rows
from sandbox.store.command.instructions import Instruction, InstructionItem
from sandbox.store.command.notices import Notice, NoticeRead
from sandbox.store.demo import people
from sandbox.store.importers.upsert import reset_sequence

__all__ = ["build_instructions", "build_notices"]

_TASKS = [
    ("核实贫困户“两不愁三保障”情况", "请于期限内逐户核实结对帮扶户“两不愁三保障”落实情况, 发现问题当场登记并反馈整改措施。"),
    ("做好国家第三方评估迎检准备", "请组织本辖区帮扶干部熟悉应知应会, 逐户核对建档立卡信息与明白卡, 确保账卡一致。"),
    ("危房改造进度督办", "请核查辖区内 C、D 级危房改造进度, 未开工的说明原因, 已完工的上传照片。"),
    ("易地扶贫搬迁后续扶持", "请走访搬迁户, 了解就业、就学、就医情况, 反馈仍有困难的家庭及帮扶措施。"),
    ("产业扶贫项目利益联结核查", "请核实项目分红是否按时足额发放到户, 附发放签领表照片。"),
    ("控辍保学专项排查", "请逐户排查义务教育阶段适龄儿童在校情况, 发现辍学的立即劝返并反馈。"),
    ("家庭医生签约服务落实", "请核实贫困人口家庭医生签约及慢病随访情况, 反馈未签约人员名单及原因。"),
    ("饮水安全问题排查", "请排查辖区饮水安全, 对水量、水质、取水方便程度不达标的农户登记并提出解决办法。"),
    ("帮扶手册填写规范", "请按照县指挥部要求完善帮扶手册, 收入测算须有依据, 签字齐全。"),
    ("防汛期间安全巡查", "汛期将至, 请对住房安全存在隐患的贫困户逐户巡查, 必要时组织转移。"),
    ("春耕生产帮扶", "请了解贫困户春耕生产资料准备情况, 协调解决种子、化肥等困难。"),
    ("就业务工信息摸底", "请摸清贫困户劳动力外出务工情况, 对有意愿未就业的登记并对接就业岗位。"),
]
_RETURNS = ["反馈过于简单, 请补充具体户数和措施", "照片与事项不符, 请重新上传现场照片", "请补充未落实户的原因及整改时限"]
_NOTES = ["已逐户核实, 情况属实, 已登记", "已完成, 相关材料已上传", "已走访全部结对户, 无新增问题",
          "发现 2 户存在问题, 已协调镇里解决", "已按要求整改完毕"]
_NOTICES = [
    ("关于开展脱贫攻坚“大比武”的通知", "各乡镇、各帮扶单位: 为进一步提升帮扶工作质量, 县指挥部决定开展“大比武”活动, 具体安排见附件。"),
    ("关于做好本月遍访贫困户工作的通知", "请各帮扶干部按“一帮四”要求完成本月遍访, 走访须签到并填写工作纪要。"),
    ("关于召开脱贫攻坚调度会的通知", "定于本周五上午 9 时在县指挥部召开调度会, 请各乡镇分管领导准时参加。"),
    ("关于报送帮扶工作月报的通知", "请各乡镇于每月 25 日前报送帮扶工作月报, 逾期将通报。"),
    ("关于开展作风建设专项检查的通知", "县纪委将对帮扶干部履职情况开展专项检查, 请各单位做好自查。"),
]
_GUIDES = [
    ("贫困户医疗救助办理指南", "办理条件: 建档立卡贫困人口。所需材料: 身份证、住院发票、出院小结。办理地点: 乡镇民政所。"),
    ("教育资助申请指南", "适用对象: 建档立卡贫困家庭在校学生。所需材料: 学籍证明、户口簿。受理时间: 每学期开学后一个月内。"),
    ("危房改造补助申请指南", "申请人向村委会提出申请, 经鉴定、公示后报乡镇审核, 竣工验收后拨付补助。"),
    ("扶贫小额信贷办理指南", "贫困户可申请 5 万元以下、3 年以内的免抵押、免担保贷款, 财政全额贴息, 到乡镇信用社办理。"),
]
_COUNTY_POSTS = ["{b}县委书记", "{n}县长", "{b}县委副书记", "{n}副县长"]  # 独山县委书记, 独山县县长
_TOWN_POSTS = ["党委书记", "镇长"]


def _leaders(rng: np.random.Generator, county_name: str, towns: list[tuple[str, str]]) -> tuple[list[str], dict]:
    names = people.names(rng, rng.random(4 + 2 * len(towns)) < 0.75).tolist()
    base = county_name[:-1] if county_name.endswith("县") else county_name
    county = [f"{post.format(b=base, n=county_name)} {names[i]}" for i, post in enumerate(_COUNTY_POSTS)]
    town = {code: [f"{name}{post.replace('镇长', '乡长' if name.endswith('乡') else '镇长')} {names[4 + 2 * k + j]}"
                   for j, post in enumerate(_TOWN_POSTS)]
            for k, (code, name) in enumerate(towns)}
    return county, town


def _days(r: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(days=r.randint(lo, hi), hours=r.randint(0, 9))


def build_instructions(conn: Connection, seed: int) -> None:
    rng = np.random.default_rng(seed + 16_001)  # the leaders' names
    r = random.Random(seed + 16_001)  # the rest: scalar draws, many, cheaper than numpy's one by one
    county = conn.execute(select(m.Region.code, m.Region.name).where(m.Region.level == "county")).first()
    if county is None:
        return
    towns = conn.execute(select(m.Region.code, m.Region.name).where(m.Region.level == "town")
                         .order_by(m.Region.code)).all()
    cad = conn.execute(select(m.Cadre.id, m.Cadre.name, m.Cadre.role, m.Cadre.region_code).order_by(m.Cadre.id)).all()
    if not cad or not towns:
        return
    ids = np.array([c.id for c in cad])
    region = np.array([c.region_code for c in cad])
    villages_all = sorted(set(region.tolist()))
    fs = [c for c in cad if c.role == "first_secretary"]
    county_leaders, town_leaders = _leaders(rng, county.name, [(t.code, t.name) for t in towns])
    by_village: dict[str, np.ndarray] = {}
    for code in villages_all:
        by_village[code] = ids[region == code]

    instr, items = [], []
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    months = [(y, mo) for y in range(2017, 2021) for mo in range(1, 13)]
    plan = [(dt.datetime(y, mo, 1, 1) + _days(r, 0, 26), False) for y, mo in months for _ in range(3)]
    # now: a few open ones, half of them already past their deadline
    plan += [(now - _days(r, 20, 45), True) for _ in range(3)] + [(now - _days(r, 1, 6), True) for _ in range(3)]
    for n, (created, recent) in enumerate(plan, start=1):
        who = r.random()
        title, text = r.choice(_TASKS)
        if who < 0.3:  # a county leader: named cadres anywhere, or a village's cadres
            issuer = ("leader", county.code, None, r.choice(county_leaders))
            if r.random() < 0.5:
                recips = np.array(r.sample(ids.tolist(), r.randint(3, 8)))
                kind, ref, about = "cadres", None, county.code
            else:
                v = r.choice(villages_all)
                recips, kind, ref, about = by_village[v], "region", v, v
        elif who < 0.8 or not fs:  # a town leader: a village of the town
            t = r.choice(towns)
            issuer = ("leader", t.code, None, r.choice(town_leaders[t.code]))
            villages = [v for v in by_village if v.startswith(t.code[:9]) and v != t.code]
            v = r.choice(villages) if villages else t.code
            recips, kind, ref, about = by_village[v], "region", v, v
        else:  # a 第一书记: the village's other cadres
            f = r.choice(fs)
            others = by_village[f.region_code][by_village[f.region_code] != f.id]
            if not len(others):
                continue
            issuer = ("cadre", f.region_code, f.id, f"{_village_name(conn, f.region_code)}第一书记 {f.name}")
            recips, kind, ref, about = others, "region", f.region_code, f.region_code
        recips = recips[:40]  # a village's cadres: a handful; a town's: capped for the demo's speed
        deadline = (created + _days(r, 7, 30)).date()
        if recent and created > now - dt.timedelta(days=10):
            deadline = (now + _days(r, 5, 20)).date()
        elif recent:
            deadline = (created + _days(r, 5, 12)).date()
        prio = r.choices(["normal", "urgent", "critical"], [.6, .3, .1])[0]
        instr.append((n, issuer[0], issuer[1], issuer[2], issuer[3][:64], kind, ref, about, title, text, prio,
                      deadline, "[]", created))
        for cid in recips.tolist():
            items.append(_item(r, n, cid, created, deadline, recent))
    region_of = dict(zip(ids.tolist(), region.tolist()))
    items = [(i, ins, cid, region_of[cid], *rest) for i, (ins, cid, _, *rest) in enumerate(items, start=1)]
    bulk_insert(conn, Instruction.__table__, ("id", "issuer_role", "issuer_region", "issuer_cadre_id", "issuer_name",
                                              "scope_kind", "scope_ref", "region_code", "title", "text", "priority",
                                              "deadline", "photos", "created_at"), instr)
    bulk_insert(conn, InstructionItem.__table__, ("id", "instruction_id", "cadre_id", "region_code", "status",
                                                  "confirmed_at", "reported_at", "note", "photos", "returned_at",
                                                  "return_reason", "rounds", "closed_at"), items)
    _ids_follow(conn, Instruction.__table__.name, InstructionItem.__table__.name)


def _ids_follow(conn: Connection, *tables: str) -> None:
    """After rows written with their ids: PostgreSQL's sequences go on after the highest (SQLite's do by
    themselves), so the API's next instruction does not take id 1 again."""
    for t in tables:
        reset_sequence(conn, t)  # never backwards (a rolled-back build must not lower it)


def _village_name(conn: Connection, code: str) -> str:
    return conn.scalar(select(m.Region.name).where(m.Region.code == code)) or code


def _item(r: random.Random, instruction_id: int, cadre_id: int, created: dt.datetime, deadline: dt.date, recent: bool):
    """(instruction, cadre, None (the cadre's region, filled in after), status, confirmed, reported, note, photos, returned, reason,
    rounds, closed) of one recipient: closed in the past years, anywhere on the way for the recent ones."""
    confirmed = created + _days(r, 0, 2)
    end = dt.datetime.combine(deadline, dt.time(18))
    if recent:
        stage = r.choices(["pending", "confirmed", "reported", "returned"], [.35, .35, .2, .1])[0]
        if stage == "pending":
            return (instruction_id, cadre_id, None, "pending", None, None, None, "[]", None, None, 0, None)
        if stage == "confirmed":
            return (instruction_id, cadre_id, None, "confirmed", confirmed, None, None, "[]", None, None, 0, None)
        reported = confirmed + _days(r, 0, 3)
        note = r.choice(_NOTES)
        if stage == "reported":
            return (instruction_id, cadre_id, None, "reported", confirmed, reported, note, "[]", None, None, 1, None)
        return (instruction_id, cadre_id, None, "returned", confirmed, reported, note, "[]", reported + _days(r, 0, 2),
                r.choice(_RETURNS), 1, None)
    late = r.random() < 0.12
    span = max(1, (end - confirmed).days)
    reported = confirmed + (dt.timedelta(days=span + r.randint(1, 9)) if late else _days(r, 0, span - 1))
    note = r.choice(_NOTES)
    returned = reason = None
    rounds = 1
    if r.random() < 0.1:  # sent back once, answered again
        returned, reason, rounds = reported + _days(r, 0, 2), r.choice(_RETURNS), 2
        reported = returned + _days(r, 1, 4)
    closed = reported + _days(r, 0, 5)
    return (instruction_id, cadre_id, None, "closed", confirmed, reported, note, "[]", returned, reason, rounds, closed)


def build_notices(conn: Connection, seed: int) -> None:
    """A town notice each month 2017–2020 (the towns in turn), the
    guides in 2017–2018, a county one each quarter of 2020, and two recent county notices few have read yet."""
    rng = np.random.default_rng(seed + 16_004)
    r = random.Random(seed + 16_004)
    county = conn.execute(select(m.Region.code).where(m.Region.level == "county")).scalar()
    towns = conn.execute(select(m.Region.code, m.Region.name).where(m.Region.level == "town")
                         .order_by(m.Region.code)).all()
    cad = conn.execute(select(m.Cadre.id, m.Cadre.region_code, m.Cadre.start_year)).all()
    if county is None or not towns or not cad:
        return
    ids = np.array([c.id for c in cad])
    prefix9 = np.array([c.region_code[:9] for c in cad])
    start = np.array([c.start_year for c in cad])
    keen = rng.uniform(0.78, 0.98, len(towns))  # each town's habit of reading
    town_keen = {t.code[:9]: keen[i] for i, t in enumerate(towns)}
    reader_keen = np.array([town_keen.get(p, 0.85) for p in prefix9])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    posts: list[tuple] = []  # (kind, scope code, title, content, author, created, read share)
    for k, (y, mo) in enumerate((y, mo) for y in range(2017, 2021) for mo in range(1, 13)):
        t = towns[k % len(towns)]
        title, content = r.choice(_NOTICES)
        posts.append(("notice", t.code, title, content, f"{t.name}人民政府",
                      dt.datetime(y, mo, 1, 1) + _days(r, 0, 20), 1.0))
        if y >= 2020 and mo % 3 == 1:
            title, content = r.choice(_NOTICES)
            posts.append(("notice", county, title, content, "县脱贫攻坚指挥部", dt.datetime(y, mo, 2, 1), 1.0))
    for i, (title, content) in enumerate(_GUIDES):
        posts.append(("guide", county, title, content, "县脱贫攻坚指挥部", dt.datetime(2017 + i // 2, 3 + 4 * (i % 2), 10, 2), 0.8))
    for days in (12, 3):
        title, content = r.choice(_NOTICES)
        posts.append(("notice", county, title, content, "县脱贫攻坚指挥部", now - dt.timedelta(days=days), 0.5 - days / 60))
    notices, read_parts = [], []
    now64 = np.datetime64(now, "s")
    for n, (kind, code, title, content, author, created, share) in enumerate(posts, start=1):
        notices.append((n, kind, code, title, content, author, created))
        reached = start <= created.year
        if code[6:9] != "000":  # a town's notice: its cadres only
            reached &= prefix9 == code[:9]
        read = reached & (rng.random(len(ids)) < reader_keen * share)
        at = np.datetime64(created, "s") + (rng.exponential(2.5 * 86400, int(read.sum()))).astype("timedelta64[s]")
        keep = at < now64
        read_parts.append((np.full(int(keep.sum()), n), ids[read][keep], at[keep]))
    bulk_insert(conn, Notice.__table__, ("id", "kind", "region_code", "title", "content", "author", "created_at"), notices)
    _ids_follow(conn, Notice.__table__.name)
    if read_parts:
        nid, cid, at = (np.concatenate(col) for col in zip(*read_parts))
        bulk_insert(conn, NoticeRead.__table__, ("notice_id", "cadre_id", "read_at"),
                    columns_rows(nid, cid, np.char.replace(np.datetime_as_string(at, "s"), "T", " ")))  # as stored
