"""Wires the wall: settings → database → the real API (embedded or remote) → client → Qt window; and the kiosk."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.cli_common import raised_by
from sandbox.wall_cli import DEFAULT_INDICATOR

if TYPE_CHECKING:
    from sandbox.settings import Settings

__all__ = ["main", "run_plain_wall", "run_kiosk", "run_kiosk_ui", "run_safe_mode", "DEFAULT_KIOSK_CONFIG"]

DEFAULT_KIOSK_CONFIG = Path(__file__).resolve().parents[1] / "kiosk_config" / "default.toml"

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """`python main.py ARGS`: the one CLI's `sandbox wall ARGS` (sandbox.wall_cli)."""
    from sandbox.cli import main as cli

    return cli(["wall", *(sys.argv[1:] if argv is None else argv)])


def _settings() -> Settings:
    """The deployment's settings, for the embedded API's database and the kiosk's folders: imported only
    then (pydantic-settings and pydantic cost ≈ 0.3 s of a wall's start on a remote API, which needs neither)."""
    from sandbox.settings import Settings

    return Settings()


def _refused_view(client, region: str, year: int | None, indicator: str) -> str | None:
    """Why the API refuses the region, year or indicator asked for (an unknown or malformed code, a year
    outside the data, a token without that region, an indicator it does not know), or None. A typo on
    the command line is the operator's to fix: a wall that came up empty and retried it every half
    minute would only hide it. An API that cannot be reached is not refused: the wall comes up, says
    so, and keeps trying."""
    from sandbox.client.api import ApiError, ApiUnavailable
    from sandbox.ui.loader import describe_error

    try:
        client.region(region, year)
        known = {i.get("key"): i.get("label_zh") for i in client.indicators() if isinstance(i, dict)}
    except ApiUnavailable:
        return None
    except ApiError as exc:
        return describe_error(exc) if 400 <= exc.status < 500 else None
    if known and indicator not in known:
        return f"未知指标 '{indicator}'，可用指标: " + "、".join(f"{k} ({v})" for k, v in known.items())
    return None


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


NO_DISPLAY = "错误: 没有可用的显示器 (未设置 DISPLAY)。在无显示器的机器上可用 --screenshot 文件.png 离屏渲染。"


def run_plain_wall(args) -> int:
    """`sandbox wall` with wall options: the wall (or its screenshot) on the embedded API or on --api."""
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not _has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    url = token = None
    if args.api:
        if not args.token_file or not args.token_file.exists():
            print("错误: 使用 --api 时需要 --token-file 指向存在的令牌文件", file=sys.stderr)
            return 2
        url, token = args.api, args.token_file.read_text().strip()

    from sandbox.client.cache import default_cache_dir, open_cache
    from sandbox.embedded import api_client

    # The wall keeps the last good answers on disk for outages; a screenshot renders fresh data only.
    cache = None if args.screenshot else open_cache(default_cache_dir() / "wall")
    try:
        with api_client(_settings() if url is None else None, url, token or "", cache=cache) as client:
            return _show_wall(client, args)
    except raised_by("sandbox.store.db", "DatabaseUnavailable") as exc:  # the embedded API's database
        print(f"错误: {exc}", file=sys.stderr)
        return 2


def _show_wall(client, args) -> int:
    from sandbox.client.api import ApiError

    region = args.region
    if region is None:
        try:
            region = client.health().get("root_region")
        except ApiError as exc:
            print(f"错误: 无法从 {client.config.base_url} 读取数据范围: {exc.message}", file=sys.stderr)
            return 2
        if not region:
            print("错误: 数据库中还没有数据, 请先运行 sandbox demo build 或导入数据", file=sys.stderr)
            return 2
    # Only what the operator typed can be refused (the root region and the default indicator are
    # the API's own): a plain start makes no extra request.
    asked = args.region is not None or args.year is not None or args.indicator != DEFAULT_INDICATOR
    refused = _refused_view(client, region, args.year, args.indicator) if asked else None
    if refused:
        print(f"错误: {refused}", file=sys.stderr)
        return 2
    # The first level's requests go out now: their answers arrive while Qt and the wall import (≈0.5 s).
    client.prime_first_level(region, args.year)
    # The application next, its font loading on a helper thread while the wall's modules import (issue 19).
    from sandbox.ui.warm import start_application

    start_application(offscreen=bool(args.screenshot))
    from sandbox.ui.wall import run_wall

    if args.screenshot:
        from sandbox.ui.wall_layout import DisplaySpec
        from sandbox.ui.wall_screenshot import render_screenshot

        path = render_screenshot(client, args.screenshot, size=args.size, region=region, year=args.year,
                                 indicator=args.indicator,
                                 display=DisplaySpec(panels=args.panels, bezel_px=max(0, args.bezel_px)))
        print(f"已保存截图: {path}")
        return 0
    return run_wall(client, region=region, year=args.year, indicator=args.indicator, fullscreen=not args.windowed)


