"""`sandbox brief --region CODE --year Y -o brief.pdf`: the 村情/镇情 briefing an inspection group takes along."""

from __future__ import annotations

import argparse

from sandbox.cli_common import data_engine

__all__ = ["add_brief_parser"]

ROLES = ("leader", "admin", "display", "delegation")


def cmd_brief(args: argparse.Namespace) -> int:
    from sandbox.domain.enums import Role
    from sandbox.domain.regions import InvalidRegionCode, RegionCode
    from sandbox.reports.output import check_writable, write_atomically
    from sandbox.server.command.brief import brief_pdf, gather_brief
    from sandbox.server.core.geometry import GeometryCache
    from sandbox.store import queries
    from sandbox.store.db import session_factory

    out = check_writable(args.out)  # before anything is read
    try:
        rc = RegionCode.parse((args.region or "").strip())
    except InvalidRegionCode as exc:
        raise ValueError(f"区划代码无效: {exc}") from None
    with session_factory(data_engine(args))() as session:
        region = queries.get_region(session, rc)
        if region is None:
            raise ValueError(f"没有这个地区: {rc.value} (县 522726, 乡镇 522726xxx000, 村 12 位代码)")
        years = queries.years(session)
        year = args.year if args.year is not None else (years[-1] if years else None)
        if years and year not in years:
            raise ValueError(f"年份 {year} 超出数据范围 {years[0]}-{years[-1]}; 未生成文件")
        data = gather_brief(session, rc, region, year, Role(args.role), GeometryCache())
    pages = []
    size = write_atomically(out, lambda path: pages.append(_write(path, brief_pdf(data))))
    print(f"已生成 {data.name} {data.level_zh}情简报 ({year or '—'} 年, 按「{data.role_zh}」权限脱敏, "
          f"{pages[0]} 页): {out} ({max(1, size // 1024)} KB)")
    return 0


def _write(path: str, pdf: tuple[bytes, int]) -> int:
    with open(path, "wb") as f:
        f.write(pdf[0])
    return pdf[1]


def add_brief_parser(sub) -> None:
    b = sub.add_parser("brief", help="生成村情/镇情简报 PDF (督查组随身携带)",
                       description="指标及截至时间、下辖地区分布图、贫困发生率趋势、两不愁三保障短板、"
                                   "待办督办事项 (督查问题、整改、投诉、指令)、未脱贫户名单 (按 --role 脱敏)。")
    b.add_argument("--region", required=True, metavar="CODE", help="县、乡镇或村的区划代码")
    b.add_argument("--year", type=int, help="年份 (年末数据), 缺省为最新年份")
    b.add_argument("-o", "--out", required=True, metavar="FILE", help="输出 PDF 文件")
    b.add_argument("--role", choices=ROLES, default="leader",
                   help="按哪个角色的权限脱敏, 缺省 leader (全名, 身份证号脱敏); delegation 不含户级信息")
    b.add_argument("--db")
    b.set_defaults(func=cmd_brief)
