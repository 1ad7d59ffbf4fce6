"""`sandbox user create|list|reset`: staff accounts of the console, on the server (always works: no one is locked out)."""

from __future__ import annotations

import argparse
import getpass

from sandbox.cli_common import beijing, data_engine, print_table

__all__ = ["register"]


def register(sub) -> None:
    """Adds the `user` sub-command group to the top-level parser's sub-parsers."""
    u = sub.add_parser("user", help="管理后台的人员账号: 新建、列出、重置密码 (在服务器上运行)") \
        .add_subparsers(dest="user_command", required=True)
    c = u.add_parser("create", help="新建账号, 输出初始密码 (首次登录须修改)")
    c.add_argument("name", help="用户名, 如 zhangsan")
    c.add_argument("--admin", action="store_true", help="管理员 (等同 --role admin)")
    c.add_argument("--role", default="leader", choices=["admin", "leader", "display"], help="角色, 缺省 leader")
    c.add_argument("--display-name", help="姓名, 如 张三")
    c.add_argument("--region", help="辖区区划代码 (缺省: 全县)")
    c.add_argument("--db")
    c.set_defaults(func=cmd_create)
    ls = u.add_parser("list", help="列出账号: 角色、辖区、是否锁定、最近登录")
    ls.add_argument("--db")
    ls.set_defaults(func=cmd_list)
    r = u.add_parser("reset", help="重置密码 (输出新的初始密码), 同时解锁并清除动态验证码")
    r.add_argument("name")
    r.add_argument("--db")
    r.set_defaults(func=cmd_reset)


def _log(session, what: str, subject: str, detail: str) -> None:
    from sandbox.store.office import access_log

    access_log.append(session, actor=f"服务器命令行 ({getpass.getuser()})", role="admin", action=access_log.CHANGE,
                      what=what, subject=subject, channel="cli", detail=detail)


def cmd_create(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.office.accounts import create_account

    role = "admin" if args.admin else args.role
    with session_factory(data_engine(args))() as session:
        account, password = create_account(session, args.name, role=role, display_name=args.display_name,
                                           region=args.region)
        _log(session, "account", account.username, f"新建账号, 角色 {role}")
        session.commit()
    print(f"已新建账号 {args.name} (角色 {role}{', 辖区 ' + args.region if args.region else ''}); "
          "初始密码只显示这一次, 首次登录须修改:")
    print(password)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.office.accounts import list_accounts
    from sandbox.store.tokens import utcnow

    now = utcnow()
    rows = [("用户名", "姓名", "角色", "辖区", "状态", "双重验证", "最近登录")]
    with session_factory(data_engine(args))() as session:
        accounts = list_accounts(session)
        for a in accounts:
            state = (f"锁定至 {beijing(a.locked_until)}" if a.locked_until and a.locked_until > now
                     else "待首次改密" if a.must_change_password else "正常")
            rows.append((a.username, a.display_name, a.role, a.region_code or "全县", state,
                         "已开启" if a.totp_secret else "-", beijing(a.last_login_at)))
    print_table(rows)
    print(f"共 {len(accounts)} 个账号 (时间为北京时间)")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.office.accounts import reset_account

    with session_factory(data_engine(args))() as session:
        password = reset_account(session, args.name)
        _log(session, "account", args.name, "重置密码、解锁、清除动态验证码")
        session.commit()
    print(f"已重置账号 {args.name}: 已解锁, 动态验证码已清除; 新的初始密码只显示这一次, 登录后须修改:")
    print(password)
    return 0
