"""The display's sub-commands of the one CLI: `sandbox wall` (what `python main.py` runs) and `sandbox kiosk`.

Plain Python: the Qt wiring (sandbox.app) is imported only when a wall or kiosk actually starts."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

__all__ = ["add_display_parsers", "DEFAULT_INDICATOR", "WALL_OPTIONS"]

DEFAULT_INDICATOR = "poverty_incidence"
# Options that ask for the plain wall; without any of them (and with no --config) `main.py` runs the kiosk.
WALL_OPTIONS = ("screenshot", "api", "region", "year", "windowed")


def add_display_parsers(sub) -> None:
    _add_wall_parser(sub)
    _add_kiosk_parser(sub)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("尺寸格式应为 宽x高, 如 1920x1080") from None
    if not (320 <= w <= 16384 and 240 <= h <= 16384):
        raise argparse.ArgumentTypeError("尺寸超出范围 (320x240 至 16384x16384)")
    return w, h


def _region(text: str) -> str:
    """A division code at any level, padded to 12 digits as the API pads it; a malformed one is left for
    the API to refuse (one Chinese line, exit 2, see sandbox.app._refused_view)."""
    from sandbox.domain.regions import InvalidRegionCode, RegionCode

    try:
        return RegionCode.parse(text).value
    except InvalidRegionCode:
        return text


def _panels(text: str) -> tuple[int, int]:
    try:
        c, r = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为 列x行, 如 4x2, 实际为 {text!r}") from None
    if not (1 <= c <= 16 and 1 <= r <= 16):
        raise argparse.ArgumentTypeError(f"拼接屏块数超出范围 (1-16): {text!r}")
    return c, r


def _add_wall_parser(sub) -> None:
    p = sub.add_parser("wall", help="大屏 (缺省: 内置演示县的 kiosk); 即 python main.py",
                       description="扶贫电子沙盘 大屏 (缺省: 内置演示县)。python main.py 的参数与此相同。")
    p.add_argument("--api", help="中心数据接口地址, 如 http://10.0.0.5:8765 (缺省: 本机内置接口)")
    p.add_argument("--token-file", type=Path, help="访问令牌文件 (与 --api 一起使用)")
    p.add_argument("--screenshot", type=Path, metavar="FILE", help="离屏渲染大屏为 PNG 后退出")
    p.add_argument("--size", type=_size, default=(1920, 1080), metavar="WxH", help="截图尺寸, 缺省 1920x1080")
    p.add_argument("--region", type=_region, help="首屏区划代码, 任一级: 省 52、市州 5227、县 522726、乡镇 9 位或村 12 位 "
                   "(缺省: 数据的根区域, 县级中心即本县)")
    p.add_argument("--year", type=int, help="年份 (缺省: 最新)")
    p.add_argument("--indicator", default=DEFAULT_INDICATOR, help="指标代码 (缺省: 贫困发生率)")
    p.add_argument("--windowed", action="store_true", help="窗口模式 (缺省全屏)")
    p.add_argument("--panels", type=_panels, metavar="CxR", help="截图按拼接屏排版: 列x行块屏, 如 4x2 (文字不跨拼缝)")
    p.add_argument("--bezel-px", type=int, default=0, metavar="N", help="每条拼缝被边框遮住的像素 (与 --panels 一起使用)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="大屏 (kiosk) 配置文件; 不带任何参数时使用 kiosk_config/default.toml (内置演示县)")
    p.add_argument("--no-supervisor", action="store_true", help="不经看门狗, 直接运行大屏 (调试用)")
    p.set_defaults(func=cmd_wall)


def cmd_wall(args: argparse.Namespace) -> int:
    """The kiosk on kiosk_config/default.toml under its supervisor; with wall options (--screenshot,
    --api, --region, --year, --windowed) and no --config, the plain wall."""
    from sandbox import app

    if args.config is not None or args.no_supervisor or not any(getattr(args, k) for k in WALL_OPTIONS):
        if args.screenshot or args.api:
            print("错误: --screenshot / --api 不能与 --config 同时使用 (接口地址写在配置文件的 [api] 中)",
                  file=sys.stderr)
            return 2
        return app.run_kiosk(args.config or app.DEFAULT_KIOSK_CONFIG, supervised=not args.no_supervisor,
                             windowed=args.windowed)
    return app.run_plain_wall(args)


def cmd_kiosk(args: argparse.Namespace) -> int:
    from sandbox.app import DEFAULT_KIOSK_CONFIG, run_kiosk, run_kiosk_ui, run_safe_mode

    config = args.config or DEFAULT_KIOSK_CONFIG
    if args.kiosk_command == "check":
        return cmd_kiosk_check(args.file)
    if args.kiosk_command == "hash-pin":
        return cmd_kiosk_hash_pin(args)
    if args.kiosk_command == "safe-mode":
        return run_safe_mode(config, windowed=args.windowed)
    if args.no_supervisor:
        return run_kiosk_ui(config, windowed=args.windowed)
    return run_kiosk(config, windowed=args.windowed)


def cmd_kiosk_check(path: Path) -> int:
    from sandbox.kiosk.config import load_config
    from sandbox.kiosk.errors import ConfigError

    try:
        loaded = load_config(path)
    except ConfigError as exc:
        print(f"配置有误 ({len(exc.problems)} 处):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    cfg = loaded.config
    api = "内置演示接口" if cfg.embedded else f"{cfg.api.url} (令牌文件 {loaded.token_file})"
    screen = (f"跨屏区域 {cfg.screen.geometry}" if cfg.screen.geometry else f"屏幕 {cfg.screen.monitor}")
    tour = (f"{loaded.tour_file.name}: {len(loaded.tour.steps)} 步, 约 {loaded.tour.seconds / 60:.1f} 分钟"
            if loaded.tour else "无")
    print(f"配置正确: {path}\n  接口: {api}\n  显示: {screen}\n  空闲 {cfg.idle.timeout_seconds:.0f} 秒后回到全县"
          f"\n  导览: {tour}\n  隐私模式: {cfg.privacy.mode}\n  退出组合键: {cfg.exit.combo}")
    return 0


def cmd_kiosk_hash_pin(args: argparse.Namespace) -> int:
    from sandbox.kiosk.pin import PIN_RULE, hash_pin, valid_pin

    if args.stdin or not sys.stdin.isatty():
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("新的退出口令 (4-12 位数字): ")
        if getpass.getpass("再输入一次: ") != pin:
            print("错误: 两次输入不一致", file=sys.stderr)
            return 2
    if not valid_pin(pin):
        print(f"错误: {PIN_RULE}", file=sys.stderr)
        return 2
    print("# 写入大屏配置的 [exit] 段:", file=sys.stderr)
    print(f'pin_hash = "{hash_pin(pin)}"')
    return 0


def _add_kiosk_parser(sub) -> None:
    k = sub.add_parser("kiosk", help="大屏 (kiosk): 全屏、导览、看门狗",
                       description="以 kiosk 方式运行大屏: 无边框全屏, 隐藏光标, 空闲时回到全县并播放导览, "
                                   "只有退出组合键加管理口令才能退出; 界面由看门狗进程守护, 崩溃或无响应时自动重启。")
    k.add_argument("--config", type=Path, metavar="FILE", help="配置文件 (缺省: kiosk_config/default.toml, 内置演示县)")
    k.add_argument("--no-supervisor", action="store_true", help="不经看门狗, 直接运行界面 (调试用)")
    k.add_argument("--windowed", action="store_true", help="窗口模式 (调试用)")
    k.set_defaults(func=cmd_kiosk, kiosk_command=None)
    ks = k.add_subparsers(dest="kiosk_command", metavar="{check,hash-pin}")
    c = ks.add_parser("check", help="检查配置文件 (及其导览文件), 逐条列出错误所在的行和配置项")
    c.add_argument("file", type=Path)
    h = ks.add_parser("hash-pin", help="生成退出口令的散列 (写入配置 [exit] pin_hash; 配置中不保存口令本身)")
    h.add_argument("--stdin", action="store_true", help="从标准输入读取口令 (脚本用)")
    sm = ks.add_parser("safe-mode")  # the supervisor's calm screen; not for people to type
    # The supervisor puts its options after the sub-command: accept them there too. SUPPRESS keeps
    # the sub-parser from overwriting a value given before it.
    sm.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    sm.add_argument("--windowed", action="store_true", default=argparse.SUPPRESS)
