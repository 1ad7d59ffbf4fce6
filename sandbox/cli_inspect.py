"""`sandbox inspect plan|assign|groups|link`: the monthly inspection plan as a table, edits by rule, the groups."""

from __future__ import annotations

from sandbox.cli_common import beijing, data_engine, positive_int, print_table

__all__ = ["register"]


def register(sub) -> None:
    """Adds the `inspect` sub-command group to the top-level parser's sub-parsers."""
    c = sub.add_parser("inspect", help="督查: 月度督查计划 (每季度第三个月交叉巡查)、督查组") \
        .add_subparsers(dest="inspect_command", required=True)
    p = c.add_parser("plan", help="显示某月的督查计划 (尚未生成则按规则生成并保存)")
    p.add_argument("--month", required=True, help="月份 YYYY-MM")
    p.add_argument("--regenerate", action="store_true", help="重新生成 (放弃该月的手工调整)")
    p.add_argument("--region", help="只列出该乡镇 (或村) 的区划代码")
    p.add_argument("--db")
    p.set_defaults(func=cmd_plan)
    a = c.add_parser("assign", help="改派某村本月的督查小组 (交叉巡查月不得派往小组所在乡镇)")
    a.add_argument("--month", required=True, help="月份 YYYY-MM")
    a.add_argument("--village", required=True, help="村的 12 位区划代码")
    a.add_argument("--subgroup", required=True, type=positive_int, help="督查小组编号 (见 sandbox inspect groups)")
    a.add_argument("--db")
    a.set_defaults(func=cmd_assign)
    g = c.add_parser("groups", help="列出督查组、督查小组及人数")
    g.add_argument("--db")
    g.set_defaults(func=cmd_groups)
    k = c.add_parser("link", help="把督查小组成员与领导的手机 (设备编号, 见 sandbox cadre devices) 关联")
    k.add_argument("--member", required=True, type=positive_int, help="成员编号")
    k.add_argument("--device", required=True, type=positive_int, help="领导手机的设备编号")
    k.add_argument("--db")
    k.set_defaults(func=cmd_link)


def cmd_plan(args) -> int:
    from sandbox.domain.inspection import parse_month
    from sandbox.domain.regions import RegionCode
    from sandbox.store.command.inspection_plan import ensure_plan, plan_rows
    from sandbox.store.db import session_factory

    y, m = parse_month(args.month)
    month = f"{y:04d}-{m:02d}"
    prefix = RegionCode.parse(args.region).prefix if args.region else ""
    with session_factory(data_engine(args))() as session:
        plan, made = ensure_plan(session, month, regenerate=args.regenerate)
        session.commit()
        rows = plan_rows(session, month, prefix)
        kind = "季度交叉巡查 (督查小组不检查本镇)" if plan.cross_inspection else "月督查 (网格化: 小组检查本镇)"
        state = "已生成并保存" if made else f"已于 {beijing(plan.generated_at)} 生成"
        edited = f", {beijing(plan.edited_at)} 调整过" if plan.edited_at else ""
    table = [("村代码", "村", "乡镇", "督查组", "督查小组", "调整")]
    table += [(r.village_code, r.village_name, r.town_name, r.group_name, r.subgroup_name, "是" if r.edited else "")
              for r in rows]
    print(f"{month} 督查计划: {kind}; {state}{edited} (北京时间)")
    print_table(table)
    print(f"共 {len(rows)} 个贫困村, {len({r.subgroup_id for r in rows})} 个督查小组")
    return 0


def cmd_assign(args) -> int:
    from sandbox.domain.inspection import parse_month
    from sandbox.store.command.inspection_plan import assign
    from sandbox.store.db import session_factory

    y, m = parse_month(args.month)
    month = f"{y:04d}-{m:02d}"
    with session_factory(data_engine(args))() as session:
        assign(session, month, args.village, args.subgroup)  # PlanRuleError is a ValueError: printed, exit 2
        session.commit()
    print(f"已改派: {month} 村 {args.village} 由督查小组 {args.subgroup} 检查")
    return 0


def cmd_groups(args) -> int:
    from sqlalchemy import func, select

    from sandbox.store.command.inspection import InspectionGroup, InspectionMember, InspectionSubgroup
    from sandbox.store.db import session_factory
    from sandbox.store.models import Region

    with session_factory(data_engine(args))() as session:
        rows = session.execute(
            select(InspectionSubgroup.id, InspectionGroup.name, InspectionSubgroup.name, Region.name,
                   func.count(InspectionMember.id))
            .join(InspectionGroup, InspectionGroup.id == InspectionSubgroup.group_id)
            .outerjoin(Region, Region.code == InspectionSubgroup.town_code)
            .outerjoin(InspectionMember, InspectionMember.subgroup_id == InspectionSubgroup.id)
            .group_by(InspectionSubgroup.id, InspectionGroup.name, InspectionSubgroup.name, Region.name)
            .order_by(InspectionSubgroup.id)).all()
    table = [("小组编号", "督查组", "督查小组", "所属乡镇", "人数")]
    table += [(str(i), g, s, t or "-", str(n)) for i, g, s, t, n in rows]
    print_table(table)
    print(f"共 {len({r[1] for r in rows})} 个督查组, {len(rows)} 个督查小组, {sum(r[4] for r in rows)} 人")
    return 0


def cmd_link(args) -> int:
    from sandbox.store.command.inspection import InspectionMember
    from sandbox.store.db import session_factory
    from sandbox.store.models import FieldDevice

    with session_factory(data_engine(args))() as session:
        member = session.get(InspectionMember, args.member)
        if member is None:
            raise LookupError(f"没有编号为 {args.member} 的督查小组成员")
        if session.get(FieldDevice, args.device) is None:
            raise LookupError(f"没有编号为 {args.device} 的设备 (见 sandbox cadre devices)")
        member.device_id = args.device
        session.commit()
        print(f"已关联: 成员 {member.name} 使用设备 {args.device} 记录问题、验收整改")
    return 0
