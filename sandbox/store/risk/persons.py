"""The 伪贫困户 rules: the register against department data (四类人员, deaths, prison, two households, income, 三保障).

Each rule judges households as they stand in the register's latest year, reads its thresholds from
thresholds/persons.toml, and returns one Hit per household with the rows that show it. A rule over a
department source that was never imported finds nothing: no 医保 file is not "nobody insured".
Reasons name a member by relation (配偶, 子女), never by name or ID number: those are in the evidence's
person fields, which the register's API masks by role.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sandbox.store.department.sources import SOURCES
from sandbox.store.risk.hits import Evidence, Hit
from sandbox.store.risk.persons_data import (
    STATUS_ZH,
    DeptRow,
    Person,
    dept_evidence,
    execute,
    latest_year,
    loaded_sources,
    people,
    person_evidence,
)
from sandbox.store.risk.rules import Thresholds, rule

__all__ = ["FAMILY_NAME"]

FAMILY_NAME = "伪贫困户"


def _statuses(t: Thresholds, rule_id: str) -> list[str]:
    """The statuses of households the rule judges: its own `statuses`, else the family's [scope]."""
    return list(t.of(rule_id).get("statuses") or t.value("persons.scope", "statuses"))


def _has(text_value: str | None, words: Iterable[str]) -> bool:
    return bool(text_value) and any(w in text_value for w in words)


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _hits(rule_id: str, name: str, year: int, pairs: list[tuple[Person, DeptRow]], files: dict, score: float,
          say) -> Iterator[Hit]:
    """One hit per household: its matched rows, each said by `say(person, row)` in the reason."""
    by_household: dict[int, list[tuple[Person, DeptRow]]] = defaultdict(list)
    for p, d in pairs:
        by_household[p.household_id].append((p, d))
    for hid, found in sorted(by_household.items()):
        p0 = found[0][0]
        evidence: list[Evidence] = []
        seen: set[str] = set()
        for p, d in found:
            if p.id_number not in seen:
                seen.add(p.id_number)
                evidence.append(person_evidence(p, year))
            evidence.append(dept_evidence(d, files.get(d.source, (None,))[0]))
        reasons = "; ".join(dict.fromkeys(say(p, d, year) for p, d in found))
        yield Hit(rule_id, "household", str(hid), p0.village_code,
                  f"{FAMILY_NAME}·{name}: 户 {p0.household_number} ({year} 年{STATUS_ZH.get(p0.status, p0.status)}) "
                  f"{reasons}", tuple(evidence), float(score))


def _judged(session: Session, source: str | None = None) -> tuple[Connection, dict, int] | None:
    """(connection, sources loaded, latest year) to judge by; None with no register year or `source` not loaded."""
    conn = session.connection()
    files, year = loaded_sources(conn) if source else {}, latest_year(conn)
    return None if year is None or (source is not None and source not in files) else (conn, files, year)


def _source_rule(session: Session, t: Thresholds, rule_id: str, name: str, source: str, keep, say) -> Iterator[Hit]:
    if (judged := _judged(session, source)) is None:
        return
    conn, files, year = judged
    pairs = [(p, d) for p, d in people(conn, year, _statuses(t, rule_id), source=source) if keep(p, d, year)]
    yield from _hits(rule_id, name, year, pairs, files, t.value(rule_id, "score"), say)


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