# -- the kiosk ----------------------------------------------------------------------------------------------

def _load_kiosk_config(path: Path):
    from sandbox.kiosk.config import load_config
    from sandbox.kiosk.errors import ConfigError

    try:
        return load_config(path)
    except ConfigError as exc:
        print("错误: 大屏配置有误, 未启动:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _kiosk_workdir(settings: Settings, config_path: Path) -> Path:
    import hashlib

    # One folder per config: two walls on one machine never share a heartbeat.
    digest = hashlib.sha1(str(config_path.resolve()).encode()).hexdigest()[:8]
    return settings.data_dir / "kiosk" / f"{config_path.stem}-{digest}"


def _child_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sandbox", "kiosk", *args]


def _child_env() -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])  # run from a checkout that is not pip-installed
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # Few malloc arenas for the UI's worker threads, set before the child starts any (issue 20: memory).
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def _config_problems(path: Path) -> list[str]:
    from sandbox.kiosk.config import load_config
    from sandbox.kiosk.errors import ConfigError

    try:
        load_config(path)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


def show_config_errors(config_path: Path, *, windowed: bool = False, recheck_seconds: float = 5.0) -> bool:
    """The config-error screen until the file is fixed (True) or the screen is closed (False)."""
    from sandbox.ui.kiosk.config_error import ConfigErrorScreen
    from sandbox.ui.kiosk.frame import ScreenPlacement, kiosk_application, place

    app = kiosk_application()
    screen = ConfigErrorScreen(config_path, _config_problems(config_path),
                               recheck=lambda: _config_problems(config_path), recheck_seconds=recheck_seconds)
    fixed: list[bool] = []
    screen.fixed.connect(lambda: (fixed.append(True), screen.shutdown(), screen.close(), app.exit(0)))
    place(screen, ScreenPlacement(0, None, windowed))
    app.exec()
    return bool(fixed)


def run_kiosk(config_path: str | os.PathLike, *, supervised: bool = True, windowed: bool = False) -> int:
    """`sandbox kiosk --config FILE`: check the config, then run the UI under the supervisor (or directly)."""
    config_path = Path(config_path)
    loaded = _load_kiosk_config(config_path)
    if loaded is None:
        # A wall must never go blank: with a screen, say what is wrong there and start once it is fixed.
        if _has_display() and show_config_errors(config_path, windowed=windowed):
            return run_kiosk(config_path, supervised=supervised, windowed=windowed)
        return 2
    if not windowed and not _has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    if not supervised or not loaded.config.watchdog.enabled:
        return run_kiosk_ui(config_path, windowed=windowed)

    from sandbox.kiosk.supervisor import Policy, Supervisor

    settings = _settings()
    if loaded.config.embedded:
        # Build the demo county here, once, so that a UI child starts in seconds, well inside its start timeout.
        from sandbox.server.runtime import prepare_database
        from sandbox.store.db import DatabaseUnavailable

        try:
            prepare_database(settings).dispose()
        except DatabaseUnavailable as exc:
            print(f"错误: {exc}", file=sys.stderr)
            return 2
    extra = ["--windowed"] if windowed else []
    sup = Supervisor(_child_command("--config", str(config_path.resolve()), "--no-supervisor", *extra),
                     _child_command("safe-mode", "--config", str(config_path.resolve()), *extra),
                     Policy.from_section(loaded.config.watchdog), workdir=_kiosk_workdir(settings, config_path),
                     env=_child_env())
    log.info("kiosk: supervising the wall (%s)", config_path)
    return sup.run()


def _kiosk_root(client, cfg) -> tuple[bool, str | None]:
    """(usable, root region) for the config's API. The root region comes from the config, else from
    /health; either live or cached. (True, None): the API is down and the cache has nothing to show (the
    UI then waits on its connecting screen); (False, None): a refusal or a database without data (exit 2)."""
    from sandbox.client.api import ApiError, ApiUnavailable

    try:
        region = _probe_root(client, cfg.api.root_region)()
    except ApiUnavailable as exc:  # and nothing cached for it: the connecting screen, not an exit
        log.warning("central API unreachable at start (%s): waiting for it", exc.message)
        return True, None
    except ApiError as exc:
        region = None
        print(f"错误: 无法从 {client.config.base_url} 读取数据范围: {exc.message}", file=sys.stderr)
    return bool(region), region or None


