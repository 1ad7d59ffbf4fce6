"""The kiosk config (kiosk_config/*.toml): screens, wall layout, API, refresh, idle, tour, privacy, exit PIN, watchdog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sandbox.kiosk.errors import ConfigError, Problem, StrictModel, problem_at, read_toml_model
from sandbox.kiosk.pin import is_pin_hash
from sandbox.kiosk.tour import Tour, load_tour, region_code

__all__ = ["KioskConfig", "LoadedConfig", "load_config", "EMBEDDED", "parse_combo", "WatchdogSection",
           "DisplaySection"]

EMBEDDED = "embedded"
_MODIFIERS = ("ctrl", "alt", "shift", "meta")
_KEY = re.compile(r"^([A-Za-z0-9]|F([1-9]|1[0-2])|Escape|Pause|ScrollLock|Delete|Insert|Home|End)$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(/\d{1,2})?$|^[0-9a-fA-F:]+(/\d{1,3})?$")


def parse_combo(text: str) -> tuple[frozenset[str], str]:
    """"Ctrl+Alt+Shift+Q" → ({"ctrl", "alt", "shift"}, "Q"); ValueError if it is not a safe combination."""
    parts = [p.strip() for p in text.split("+") if p.strip()]
    if not parts:
        raise ValueError("组合键不能为空")
    *mods, key = parts
    mods_l = [m.lower() for m in mods]
    bad = [m for m in mods if m.lower() not in _MODIFIERS]
    if bad:
        raise ValueError(f"未知的修饰键 {', '.join(bad)}; 可用 Ctrl, Alt, Shift, Meta")
    if not _KEY.match(key):
        raise ValueError(f"按键 \"{key}\" 无效; 可用字母、数字、F1-F12")
    if len(set(mods_l)) < 2:  # one modifier is too easy to hit by accident on a touch keyboard
        raise ValueError("组合键至少需要两个修饰键, 如 Ctrl+Alt+Shift+Q")
    return frozenset(mods_l), key.upper() if len(key) == 1 else key


class ApiSection(StrictModel):
    url: str = EMBEDDED  # "embedded": the demo county served in-process; else http(s)://host:port
    token_file: str | None = None  # relative to the config file's folder
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The area the wall shows first, at any level (province "52", prefecture "5227", county "522726", a
    # town's 9 or a village's 12 digits; kept as 12): with it a wall boots while the API is down. None:
    # the API's root region (a county centre's database starts at its county).
    root_region: str | None = None

    @field_validator("root_region", mode="before")
    @classmethod
    def _root_region(cls, v: object) -> str | None:
        if v is None:
            return None
        if not isinstance(v, str):  # an unquoted 52 in TOML is an integer: its leading zeros (if any) are lost
            raise ValueError(f"应为带引号的行政区划代码, 如 \"52\" 或 \"522726\", 实际为 {v!r}")
        return region_code(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v != EMBEDDED and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"应为 \"{EMBEDDED}\" 或 http(s)://主机:端口, 实际为 \"{v}\"")
        return v.rstrip("/")


class ScreenSection(StrictModel):
    monitor: int | str = 0  # a screen's index (0 = primary) or its name as the system reports it (e.g. "HDMI-1")
    geometry: list[int] | None = None  # [x, y, width, height]: one window spanning a video wall
    windowed: bool = False  # a normal window (for setting up); the kiosk is frameless full screen otherwise

    @field_validator("monitor")
    @classmethod
    def _monitor(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 0:
            raise ValueError(f"屏幕序号应不小于 0, 实际为 {v}")
        return v

    @field_validator("geometry")
    @classmethod
    def _geometry(cls, v: list[int] | None) -> list[int] | None:
        if v is None:
            return v
        if len(v) != 4:
            raise ValueError(f"应为 [x, y, 宽, 高] 四个整数, 实际有 {len(v)} 个")
        if v[2] < 320 or v[3] < 240 or v[2] > 32768 or v[3] > 32768:
            raise ValueError(f"宽高超出范围 (320x240 至 32768x32768): {v[2]}x{v[3]}")
        return v


_PANELS = re.compile(r"^([1-9]|1[0-6])x([1-9]|1[0-6])$")


class DisplaySection(StrictModel):
    """How the wall lays itself out on a video wall of panels (see sandbox.ui.wall_layout)."""

    # auto: by the window's aspect (wider than 2.2:1 → wide); standard: map between two columns;
    # wide: panels, map, what `beside_map` names, and the side column, each in whole panels
    layout: Literal["auto", "standard", "wide"] = "auto"
    panels: str | None = None  # "4x2": columns × rows of physical panels (the seams no text may straddle)
    bezel_px: int = Field(default=0, ge=0, le=400)  # pixels hidden behind each seam's bezels
    beside_map: list[Literal["cameras", "funds"]] = ["cameras", "funds"]  # in this order, in the spare panels

    @field_validator("panels")
    @classmethod
    def _panels(cls, v: str | None) -> str | None:
        if v is not None and not _PANELS.match(v.strip().lower().replace("×", "x")):
            raise ValueError(f"应为 \"列x行\" (拼接屏的块数, 各 1-16), 如 \"4x2\", 实际为 \"{v}\"")
        return None if v is None else v.strip().lower().replace("×", "x")

    @field_validator("beside_map")
    @classmethod
    def _beside(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("同一模块不能写两次")
        return v

    @property
    def grid(self) -> tuple[int, int] | None:
        """(columns, rows) of panels, or None."""
        if self.panels is None:
            return None
        c, r = self.panels.split("x")
        return int(c), int(r)


class RefreshSection(StrictModel):
    data_seconds: float = Field(default=300.0, ge=10)  # figures on screen are fetched again this often
    health_seconds: float = Field(default=30.0, ge=2)  # the API is probed this often (offline banner)
    retry_seconds: float = Field(default=30.0, ge=1)  # after a failed fetch


class IdleSection(StrictModel):
    timeout_seconds: float = Field(default=300.0, ge=0)  # no input this long: back to the county, then the tour
    tour_delay_seconds: float = Field(default=5.0, ge=0)  # the county overview stays this long before the tour


class TourSection(StrictModel):
    file: str | None = None  # relative to the config file's folder; none: no tour, idle just goes home
    loop: bool = True
    start_on_launch: bool = False  # play at once rather than after the first idle timeout


class PrivacySection(StrictModel):
    # leader: full names, masked ID numbers (a leader's own wall); display: aggregates, person-level
    # fields masked; delegation: aggregates only, no household lists. The server enforces each
    # through the token's role: in embedded mode the kiosk makes a token of this role.
    mode: Literal["leader", "display", "delegation"] = "display"


class CamerasSection(StrictModel):
    # Hosts whose streams may play besides the API's own: names, "*.domain" or CIDR blocks.
    allowed_hosts: list[str] = []

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        for host in v:
            if not _HOST.match(host):
                shown = re.sub(r"//[^/@]*@", "//***@", host)  # a pasted URL's password stays out of the journal
                raise ValueError(f"不是主机名、*.域名 或网段: \"{shown}\" (不要写协议、端口、账号或路径)")
        return v


class ExitSection(StrictModel):
    pin_hash: str  # from `sandbox kiosk hash-pin`; never the PIN itself
    combo: str = "Ctrl+Alt+Shift+Q"

    @field_validator("pin_hash")
    @classmethod
    def _hash(cls, v: str) -> str:
        if not is_pin_hash(v):
            raise ValueError("不是有效的口令散列; 请用 `sandbox kiosk hash-pin` 生成 (不要填写口令本身)")
        return v

    @field_validator("combo")
    @classmethod
    def _combo(cls, v: str) -> str:
        parse_combo(v)
        return v


class CursorSection(StrictModel):
    hide_after_seconds: float = Field(default=3.0, gt=0)


class WatchdogSection(StrictModel):
    enabled: bool = True
    heartbeat_seconds: float = Field(default=1.0, gt=0, le=10)
    stale_seconds: float = Field(default=10.0, gt=0, le=25)  # a heartbeat older than this: the UI is hung
    start_timeout_seconds: float = Field(default=90.0, gt=0)  # the first heartbeat must come within this
    restart_delay_seconds: float = Field(default=2.0, ge=0, le=15)
    max_restarts: int = Field(default=3, ge=1)  # this many restarts within window_minutes → safe mode
    window_minutes: float = Field(default=30.0, gt=0)
    safe_mode_retry_seconds: float = Field(default=60.0, gt=0)  # first retry from safe mode; doubles each time
    safe_mode_retry_max_seconds: float = Field(default=600.0, gt=0)
    restart_daily_at: str | None = None  # "HH:MM" local time: a planned restart every day (not counted as a crash)
    # The memory guard: a UI whose RSS stays above this many MB is restarted at a quiet moment. "auto":
    # 700 MB for a 1920×1080 window, ≈ 1 GB for 3840×2160 (by its pixels); "off": never.
    memory_limit_mb: int | Literal["auto", "off"] = "auto"
    memory_over_minutes: float = Field(default=10.0, gt=0)  # above the bound this long at a stretch
    memory_quiet_minutes: float = Field(default=5.0, ge=0)  # nobody touched the wall (or steered a tour) this long
    memory_restart_min_hours: float = Field(default=6.0, ge=0)  # at most one memory restart in this long
    # The UI's malloc: "jemalloc" (Debian's libjemalloc2, preloaded by the supervisor; glibc if missing,
    # said once in the log) or "glibc" (issue 20 item 8, README: the soak's A/B).
    allocator: Literal["jemalloc", "glibc"] = "jemalloc"

    @field_validator("memory_limit_mb")
    @classmethod
    def _memory_limit(cls, v: int | str) -> int | str:
        if isinstance(v, int) and not 100 <= v <= 65536:
            raise ValueError(f"应为 100 至 65536 之间的整数 (MB), 或 \"auto\" / \"off\", 实际为 {v}")
        return v

    @field_validator("restart_daily_at")
    @classmethod
    def _hhmm(cls, v: str | None) -> str | None:
        if v is not None and not _HHMM.match(v):
            raise ValueError(f"应为 \"时:分\" (24 小时制), 如 \"04:30\", 实际为 \"{v}\"")
        return v

    @model_validator(mode="after")
    def _within_30s(self) -> WatchdogSection:
        # The promise: a hung or crashed UI is back within 30 s.
        if self.stale_seconds + self.restart_delay_seconds > 28:
            raise ValueError("stale_seconds + restart_delay_seconds 应不大于 28 秒 (30 秒内恢复)")
        return self


class KioskConfig(StrictModel):
    name: str = "扶贫电子沙盘"
    api: ApiSection = ApiSection()
    screen: ScreenSection = ScreenSection()
    display: DisplaySection = DisplaySection()
    refresh: RefreshSection = RefreshSection()
    idle: IdleSection = IdleSection()
    tour: TourSection = TourSection()
    privacy: PrivacySection = PrivacySection()
    cameras: CamerasSection = CamerasSection()
    exit: ExitSection
    cursor: CursorSection = CursorSection()
    watchdog: WatchdogSection = WatchdogSection()

    @property
    def embedded(self) -> bool:
        return self.api.url == EMBEDDED


@dataclass(frozen=True)
class LoadedConfig:
    """A checked config with its files resolved (token file, tour) relative to the config's folder."""

    path: Path
    config: KioskConfig
    token_file: Path | None
    tour_file: Path | None
    tour: Tour | None

    def __getattr__(self, name: str):
        return getattr(self.config, name)


