"""`sandbox qr ...`: print a village's 利益联结明白卡 and a project's 扶贫信息榜, show a page's address, revoke a slug."""

from __future__ import annotations

import argparse
import sys

from sandbox.cli_common import data_engine

__all__ = ["add_qr_parser"]


def _base_url(args: argparse.Namespace) -> str:
    """Where the printed codes point: --base-url, else SANDBOX_PUBLIC_BASE_URL, else this machine's API
    (said on stderr: a phone cannot reach 127.0.0.1)."""
    from sandbox.settings import Settings

    if args.base_url:
        try:
            return Settings(public_base_url=args.base_url).public_base_url
        except ValueError:
            raise ValueError(f"--base-url 应为 http(s)://主机[:端口][/路径], 不是 {args.base_url!r}") from None
    settings = Settings()
    if settings.public_base_url:
        return settings.public_base_url
    url = f"http://{settings.host}:{settings.port}"
    print(f"提示: 未设置 SANDBOX_PUBLIC_BASE_URL 或 --base-url, 二维码指向 {url}, 只有本机能打开; "
          "正式打印前请设为手机能访问的地址, 如 https://fupin.example.gov.cn", file=sys.stderr)
    return url


def _page_url(base: str, slug: str) -> str:
    return f"{base}/q/{slug}"


def cmd_qr_cards(args: argparse.Namespace) -> int:
    from sandbox.reports.output import check_writable, write_atomically
    from sandbox.server.public.views import site_of, village_cards
    from sandbox.store.db import session_factory
    from sandbox.store.models import Region

    out = check_writable(args.out)  # before anything is read or made
    base = _base_url(args)
    code = (args.village or "").strip()
    with session_factory(data_engine(args))() as session:
        region = session.get(Region, code) if len(code) == 12 and code.isdigit() else None
        if region is None or region.level != "village":
            raise ValueError(f"没有这个村: {code!r} (应为 12 位村级区划代码, 如 522726100201)")
        cards = village_cards(session, code)
        if not cards:
            raise ValueError(f"{region.name} ({code}) 没有与产业项目有利益联结的农户, 没有明白卡可打印; 未生成文件")
        session.commit()  # slugs made for households linked since the last print: before they are printed
        site = site_of(session)
        parent = session.get(Region, region.parent_code) if region.parent_code else None
    from sandbox.reports.cards import render_cards

    village = f"{parent.name} {region.name}" if parent is not None and parent.level == "town" else region.name
    pages = []
    size = write_atomically(out, lambda path: pages.append(render_cards(
        path, cards, lambda slug: _page_url(base, slug), county=site.county, village=village, as_of=site.as_of,
        demo=site.demo)))
    print(f"已生成 {village} 利益联结明白卡 {len(cards)} 张 ({pages[0]} 页 A4, 每页 4 张 A6): {out} ({size // 1024} KB)")
    print(f"二维码指向 {base}/q/…", file=sys.stderr)
    return 0


def cmd_qr_board(args: argparse.Namespace) -> int:
    from sandbox.domain.public import SlugKind
    from sandbox.reports.output import check_writable, write_atomically
    from sandbox.server.public.views import project_view, site_of
    from sandbox.store.db import session_factory
    from sandbox.store.public import ensure_slugs

    out = check_writable(args.out)
    base = _base_url(args)
    with session_factory(data_engine(args))() as session:
        slug = None
        view = project_view(session, args.project, "")
        if view is None:
            raise ValueError(f"没有编号为 {args.project} 的项目 (项目编号见大屏的项目卡片或 /api/v1/projects)")
        slug = ensure_slugs(session, SlugKind.project, [args.project])[args.project]
        session.commit()
        view.slug = slug
        site = site_of(session)
    from sandbox.reports.board import render_board

    url = _page_url(base, slug)
    size = write_atomically(out, lambda path: render_board(path, view, url, county=site.county, as_of=site.as_of,
                                                           demo=site.demo, paper=args.paper))
    print(f"已生成 {view.name} 扶贫信息榜 ({args.paper}): {out} ({size // 1024} KB); 二维码指向 {url}")
    return 0