def _probe_root(client, configured: str | None):
    """For the connecting screen: the root region once the API answers (configured or from /health)."""
    def probe() -> str | None:
        region = configured or client.health().get("root_region")
        if region:
            client.region(region)  # data for it, live or cached: then the wall has something to show
        return region
    return probe


def _tour_for(tour, client, region: str):
    """The configured tour where it tells this wall's story (its county, and the demo's figures only over
    the demo), else a generic tour over the data's own years; the configured one if the API cannot say."""
    from sandbox.client.api import ApiError
    from sandbox.kiosk.tour import county_tour, written_for

    if tour is None:
        return None
    try:
        demo = bool(client.health().get("demo"))
        info = client.region(region)
        years = info.get("years") or []
    except ApiError as exc:
        log.warning("cannot check the tour against the data: %s", exc)
        return tour
    if written_for(tour, region, demo=demo):
        return tour
    log.warning("导览 %s 不适用于本机数据 (其他县或非演示数据), 改用通用导览", tour.title)
    return county_tour(years, str(info.get("level") or "county"))  # a province's wall says 全省


def run_kiosk_ui(config_path: str | os.PathLike, *, windowed: bool = False) -> int:
    """The kiosk UI process: the wall in the locked shell. Exits 0 only when the operator gave the PIN.
    Started while the API is down with nothing cached: a calm connecting screen until it answers."""
    from sandbox.client.cache import default_cache_dir, open_cache
    from sandbox.embedded import api_client
    from sandbox.ui.heap import limit_arenas

    limit_arenas()  # before any thread starts; also when run without the supervisor (which sets MALLOC_ARENA_MAX)
    loaded = _load_kiosk_config(Path(config_path))
    if loaded is None:
        return 2
    cfg = loaded.config
    # The embedded API masks by its token's role: the config's privacy mode ("display" or "delegation").
    url, token = (None, "") if cfg.embedded else (cfg.api.url, loaded.token_file.read_text(encoding="utf-8").strip())
    # One cache directory per privacy mode: a leader wall's cached names never sit beside a delegation's.
    cache = open_cache(default_cache_dir() / cfg.privacy.mode)
    try:
        with api_client(_settings() if url is None else None, url, token, role=cfg.privacy.mode, timeout=cfg.api.timeout_seconds,
                        cache=cache) as client:
            usable, region = _kiosk_root(client, cfg)
            if usable and region:  # the wall's first level is on its way while the shell imports Qt
                client.prime_first_level(region)
            return _run_kiosk_shell(loaded, client, region, windowed) if usable else 2
    except raised_by("sandbox.store.db", "DatabaseUnavailable") as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2


