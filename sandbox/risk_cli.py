"""`sandbox risk run|rules|backfill-photos`: the risk register from the command line (issue 17)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sandbox.cli_common import data_engine, print_table, settings_for

__all__ = ["register"]


def cmd_run(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.risk.register import run_rules
    from sandbox.store.risk.rules import FAMILIES, load_thresholds

    wanted = [w for part in (args.rules or []) for w in part.split(",") if w.strip()]
    thresholds = {}
    if args.thresholds_dir:
        for family in FAMILIES:
            path = Path(args.thresholds_dir) / f"{family}.toml"
            if path.is_file():
                thresholds[family] = load_thresholds(family, path)
    with session_factory(data_engine(args))() as session:
        runs = run_rules(session, wanted or None, thresholds)
    rows = [("规则", "名称", "命中", "新增", "更新", "不再命中", "用时(秒)", "错误")]
    rows += [(r.rule, r.name, str(r.found), str(r.new), str(r.updated), str(r.cleared), f"{r.seconds:.2f}", r.error or "")
             for r in runs]
    print_table(rows)
    failed = [r for r in runs if r.error]
    if failed:
        print(f"错误: {len(failed)} 条规则未能运行 (其线索保持原样): {'、'.join(r.rule for r in failed)}")
        return 1
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from sandbox.store.db import session_factory
    from sandbox.store.risk.register import precision
    from sandbox.store.risk.rules import all_rules
    from sandbox.store.risk.tables import RiskHit

    with session_factory(data_engine(args))() as session:
        active = dict(session.execute(select(RiskHit.rule, func.count()).where(RiskHit.active.is_(True))
                                      .group_by(RiskHit.rule)).all())
        prec = precision(session)
    rows = [("规则", "名称", "在案线索", "核实属实", "排除", "核查中", "准确率")]
    for r in all_rules().values():
        p = prec.get(r.id)
        rows.append((r.id, r.name, str(active.get(r.id, 0)), str(p.confirmed if p else 0), str(p.excluded if p else 0),
                     str(p.open_cases if p else 0),
                     f"{p.precision:.0%}" if p and p.precision is not None else "—"))
    print_table(rows)
    print("准确率 = 核实属实 ÷ (核实属实 + 排除), 仅计已办结的核查。")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from sandbox.store.db import session_factory
    from sandbox.store.models import Checkin
    from sandbox.store.risk.photo_marks import photo_hash

    directory = settings_for(args).data_dir / "photos"
    done = missing = 0
    with session_factory(data_engine(args))() as session:
        rows = session.scalars(select(Checkin).where(Checkin.photo_hashes.is_(None), Checkin.photos.is_not(None),
                                                     Checkin.photos != "[]"))
        for c in rows:
            try:
                names = [n for n in json.loads(c.photos or "[]") if isinstance(n, str)]
            except ValueError:
                continue
            hashes = []
            for name in names:
                path = directory / Path(name).name  # a stored name, never a path
                if not path.is_file():
                    missing += 1
                    continue
                h = photo_hash(path.read_bytes())
                if h:
                    hashes.append(h)
            if hashes:
                c.photo_hashes = json.dumps(hashes)
                done += 1
        session.commit()
    print(f"已为 {done} 次签到补算照片感知哈希 (照片目录 {directory}); {missing} 张照片文件缺失。"
          "已存储的照片不含 EXIF, 其拍摄时间无法补录。")
    return 0


def register(sub) -> None:
    r = sub.add_parser("risk", help="风险线索: 运行规则、规则准确率、补算照片哈希").add_subparsers(
        dest="risk_command", required=True)
    run = r.add_parser("run", help="运行规则, 结果写入风险线索库 (重复运行更新而不重复; 不再命中的标记为不再命中)")
    run.add_argument("--rules", action="append", metavar="ID,…",
                     help="只运行这些规则或类别 (如 funds 或 checkins.too_fast), 逗号分隔; 缺省全部")
    run.add_argument("--thresholds-dir", metavar="DIR", help="阈值目录: 其中的 <类别>.toml 替代默认阈值")
    run.add_argument("--db")
    run.set_defaults(func=cmd_run)
    ru = r.add_parser("rules", help="列出规则: 在案线索数, 依据已办结核查的准确率")
    ru.add_argument("--db")
    ru.set_defaults(func=cmd_rules)
    b = r.add_parser("backfill-photos", help="为已存储的签到照片补算感知哈希 (同一照片重复使用的规则需要)")
    b.add_argument("--db")
    b.set_defaults(func=cmd_backfill)
