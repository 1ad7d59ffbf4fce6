"""Checks of the 家庭成员 rows: each person in one household; a household's list is replaced whole or not at all."""

from __future__ import annotations

from sandbox.store.importers.convert import Converted
from sandbox.store.importers.households.plan import Plan
from sandbox.store.importers.report import ERROR, ImportReport

__all__ = ["check_members"]


def check_members(conv: Converted, known: set[str], report: ImportReport, plan: Plan) -> None:
    """Member rows grouped per household; a household with a rejected member keeps its stored list."""
    t, c, bad = conv.table, conv.columns, conv.bad
    n = len(conv)
    hdr = conv.headers
    groups: dict[str, list[tuple]] = {}
    present = conv.present
    number, ident_col = c["household_number"], c["id_number"]
    # A household's member list is replaced whole, so one with a rejected row keeps its stored list
    # (the rest of its rows would drop the rejected person, or move them by row order): household →
    # the row that froze it. Rows rejected while converting (a bad cell) count, where their 户编号 is readable.
    frozen: dict[str, int] = {}
    for i in sorted(bad):
        if number[i] is not None:
            frozen.setdefault(number[i], i)
    # A person belongs to one household: a member ID seen before (another household's member, or a
    # head in 户信息 of another household) rejects the later row. The database's members are not
    # compared: that would read every member of the database.
    seen: dict[str, tuple[str, int]] = {}  # ID → (户编号, row)
    disputed: dict[str, int] = {}  # ID of a rejected person → the row rejected first
    head_of = plan.head_of
    # A rejected household is reported once, in 户信息: its member rows follow it as notes, their own
    # errors (the head's bad ID again) included, so that one bad household is one line to fix.
    follow = {conv.row_number(i): i for i in range(n) if number[i] in plan.rejected}
    if follow:
        report.issues = [x for x in report.issues if not (x.level == ERROR and x.file == t.file
                                                          and x.sheet == t.sheet and x.row in follow)]
    for i in follow.values():
        num = number[i]
        report.note(t.file, t.sheet, conv.row_number(i), hdr["household_number"], num,
                    f"未导入: 所属户的户信息第 {plan.rejected[num]} 行被拒绝 (改正该户后重新导入)")
        bad.add(i)
    plan.followers = len(follow)
    for i in range(n):
        if i in bad:
            continue
        num = number[i]
        if num not in known:
            report.error(t.file, t.sheet, conv.row_number(i), hdr["household_number"], num,
                         "户编号不在户信息中 (或该户的行有错误未导入), 也不在数据库中")
            bad.add(i)
            continue
        ident = ident_col[i]
        prev, headed = seen.get(ident), head_of.get(ident)
        reason = None
        if prev is not None:
            reason = (f"证件号码与第 {prev[1]} 行相同, 同一户的成员重复" if prev[0] == num
                      else f"证件号码与第 {prev[1]} 行 (户编号 {prev[0]}) 相同, 一人不能属于两户")
        elif headed and num not in headed:
            reason = f"证件号码是户信息中另一户 (户编号 {min(headed)}) 户主的证件号码, 一人不能属于两户"
        if reason:
            report.error(t.file, t.sheet, conv.row_number(i), hdr["id_number"], ident, reason)
            bad.add(i)
            frozen.setdefault(num, i)
            disputed.setdefault(ident, i)
            continue
        seen[ident] = (num, conv.row_number(i))

        def val(k):
            return (c[k][i] or "") if k in present else ""

        sex = val("sex") or ("男" if int(ident[16]) % 2 else "女")
        groups.setdefault(num, []).append((
            c["name"][i], ident, val("relation"), sex, val("ethnicity"), val("education"), val("health"),
            val("labour_capacity"), bool(c["migrant_work"][i]) if "migrant_work" in present else False,
        ))
    # A person rejected as being in two households moves nowhere: the households of their accepted
    # rows keep their lists too.
    if disputed:
        for i in range(n):
            if i not in bad and ident_col[i] in disputed:
                frozen.setdefault(number[i], disputed[ident_col[i]])
    for num, i in sorted(frozen.items(), key=lambda item: item[1]):
        if num not in known:
            continue
        whose = "该户有成员行未导入" if number[i] == num else f"本行的人也列在户编号 {num} 中"
        report.warning(t.file, t.sheet, conv.row_number(i), hdr["household_number"], num,
                       f"{whose}, 户编号 {num} 的成员名单不更新 (数据库中该户原有的成员保持不变); "
                       f"改正后重新导入该户的全部成员行")
        groups.pop(num, None)
    plan.members = groups