def _run_kiosk_shell(loaded, client, region: str | None, windowed: bool) -> int:
    """The locked shell around the wall (or the connecting screen until the API answers), until it exits."""
    from functools import partial

    from sandbox.client.api import ApiError
    from sandbox.kiosk.config import parse_combo
    from sandbox.kiosk.pin import verify_pin
    from sandbox.kiosk.supervisor import Heartbeat
    from sandbox.ui.kiosk.frame import ExitCombo, ScreenPlacement, kiosk_application, place
    from sandbox.ui.kiosk.heartbeat import HeartbeatEmitter
    from sandbox.ui.kiosk.shell import KioskShell, ShellOptions
    from sandbox.ui.kiosk.snapshot import install_snapshots
    from sandbox.ui.wall import WallWindow

    cfg = loaded.config
    s = cfg.screen
    placement = ScreenPlacement(s.monitor, tuple(s.geometry) if s.geometry else None, s.windowed or windowed)
    mods, key = parse_combo(cfg.exit.combo)
    pin = partial(verify_pin, stored=cfg.exit.pin_hash)
    beat = Heartbeat.from_env()
    shells: list = []
    by_operator: list[bool] = []  # the PIN was given (on the wall or on the connecting screen)
    try:
        app = kiosk_application()

        from sandbox.ui.wall_layout import DisplaySpec

        d = cfg.display

        def start_wall(root: str) -> None:
            wall = WallWindow(client, region=root, retry_seconds=cfg.refresh.retry_seconds, idle_seconds=0,
                              camera_hosts=cfg.cameras.allowed_hosts,
                              display=DisplaySpec(d.layout, d.grid, d.bezel_px, tuple(d.beside_map)))
            tour = _tour_for(loaded.tour, client, root)
            shell = KioskShell(
                wall, home_region=root, verify_pin=pin, steps=tour.steps if tour else (), client=client,
                combo=ExitCombo(mods, key), heartbeat=beat.beat if beat else None,
                options=ShellOptions(idle_seconds=cfg.idle.timeout_seconds,
                                     tour_delay_seconds=cfg.idle.tour_delay_seconds,
                                     tour_loop=cfg.tour.loop, tour_title=tour.title if tour else "",
                                     caption_position=tour.caption_position if tour else "bottom",
                                     tour_on_launch=cfg.tour.start_on_launch,
                                     hide_cursor_after=cfg.cursor.hide_after_seconds,
                                     heartbeat_seconds=cfg.watchdog.heartbeat_seconds,
                                     data_refresh_seconds=cfg.refresh.data_seconds,
                                     health_seconds=cfg.refresh.health_seconds))
            shell.exitRequested.connect(lambda: (by_operator.append(True), shell.close(), app.exit(0)))
            if beat is not None:  # the memory guard's quiet moment (sandbox.kiosk.memory)
                from sandbox.kiosk.memory import Activity

                beat.activity = lambda: Activity(*shell.activity())
            install_snapshots(shell, "wall", partial(_wall_facts, shell))
            shells.append(shell)
            place(shell, placement)

        if region is not None:
            start_wall(region)
        else:
            from sandbox.ui.kiosk.connecting import ConnectingScreen

            waiting = ConnectingScreen(probe=_probe_root(client.clone(), cfg.api.root_region),
                                       retry_seconds=cfg.refresh.retry_seconds, verify_pin=pin,
                                       combo=ExitCombo(mods, key), hide_cursor_after=cfg.cursor.hide_after_seconds)
            pulse = HeartbeatEmitter(beat.beat, cfg.watchdog.heartbeat_seconds, waiting) if beat else None
            if pulse is not None:
                pulse.start()

            def connected(root: str) -> None:
                if pulse is not None:
                    pulse.stop()
                start_wall(root)
                waiting._exiting = True  # noqa: SLF001 - our own screen, closed for good
                waiting.close()

            waiting.connected.connect(connected)
            waiting.exitRequested.connect(lambda: (by_operator.append(True), waiting.close(), app.exit(0)))
            install_snapshots(waiting, "connecting", waiting.lines)
            place(waiting, placement)
            waiting.try_now()
        code = app.exec()
        return 0 if by_operator else (code or 1)  # any other end is a failure the supervisor should see
    except ApiError as exc:  # never a traceback for the API's refusal (the tour check handles outages)
        print(f"错误: {exc.message}", file=sys.stderr)
        return 2


def _wall_facts(shell) -> dict:
    """What the wall shows, for the optional screen report (no names, no figures)."""
    wall = shell.wall
    st = wall.state
    fresh = getattr(shell, "freshness", None)
    return {"region": st.map.region_code or shell.home_region, "has_data": bool(st.has_data),
            "loading": bool(st.loading), "error": st.error, "offline": bool(fresh.offline) if fresh else None,
            "banner": fresh.banner.text() if fresh is not None and fresh.banner.isVisible() else ""}


def run_safe_mode(config_path: str | os.PathLike, *, windowed: bool = False) -> int:
    """The supervisor's safe-mode screen; exits 0 when the operator gives the PIN (the kiosk then stops)."""
    from functools import partial

    from sandbox.kiosk.config import parse_combo
    from sandbox.kiosk.pin import verify_pin
    from sandbox.kiosk.supervisor import read_status

    loaded = _load_kiosk_config(Path(config_path))
    if loaded is None:
        return 2
    cfg = loaded.config
    from sandbox.ui.kiosk.frame import ExitCombo, ScreenPlacement, kiosk_application, place
    from sandbox.ui.kiosk.safe_mode import SafeModeScreen

    app = kiosk_application()
    status_path = Path(os.environ.get("SANDBOX_KIOSK_STATUS", "")) if os.environ.get("SANDBOX_KIOSK_STATUS") else None
    mods, key = parse_combo(cfg.exit.combo)
    screen = SafeModeScreen(status=(lambda: read_status(status_path)) if status_path else dict,
                            verify_pin=partial(verify_pin, stored=cfg.exit.pin_hash), combo=ExitCombo(mods, key),
                            hide_cursor_after=cfg.cursor.hide_after_seconds)
    screen.exitRequested.connect(lambda: (screen.close(), app.exit(0)))
    from sandbox.ui.kiosk.snapshot import install_snapshots

    install_snapshots(screen, "safe-mode", lambda: screen.lines())
    s = cfg.screen
    place(screen, ScreenPlacement(s.monitor, tuple(s.geometry) if s.geometry else None, s.windowed or windowed))
    code = app.exec()
    return 0 if screen.exiting else (code or 1)
