"""`sandbox callbacks list|import`: the month's satisfaction call list for a call centre, and its outcomes back."""

from __future__ import annotations

import argparse

from sandbox.cli_common import data_engine

__all__ = ["add_callbacks_parser"]


def cmd_callbacks_list(args: argparse.Namespace) -> int:
    from sandbox.store.command.callbacks import RECENT_MONTHS
    from sandbox.store.importers.callbacks import export_call_list

    n = export_call_list(data_engine(args), args.out, args.month, region=args.region or "")
    print(f"已导出 {args.month} 回访名单 {args.out}: {n} 户 (按村分层抽样, 近 {RECENT_MONTHS} 个月已回访的户不再抽取)")
    return 0


def cmd_callbacks_import(args: argparse.Namespace) -> int:
    from sandbox.store.importers.callbacks import import_callbacks

    r = import_callbacks(data_engine(args), args.file, strict=args.strict, report_path=args.report)
    print(f"已导入 {r.file}: 新增或更新 {r.imported} 条, 与库中相同 {r.unchanged} 条, 有错误未导入 {r.rejected} 行, "
          f"未回访 (无通话结果) {r.not_called} 行; 重算群众认可度的村 {len(r.villages)} 个")
    if r.report_path:
        print(f"导入报告: {r.report_path}")
    return 1 if r.rejected else 0


def add_callbacks_parser(sub) -> None:
    c = sub.add_parser("callbacks", help="满意度回访: 导出每月回访名单, 导入回访结果").add_subparsers(
        dest="callbacks_command", required=True)
    ls = c.add_parser("list", help="导出某月回访名单 (.xlsx, 交呼叫中心)",
                      description="每个村按脱贫状态分层抽样 (可重复: 同月同数据得到同一名单), 近几个月已接通或拒访的户不抽。")
    ls.add_argument("--month", required=True, metavar="YYYY-MM", help="回访月份, 如 2019-06")
    ls.add_argument("-o", "--out", required=True, metavar="FILE", help="输出 .xlsx 文件")
    ls.add_argument("--region", metavar="CODE", help="只导出该乡镇或村 (区划代码前缀), 缺省全县")
    ls.add_argument("--db")
    ls.set_defaults(func=cmd_callbacks_list)
    im = c.add_parser("import", help="导入呼叫中心填好的回访名单 (通话结果、满意度、原因)",
                      description="逐行检查, 有错的行写入导入报告不导入, 其余导入; 重复导入同一文件不会重复计数。")
    im.add_argument("file", help="回访名单 .xlsx (或 .csv)")
    im.add_argument("--strict", action="store_true", help="有任何一行错误则全部不导入")
    im.add_argument("--report", metavar="FILE", help="导入报告 CSV 的位置, 缺省为文件旁")
    im.add_argument("--db")
    im.set_defaults(func=cmd_callbacks_import)