def load_config(path: str | Path) -> LoadedConfig:
    """Read and check a kiosk config and the files it names; ConfigError lists every problem by line and key."""
    path = Path(path)
    cfg, locator = read_toml_model(path, KioskConfig)
    base = path.resolve().parent
    problems: list[Problem] = []

    token_file = None
    if cfg.api.token_file is not None:
        token_file = (base / cfg.api.token_file).resolve()
        if not token_file.is_file():
            problems.append(problem_at(path, locator, ("api", "token_file"), f"令牌文件不存在: {token_file}"))
        else:
            try:
                if not token_file.read_text(encoding="utf-8").strip():
                    problems.append(problem_at(path, locator, ("api", "token_file"), f"令牌文件是空的: {token_file}"))
            except OSError as exc:
                problems.append(problem_at(path, locator, ("api", "token_file"),
                                           f"无法读取令牌文件 {token_file}: {exc.strerror or exc}"))
    elif not cfg.embedded:
        problems.append(problem_at(path, locator, ("api",), "使用远程接口时须填写 token_file (令牌文件)"))

    tour_file, tour = None, None
    if cfg.tour.file is not None:
        tour_file = (base / cfg.tour.file).resolve()
        if not tour_file.is_file():
            problems.append(problem_at(path, locator, ("tour", "file"), f"导览文件不存在: {tour_file}"))
        else:
            try:
                tour = load_tour(tour_file)
            except ConfigError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(path=path, config=cfg, token_file=token_file, tour_file=tour_file, tour=tour)