def cmd_qr_url(args: argparse.Namespace) -> int:
    from sandbox.domain.public import SlugKind
    from sandbox.store.db import session_factory
    from sandbox.store.public import ensure_slugs, subject_exists

    if (args.project is None) == (args.household is None):
        raise ValueError("请给出 --project 项目编号 或 --household 户编号 其中之一")
    kind = SlugKind.project if args.project is not None else SlugKind.household
    subject = args.project if args.project is not None else args.household
    base = _base_url(args)
    with session_factory(data_engine(args))() as session:
        if not subject_exists(session, kind, subject):
            raise ValueError(f"没有编号为 {subject} 的{kind.label_zh}")
        slug = ensure_slugs(session, kind, [subject])[subject]
        session.commit()
    print(_page_url(base, slug))
    return 0


def cmd_qr_revoke(args: argparse.Namespace) -> int:
    from sandbox.store.db import session_factory
    from sandbox.store.public import revoke_slug, slug_info

    with session_factory(data_engine(args))() as session:
        done = revoke_slug(session, args.slug)
        if done is None:
            raise ValueError(f"没有这个二维码编号: {args.slug!r} (即公示页地址 /q/ 后面的部分)")
        row = slug_info(session, args.slug)
        session.commit()
    what = "项目" if row.kind == "project" else "农户"
    if done:
        print(f"已停用二维码 {args.slug} ({what} {row.subject_id}): 公示页立即不再打开; "
              "重新打印该村明白卡或信息榜时会生成新的二维码")
    else:
        print(f"二维码 {args.slug} 早已停用, 无变化")
    return 0


def _id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数编号, 不是 {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数编号, 不是 {text!r}")
    return value


def add_qr_parser(sub) -> None:
    q = sub.add_parser("qr", help="公示二维码: 打印明白卡、信息榜, 停用二维码").add_subparsers(dest="qr_command",
                                                                                 required=True)
    base_help = "二维码指向的网址前缀 (缺省: SANDBOX_PUBLIC_BASE_URL, 再缺省为本机接口地址)"
    c = q.add_parser("cards", help="打印一个村的利益联结明白卡 (A4, 每页 4 张 A6, 带二维码)",
                     description="为该村每一户与产业项目有利益联结的农户生成一张明白卡: 户主 (脱敏)、帮扶责任人及电话、"
                                 "联结项目与年收益、公示页二维码。没有二维码的农户当场生成。")
    c.add_argument("--village", required=True, metavar="CODE", help="村的 12 位区划代码")
    c.add_argument("-o", "--out", required=True, metavar="FILE", help="输出 PDF 文件")
    c.add_argument("--base-url", help=base_help)
    c.add_argument("--db")
    c.set_defaults(func=cmd_qr_cards)
    b = q.add_parser("board", help="打印项目现场的扶贫信息榜 (A3 海报, 带二维码)")
    b.add_argument("--project", required=True, type=_id, metavar="ID", help="项目编号")
    b.add_argument("-o", "--out", required=True, metavar="FILE", help="输出 PDF 文件")
    b.add_argument("--paper", choices=["A3", "A4"], default="A3", help="纸张, 缺省 A3")
    b.add_argument("--base-url", help=base_help)
    b.add_argument("--db")
    b.set_defaults(func=cmd_qr_board)
    u = q.add_parser("url", help="显示一个项目或农户的公示页地址 (没有二维码时生成)")
    u.add_argument("--project", type=_id, metavar="ID")
    u.add_argument("--household", type=_id, metavar="ID", help="户的内部编号 (接口 /api/v1/households 的 id)")
    u.add_argument("--base-url", help=base_help)
    u.add_argument("--db")
    u.set_defaults(func=cmd_qr_url)
    r = q.add_parser("revoke", help="停用一个二维码 (如明白卡丢失或信息有误), 立即生效")
    r.add_argument("slug", help="二维码编号: 公示页地址 /q/ 后面的部分")
    r.add_argument("--db")
    r.set_defaults(func=cmd_qr_revoke)
