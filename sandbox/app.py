"""Wires the wall: settings → database → the real API (embedded or remote) → client → Qt window."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sandbox.settings import Settings

__all__ = ["main"]

log = logging.getLogger(__name__)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("尺寸格式应为 宽x高, 如 1920x1080") from None
    if not (320 <= w <= 16384 and 240 <= h <= 16384):
        raise argparse.ArgumentTypeError("尺寸超出范围 (320x240 至 16384x16384)")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="main.py", description="扶贫电子沙盘 大屏 (缺省: 内置演示县)")
    p.add_argument("--api", help="中心数据接口地址, 如 http://10.0.0.5:8765 (缺省: 本机内置接口)")
    p.add_argument("--token-file", type=Path, help="访问令牌文件 (与 --api 一起使用)")
    p.add_argument("--screenshot", type=Path, metavar="FILE", help="离屏渲染大屏为 PNG 后退出")
    p.add_argument("--size", type=_size, default=(1920, 1080), metavar="WxH", help="截图尺寸, 缺省 1920x1080")
    p.add_argument("--region", help="区划代码 (缺省: 县)")
    p.add_argument("--year", type=int, help="年份 (缺省: 最新)")
    p.add_argument("--indicator", default="poverty_incidence", help="指标代码 (缺省: 贫困发生率)")
    p.add_argument("--windowed", action="store_true", help="窗口模式 (缺省全屏)")
    return p


def _embedded_api(settings: Settings):
    from sandbox.server.runtime import EmbeddedServer, new_token, prepare_database

    from sandbox.server.simulator import CheckinSimulator

    engine = prepare_database(settings)
    server = EmbeddedServer(engine).start()
    # The demo wall is alive: plausible check-ins arrive through the real POST endpoint.
    server.simulator = CheckinSimulator(engine, server.url, rate_per_minute=6).start()
    token_file = settings.data_dir / "embedded-display.token"
    token = token_file.read_text().strip() if token_file.exists() else ""
    if not token:
        token = new_token(engine, "display", label="内置大屏")
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(token)
        token_file.chmod(0o600)
    return server, token


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        print("错误: 没有可用的显示器 (未设置 DISPLAY)。在无显示器的机器上可用 --screenshot 文件.png 离屏渲染。",
              file=sys.stderr)
        return 2

    from sandbox.client.api import ApiClient, ApiError
    from sandbox.store.db import DatabaseUnavailable

    settings = Settings()
    server = None
    try:
        if args.api:
            if not args.token_file or not args.token_file.exists():
                print("错误: 使用 --api 时需要 --token-file 指向存在的令牌文件", file=sys.stderr)
                return 2
            base, token = args.api, args.token_file.read_text().strip()
        else:
            server, token = _embedded_api(settings)
            base = server.url
            probe = ApiClient(base, token)
            if probe.get_json_status("/indicators") == 401:
                from sandbox.server.runtime import new_token

                token = new_token(server.server.config.app.state.engine, "display", label="内置大屏")
                (settings.data_dir / "embedded-display.token").write_text(token)
            probe.close()
    except DatabaseUnavailable as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2

    from sandbox.ui.wall import render_screenshot, run_wall

    client = ApiClient(base, token)
    region = args.region
    if region is None:
        try:
            region = client.health().get("root_region")
        except ApiError as exc:
            print(f"错误: 无法从 {base} 读取数据范围: {exc.message}", file=sys.stderr)
            return 2
        if not region:
            print("错误: 数据库中还没有数据, 请先运行 sandbox demo build 或导入数据", file=sys.stderr)
            return 2
    try:
        if args.screenshot:
            path = render_screenshot(client, args.screenshot, size=args.size, region=region, year=args.year,
                                     indicator=args.indicator)
            print(f"已保存截图: {path}")
            return 0
        return run_wall(client, region=region, year=args.year, indicator=args.indicator,
                        fullscreen=not args.windowed)
    finally:
        client.close()
        if server is not None:
            server.simulator.stop()
            server.stop()