@rule("persons.public_payroll", "成员为财政供养人员")
def public_payroll(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.public_payroll"
    excluded = t.value(rid, "excluded_categories")

    def keep(p, d, year):
        return not _has(d.category, excluded) and (d.start_date is None or d.start_date <= _year_end(year))

    def say(p, d, year):
        return (f"成员 ({p.relation}) 在财政供养人员名册中 (工作单位 {d.detail or '未填'}"
                f"{', ' + d.category if d.category else ''}): 财政供养人员家庭属四类人员, 不应识别为贫困户")
    yield from _source_rule(session, t, rid, "成员为财政供养人员", "payroll", keep, say)


@rule("persons.vehicle", "成员名下有车 (价值达到阈值)")
def vehicle(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.vehicle"
    minimum, excepted, inactive = (t.value(rid, k) for k in ("min_value_yuan", "excepted_types", "inactive_status"))

    def keep(p, d, year):
        return (d.amount is not None and d.amount >= minimum and not _has(d.category, excepted)
                and not _has(d.status, inactive))

    def say(p, d, year):
        return (f"成员 ({p.relation}) 名下有 {d.category or '机动车'} (号牌 {d.record_key or '未填'}), 价值 "
                f"{_money(d.amount)} 元, 达到阈值 {_money(minimum)} 元 (农用车辆 {'、'.join(excepted[:3])} 等除外)")
    yield from _source_rule(session, t, rid, "成员名下有车", "vehicles", keep, say)


@rule("persons.town_property", "成员在城镇有房")
def town_property(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.town_property"
    markers, uses = t.value(rid, "town_markers"), t.value(rid, "uses")

    def keep(p, d, year):
        return _has(d.category, markers) and (not uses or _has(d.detail, uses))

    def say(p, d, year):
        return (f"成员 ({p.relation}) 名下有城镇房产 ({d.category}, 用途 {d.detail or '未填'}, 坐落 {d.place or '未填'}): "
                f"在城镇购买商品房的家庭属四类人员")
    yield from _source_rule(session, t, rid, "成员在城镇有房", "property", keep, say)


@rule("persons.business", "成员经营企业或持股")
def business(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.business"
    roles, inactive = t.value(rid, "roles"), t.value(rid, "inactive_status")

    def keep(p, d, year):
        return (_has(d.category, roles) and not _has(d.status, inactive)
                and (d.end_date is None or d.end_date > _year_end(year)))

    def say(p, d, year):
        capital = f", 认缴出资 {_money(d.amount)} 元" if d.amount else ""
        return (f"成员 ({p.relation}) 是 {d.detail or '市场主体'} 的{d.category} (登记状态 {d.status or '未填'}{capital}): "
                "经营企业或持股的家庭属四类人员")
    yield from _source_rule(session, t, rid, "成员经营企业或持股", "business", keep, say)


@rule("persons.deceased_member", "已死亡成员仍计入户内")
def deceased_member(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.deceased_member"
    reasons, grace = t.value(rid, "reasons"), int(t.value(rid, "grace_days"))

    def keep(p, d, year):
        return (_has(d.category, reasons) and d.start_date is not None
                and d.start_date <= _year_end(year) - dt.timedelta(days=grace))

    def say(p, d, year):
        return (f"成员 ({p.relation}) 已于 {d.start_date.isoformat()} 因{d.category}注销户籍, {year} 年末仍计入家庭人口 "
                f"(注销超过 {grace} 天未更新)")
    yield from _source_rule(session, t, rid, "已死亡成员仍计入户内", "deaths", keep, say)


@rule("persons.imprisoned_member", "服刑成员仍计入户内")
def imprisoned_member(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.imprisoned_member"
    grace = int(t.value(rid, "grace_days"))

    def keep(p, d, year):
        end = _year_end(year)
        return (d.start_date is not None and d.start_date <= end - dt.timedelta(days=grace)
                and (d.end_date is None or d.end_date > end))

    def say(p, d, year):
        until = d.end_date.isoformat() if d.end_date else "未填"
        return (f"成员 ({p.relation}) 自 {d.start_date.isoformat()} 起在 {d.detail or '监所'} 服刑 (刑满 {until}), "
                f"年末仍计入家庭人口 (入监超过 {grace} 天)")
    yield from _source_rule(session, t, rid, "服刑成员仍计入户内", "prison", keep, say)


@rule("persons.two_households", "一人登记在两户 (或两县)")
def two_households(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.two_households"
    if (judged := _judged(session)) is None:
        return
    conn, _, year = judged
    statuses = set(_statuses(t, rid))
    # ID numbers in two households: as members, as heads, or as the head of one and a member of another
    # (each an index lookup on id_number); then those few people's households, filtered to the live ones.
    twice = set(conn.execute(text(
        "SELECT id_number FROM members GROUP BY id_number HAVING COUNT(DISTINCT household_id) > 1 "
        "UNION SELECT id_number FROM households GROUP BY id_number HAVING COUNT(*) > 1 "
        "UNION SELECT h.id_number FROM households h JOIN members m ON m.id_number = h.id_number "
        "AND m.household_id <> h.id")).scalars())
    rows = []
    ids = sorted(twice)
    for start in range(0, len(ids), 900):
        rows += execute(conn,
            "SELECT h.id, h.household_number, h.village_code, p.name, p.id_number, p.relation, hy.status FROM "
            "(SELECT household_id, name, id_number, relation FROM members WHERE id_number IN :ids UNION "
            "SELECT id, head_name, id_number, '户主' FROM households WHERE id_number IN :ids) p "
            "JOIN households h ON h.id = p.household_id "
            "JOIN household_years hy ON hy.household_id = h.id AND hy.year = :y AND hy.status <> 'closed' "
            "ORDER BY p.id_number, h.id", {"y": year, "ids": ids[start:start + 900]}).all()
    by_person: dict[str, dict[int, Person]] = defaultdict(dict)
    for r in rows:
        by_person[r[4]].setdefault(r[0], Person(*r))  # a head also listed as 户主 member: one entry per household
    hits: dict[int, list] = defaultdict(list)
    for households in by_person.values():
        if len(households) < 2:
            continue
        listed = list(households.values())
        counties = {p.village_code[:6] for p in listed}
        for p in listed:
            if p.status in statuses:
                hits[p.household_id].append((p, listed, len(counties) > 1))
    score = float(t.value(rid, "score"))
    for hid, found in sorted(hits.items()):
        p0 = found[0][0]
        evidence, says, shown = [], [], set()
        for p, listed, two_counties in found:
            others = [o for o in listed if o.household_id != hid]
            where = "另一个县的登记表" if two_counties else "本县另一户"
            says.append(f"成员 ({p.relation}) 同时登记在{where}: " +
                        "、".join(f"户 {o.household_number} ({o.relation})" for o in others))
            for o in listed:
                if (o.household_id, o.id_number) not in shown:
                    shown.add((o.household_id, o.id_number))
                    evidence.append(person_evidence(o, year, 县级代码=o.village_code[:6]))
        yield Hit(rid, "household", str(hid), p0.village_code,
                  f"{FAMILY_NAME}·一人登记在两户: 户 {p0.household_number} ({year} 年{STATUS_ZH.get(p0.status, p0.status)}) "
                  + "; ".join(says) + "; 同一身份证号只能在一户中计算", tuple(evidence), score)


@rule("persons.income_above_line", "收入连续高于贫困线仍未脱贫")
def income_above_line(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.income_above_line"
    if (judged := _judged(session)) is None:
        return
    conn, _, year = judged
    years, ratio = int(t.value(rid, "min_years")), float(t.value(rid, "min_ratio"))
    rows = execute(conn,
        "WITH above AS (SELECT hy.household_id FROM household_years hy JOIN poverty_lines pl ON pl.year = hy.year "
        "WHERE hy.year > :y - :n AND hy.year <= :y AND hy.per_capita_net_income >= pl.line_yuan * :r "
        "GROUP BY hy.household_id HAVING COUNT(*) >= :n) "
        "SELECT h.id, h.household_number, h.village_code, h.head_name, h.id_number, hy.status, hy2.year, "
        "hy2.per_capita_net_income, pl.line_yuan "
        "FROM above JOIN households h ON h.id = above.household_id "
        "JOIN household_years hy ON hy.household_id = h.id AND hy.year = :y "
        "JOIN household_years hy2 ON hy2.household_id = h.id AND hy2.year > :y - :n AND hy2.year <= :y "
        "JOIN poverty_lines pl ON pl.year = hy2.year "
        "WHERE hy.status IN :statuses ORDER BY h.id, hy2.year",
        {"y": year, "n": years, "r": ratio, "statuses": _statuses(t, rid)}).all()
    by_household: dict[int, list] = defaultdict(list)
    for r in rows:
        by_household[r[0]].append(r)
    score = float(t.value(rid, "score"))
    for hid, found in by_household.items():
        r0 = found[0]
        figures = "、".join(f"{r[6]} 年 {_money(r[7])} 元 (贫困线 {_money(r[8])} 元, {r[7] / r[8]:.2f} 倍)" for r in found)
        evidence = tuple(Evidence(
            "建档立卡登记表", f"户编号 {r0[1]} {r[6]} 年", {"户编号": r0[1], "户主姓名": r0[3], "户主身份证号": r0[4],
                                                    "年度": str(r[6]), "人均纯收入(元)": _money(r[7]),
                                                    "贫困线(元)": _money(r[8])}, ("户主姓名", "户主身份证号"))
            for r in found)
        yield Hit(rid, "household", str(hid), r0[2],
                  f"{FAMILY_NAME}·收入连续高于贫困线仍未脱贫: 户 {r0[1]} 人均纯收入 {figures}, 连续 {years} 年达到贫困线的 "
                  f"{ratio:g} 倍 (阈值), {year} 年仍为{STATUS_ZH.get(r0[5], r0[5])}", evidence, score)


def _contradicted(session: Session, t: Thresholds, rid: str, name: str, source: str, marked: str, where: str,
                  params: dict, say) -> Iterator[Hit]:
    """Members of households the register marks as met (`marked`, SQL on hy) that `source` contradicts
    (`where`: SQL over {pid}, usually NOT EXISTS a good row of the source)."""
    if (judged := _judged(session, source)) is None:
        return
    conn, files, year = judged
    found = people(conn, year, _statuses(t, rid), where=f"({marked}) AND ({where})", params={"y": year, **params})
    by_household: dict[int, list[Person]] = defaultdict(list)
    for p, _ in found:
        by_household[p.household_id].append(p)
    file, as_of = files[source]
    score = float(t.value(rid, "score"))
    for hid, persons in sorted(by_household.items()):
        p0 = persons[0]
        evidence = [person_evidence(p, year) for p in persons]
        evidence.append(Evidence(SOURCES[source], f"无此人 ({file}" + (f", 数据截至 {as_of.isoformat()})" if as_of else ")"),
                                 {"查询结果": say[1]}))
        yield Hit(rid, "household", str(hid), p0.village_code,
                  f"{FAMILY_NAME}·{name}: 户 {p0.household_number} 在 {year} 年登记表中标为{say[0]}, 但 "
                  + "、".join(f"成员 ({p.relation})" for p in persons) + f" {say[1]}", tuple(evidence), score)


@rule("persons.education_contradicted", "义务教育保障与学籍不符")
def education_contradicted(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.education_contradicted"
    low, high, enrolled = int(t.value(rid, "min_age")), int(t.value(rid, "max_age")), t.value(rid, "enrolled_status")
    # age at the year's end from the ID number's birth year: low … high
    where = ("CAST(SUBSTR({pid}, 7, 4) AS INTEGER) BETWEEN :y - :hi AND :y - :lo AND NOT EXISTS (SELECT 1 FROM "
             "department_records d WHERE d.source = 'school' AND d.id_number = {pid} AND "
             "(d.status IS NULL OR d.status IN :enrolled))")
    yield from _contradicted(session, t, rid, "义务教育保障与学籍不符", "school", "hy.dropout = :no", where,
                             {"no": False, "lo": low, "hi": high, "enrolled": list(enrolled)},
                             ("无义务教育阶段辍学", f"({low}–{high} 岁) 在学籍系统中没有在读学籍"))


@rule("persons.medical_contradicted", "基本医疗保障与医保参保不符")
def medical_contradicted(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "persons.medical_contradicted"
    where = ("NOT EXISTS (SELECT 1 FROM department_records d WHERE d.source = 'medical' AND d.id_number = {pid} "
             "AND (d.status IS NULL OR d.status IN :insured))")
    yield from _contradicted(session, t, rid, "基本医疗保障与医保参保不符", "medical", "hy.all_insured = :yes", where,
                             {"yes": True, "insured": list(t.value(rid, "insured_status"))},
                             ("全家参加基本医疗保险", "在医保参保名册中没有参保记录"))
