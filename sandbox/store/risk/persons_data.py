"""What the 伪贫困户 rules read: the register's latest year, its people in scope, department rows matched to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from sandbox.domain.enums import HouseholdStatus
from sandbox.store.department.sources import SOURCES
from sandbox.store.risk.hits import Evidence

__all__ = ["Person", "DeptRow", "latest_year", "loaded_sources", "execute", "people", "person_evidence", "dept_evidence",
           "birth_date", "STATUS_ZH", "REGISTER"]

REGISTER = "建档立卡登记表"
STATUS_ZH = {s.value: s.label_zh for s in HouseholdStatus}


@dataclass(frozen=True)
class Person:
    """A person of a household in scope, as the register has them in its latest year."""

    household_id: int
    household_number: str
    village_code: str
    name: str
    id_number: str
    relation: str
    status: str  # the household's status in the year


@dataclass(frozen=True)
class DeptRow:
    source: str
    id_number: str
    record_key: str
    name: str | None
    category: str | None
    status: str | None
    amount: float | None
    place: str | None
    detail: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    row: int


def latest_year(conn: Connection) -> int | None:
    """The register's latest year: the rules judge households as they stand in it."""
    return conn.execute(text("SELECT MAX(year) FROM household_years")).scalar()


def loaded_sources(conn: Connection) -> dict[str, tuple[str, dt.date | None]]:
    """source → (file, as_of) for the sources imported: a rule over a source never loaded finds nothing
    (no 医保 file is not "nobody insured")."""
    rows = conn.execute(text("SELECT source, file, as_of FROM department_sources")).all()
    return {r[0]: (r[1], _date(r[2])) for r in rows}


def execute(conn: Connection, sql: str, params: dict):
    """`sql` with `params`, a list among them expanded for IN (`x IN :name`)."""
    lists = (bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list))
    return conn.execute(text(sql).bindparams(*lists), params)


_D_COLS = ("d.source, d.id_number, d.record_key, d.name, d.category, d.status, d.amount, d.place, d.detail, "
           "d.start_date, d.end_date, d.row")
# The people of a household: its 家庭成员 rows, and its head where the register has no member row for them.
_AS_MEMBER = {"name": "m.name", "id": "m.id_number", "relation": "m.relation",
              "join": "JOIN members m ON m.household_id = h.id", "only": ""}
_AS_HEAD = {"name": "h.head_name", "id": "h.id_number", "relation": "'户主'", "join": "",
            "only": " AND NOT EXISTS (SELECT 1 FROM members m2 WHERE m2.household_id = h.id "
                    "AND m2.id_number = h.id_number)"}


def people(conn: Connection, year: int, statuses: Iterable[str], *, source: str | None = None, where: str = "",
           params: dict | None = None) -> list[tuple[Person, DeptRow | None]]:
    """People of households whose status in `year` is one of `statuses`, each with a row of `source`
    when given (one pair per matching row; people without one are left out). `where` is SQL over hy
    (the household year), d (the department row) and {pid} (the person's ID number), e.g. an anti-join."""
    bind = {"y": year, "src": source, "statuses": list(statuses), **(params or {})}
    out: list[tuple[Person, DeptRow | None]] = []
    for who in (_AS_MEMBER, _AS_HEAD):
        dept = f" JOIN department_records d ON d.id_number = {who['id']} AND d.source = :src" if source else ""
        extra = f" AND ({where.format(pid=who['id'])})" if where else ""
        sql = (f"SELECT h.id, h.household_number, h.village_code, {who['name']}, {who['id']}, {who['relation']}, "
               f"hy.status{', ' + _D_COLS if source else ''} "
               f"FROM household_years hy JOIN households h ON h.id = hy.household_id {who['join']}{dept} "
               f"WHERE hy.year = :y AND hy.status IN :statuses{who['only']}{extra}")
        for r in execute(conn, sql, bind):
            d = DeptRow(*r[7:16], _date(r[16]), _date(r[17]), r[18]) if source else None
            out.append((Person(*r[:7]), d))
    return out


def _date(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])  # SQLite hands dates back as text in raw SQL


def birth_date(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def person_evidence(p: Person, year: int, **more: str) -> Evidence:
    """The register's row of the person: household, name, ID number, relation and the year's status."""
    fields = {"户编号": p.household_number, "姓名": p.name, "身份证号": p.id_number, "与户主关系": p.relation,
              f"{year} 年状态": STATUS_ZH.get(p.status, p.status), **more}
    return Evidence(REGISTER, f"户编号 {p.household_number}", fields, ("姓名", "身份证号"))


# What each generic column means in each source, as the evidence names it (sources.py's mappings).
_LABELS = {
    "payroll": {"detail": "工作单位", "category": "编制类型", "start_date": "参加工作时间"},
    "vehicles": {"record_key": "号牌号码", "category": "车辆类型", "amount": "车辆价值(元)", "detail": "品牌型号",
                 "status": "机动车状态", "start_date": "初次登记日期"},
    "property": {"record_key": "不动产权证号", "category": "权利性质", "detail": "用途", "place": "坐落",
                 "amount": "建筑面积(㎡)", "start_date": "登记日期"},
    "business": {"record_key": "统一社会信用代码", "detail": "企业名称", "category": "人员类型", "status": "登记状态",
                 "amount": "认缴出资额(元)", "start_date": "成立日期", "end_date": "注销日期"},
    "deaths": {"category": "注销原因", "start_date": "注销日期"},
    "prison": {"start_date": "入监日期", "end_date": "刑满日期", "detail": "服刑场所", "category": "罪名"},
    "assistance": {"category": "保障类型", "amount": "月保障金额", "start_date": "纳入时间", "end_date": "退出时间"},
    "medical": {"category": "险种类型", "status": "参保状态", "start_date": "参保日期"},
    "school": {"record_key": "学籍号", "detail": "学校名称", "category": "年级", "status": "学籍状态",
               "start_date": "入学日期"},
}


def dept_evidence(d: DeptRow, file: str | None) -> Evidence:
    """A department row as evidence: the source, the file's row, its fields under the source's own names."""
    fields = {"身份证号": d.id_number}
    if d.name:
        fields["姓名"] = d.name
    for key, label in _LABELS[d.source].items():
        value = getattr(d, key)
        if value not in (None, ""):
            fields[label] = (f"{value:,.0f}" if isinstance(value, float) else str(value))
    where = f"第 {d.row} 行" + (f" ({file})" if file else "")
    return Evidence(SOURCES[d.source], where, fields, tuple(k for k in ("身份证号", "姓名") if k in fields))
