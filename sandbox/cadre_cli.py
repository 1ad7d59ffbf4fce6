"""`sandbox cadre invite|devices|revoke`: enrol a cadre's (or a leader's) phone by a one-time link, list and revoke devices."""

from __future__ import annotations

from sandbox.cli_common import beijing, data_engine, positive_int, print_table, settings_for

__all__ = ["register"]


def register(sub) -> None:
    """Adds the `cadre` sub-command group to the top-level parser's sub-parsers."""
    c = sub.add_parser("cadre", help="帮扶干部手机端: 邀请绑定、设备列表、吊销设备") \
        .add_subparsers(dest="cadre_command", required=True)
    i = c.add_parser("invite", help="生成一次性邀请链接 (72 小时内有效), 手机打开即绑定; 可另存为二维码")
    i.add_argument("--cadre", type=positive_int, help="帮扶干部编号")
    i.add_argument("--leader", action="store_true", help="为领导生成邀请 (须 --region 给出辖区)")
    i.add_argument("--region", help="领导的辖区: 县、乡镇或村的区划代码")
    i.add_argument("--label", help="领导邀请的备注, 如姓名与职务")
    i.add_argument("--qr", help="另存二维码图片 (.png)")
    i.add_argument("--base-url", help="手机访问本接口的地址 (缺省: SANDBOX_PUBLIC_BASE_URL, 或 http://主机:端口)")
    i.add_argument("--db")
    i.set_defaults(func=cmd_invite)
    d = c.add_parser("devices", help="列出已绑定的手机: 干部、绑定时间、最近使用、是否吊销")
    d.add_argument("--cadre", type=positive_int, help="只列出该干部的设备")
    d.add_argument("--db")
    d.set_defaults(func=cmd_devices)
    r = c.add_parser("revoke", help="吊销设备 (丢失的手机), 立即生效")
    r.add_argument("device", nargs="?", type=positive_int, help="设备编号 (见 sandbox cadre devices)")
    r.add_argument("--cadre", type=positive_int, help="吊销该干部的所有设备")
    r.add_argument("--db")
    r.set_defaults(func=cmd_revoke)


def cmd_invite(args) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.field import INVITE_TTL, create_invite

    if args.leader == (args.cadre is not None):
        raise ValueError("请给出 --cadre 干部编号, 或 --leader --region 辖区代码 其中之一")
    settings = settings_for(args)
    base = (args.base_url or settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"--base-url 应以 http:// 或 https:// 开头, 不是 {base!r}")
    with session_factory(data_engine(args))() as session:
        plain, invite = create_invite(session, "leader" if args.leader else "cadre", args.cadre, args.region,
                                      args.label)
        link = f"{base}/m/#invite={plain}"
        if args.qr:  # written before the commit: an unwritable path leaves no invite behind
            import segno

            segno.make(link, error="m").save(args.qr, scale=8, border=4)
        session.commit()
        who = f"帮扶干部 {args.cadre} ({invite.label})" if not args.leader else f"领导 {invite.label or ''} (辖区 {invite.region_code})"
    print(f"已为{who}生成邀请, {INVITE_TTL.days * 24} 小时内有效, 只能绑定一部手机 (到期 {beijing(invite.expires_at)} 北京时间)")
    if args.qr:
        print(f"二维码已保存: {args.qr}")
    print(link)
    return 0


def cmd_devices(args) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.field import list_devices

    with session_factory(data_engine(args))() as session:
        devices = list_devices(session, args.cadre)
    rows = [("设备", "干部", "姓名", "角色", "辖区", "绑定", "最近使用", "状态", "浏览器")]
    for d in devices:
        state = f"已吊销 {beijing(d.revoked_at)}" if d.revoked_at else "有效"
        rows.append((str(d.id), str(d.cadre_id or "-"), d.name or "-", d.role, d.region_code or "-",
                     beijing(d.enrolled_at), beijing(d.last_used_at), state, (d.user_agent or "-")[:40]))
    print_table(rows)
    print(f"共 {len(devices)} 部设备 (时间为北京时间)")
    return 0


def cmd_revoke(args) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.field import revoke_devices

    if (args.device is None) == (args.cadre is None):
        raise ValueError("请给出设备编号或 --cadre 干部编号 其中之一 (设备编号见 sandbox cadre devices)")
    with session_factory(data_engine(args))() as session:
        revoked = revoke_devices(session, args.device, args.cadre)
        session.commit()
    if revoked:
        print(f"已吊销设备 {', '.join(map(str, revoked))}; 该手机的下一次请求即被拒绝")
    else:
        print("设备早已吊销, 无变化")
    return 0
