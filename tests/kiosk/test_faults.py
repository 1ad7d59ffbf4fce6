"""Fault injection on the real `sandbox kiosk` under its supervisor (offscreen), against a real `sandbox serve`:
the UI killed and hung, the API killed, hung and absent at boot, the cache unwritable, the data disk full.
Each test reads the windows' own screen reports (PNG + JSON, SANDBOX_KIOSK_SNAPSHOT_DIR)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.kiosk.conftest import COUNTY
from tests.kiosk.faults import ApiProcess, KioskProcess, free_port, kiosk_config, wait_for

BOOT = 90  # a UI child's start on a loaded 2-core CI machine: imports, first frame, first data


@pytest.fixture(scope="module")
def display_token(demo_engine) -> str:
    from sandbox.server.runtime import new_token

    return new_token(demo_engine, "display")


@pytest.fixture
def api(db_url, tmp_path):
    made: list[ApiProcess] = []

    def make(start: bool = True) -> ApiProcess:
        p = ApiProcess(db_url, free_port(), tmp_path / f"api-{len(made)}.log")
        made.append(p)
        return p.start() if start else p

    yield make
    for p in made:
        if p.proc is not None:
            p.resume() if p.proc.poll() is None else None
        p.kill()


@pytest.fixture
def kiosk(tmp_path, pin_hash, display_token):
    made: list[KioskProcess] = []

    def make(api_url: str, name: str = "k", env: dict | None = None, **cfg) -> KioskProcess:
        folder = tmp_path / name
        config = kiosk_config(folder, pin_hash, api_url=api_url, token=display_token, **cfg)
        k = KioskProcess(config, folder, **(env or {}))
        made.append(k)
        return k.start()

    yield make
    for k in made:
        k.stop()


def _qimage(path):
    from PySide6.QtGui import QImage

    img = QImage(str(path))
    assert not img.isNull(), f"no picture at {path}"
    return img


def _share_of(img, test, band: tuple[float, float] = (0.0, 1.0), step: int = 3) -> float:
    """The share of pixels in a horizontal band (fractions of the height) for which test(QColor) holds."""
    h, w = img.height(), img.width()
    hits = total = 0
    for y in range(int(h * band[0]), int(h * band[1]), step):
        for x in range(0, w, step):
            total += 1
            hits += bool(test(img.pixelColor(x, y)))
    return hits / max(1, total)


def test_the_ui_killed_four_times_brings_the_safe_mode_screen_not_black(kiosk):
    # No API at all: the children are killed as soon as they start, the API plays no part.
    k = kiosk(f"http://127.0.0.1:{free_port()}", root_region=COUNTY)
    killed: set[int] = set()

    def kill_new() -> bool:
        for pid in k.ui_pids():
            if pid not in killed:
                killed.add(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return len(killed) >= 4

    wait_for(kill_new, BOOT, "four UI children started and killed", every=0.05)
    shown = wait_for(lambda: k.facts("safe-mode"), 60, "the safe-mode screen's report")
    assert shown["title"] == "系统正在恢复"
    assert "界面进程异常退出" in shown["error"] and "SIGKILL" in shown["error"]
    assert "下次尝试恢复" in shown["retry"]
    time.sleep(2)
    assert "safe_mode_crash" not in k.text(), "the safe-mode child itself failed"
    img = _qimage(k.snapshots / "safe-mode.png")
    # The calm screen's pixels: not black, the title in the accent colour, the clock in light text.
    accent = _share_of(img, lambda c: c.blue() > 200 and c.green() > 150 and c.red() < 120, band=(0.44, 0.54))
    light = _share_of(img, lambda c: c.lightness() > 180, band=(0.15, 0.30))
    dark_everywhere = _share_of(img, lambda c: c.lightness() < 8)
    assert accent > 0.005 and light > 0.01 and dark_everywhere < 0.5, (accent, light, dark_everywhere)


def test_a_wall_booted_while_the_api_is_absent_waits_calmly_and_comes_up_when_it_returns(kiosk, api):
    server = api(start=False)
    k = kiosk(server.url)  # no root region in the config, nothing cached
    waiting = wait_for(lambda: k.facts("connecting"), BOOT, "the connecting screen")
    assert waiting["title"] == "正在连接中心数据接口"
    img = _qimage(k.snapshots / "connecting.png")
    assert _share_of(img, lambda c: c.blue() > 200 and c.green() > 150 and c.red() < 120, band=(0.44, 0.54)) > 0.005
    time.sleep(3)
    assert len(k.ui_pids()) == 1, "the waiting UI was restarted"
    server.start()
    back = time.monotonic()
    wait_for(lambda: k.wall_with_data(), 60, "the wall with data after the API came up")
    print(f"\nAPI absent at boot: data {time.monotonic() - back:.1f} s after the API answered")
    assert len(k.ui_pids()) == 1 and "safe_mode" not in k.text()


def test_an_unwritable_cache_folder_runs_the_wall_without_a_cache(kiosk, api, tmp_path):
    server = api()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    k = kiosk(server.url, env={"SANDBOX_CACHE_DIR": str(blocker / "cache")})
    wait_for(lambda: k.wall_with_data(), BOOT, "the wall with data")
    assert len(k.ui_pids()) == 1
    assert k.text().count("running without an offline cache") == 1


def _mount_tmpfs(where, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_full_data_disk_does_not_stop_a_healthy_wall(kiosk, api, tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "256k"):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        server = api()
        (disk / "data").mkdir()
        with open(disk / "filler", "wb", buffering=0) as f:  # fill it up: every write of the kiosk now fails
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        k = kiosk(server.url, env={"SANDBOX_DATA_DIR": str(disk / "data"), "SANDBOX_CACHE_DIR": str(disk / "cache")},
                  start_timeout=30)
        wait_for(lambda: k.wall_with_data(), BOOT, "the wall with data")
        # Past the start timeout (a heartbeat that never arrives) and well past the stale time.
        time.sleep(max(12.0, 33 - (time.monotonic() - k.started)))
        assert len(k.ui_pids()) == 1, "the healthy UI was killed: " + k.text()[-2000:]
        # The same UI still shows data (a refresh may be under way at any one instant: wait it out).
        wait_for(lambda: k.wall_with_data(pid=k.ui_pids()[0]), 20, "the same wall still with data")
        assert len(k.ui_pids()) == 1, "the healthy UI was killed: " + k.text()[-2000:]
        # A persistent fault says so once, not every few seconds.
        assert k.text().count("cannot write") <= 2
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_api_killed_then_hung_the_banner_comes_and_goes_and_a_hung_ui_is_replaced(kiosk, api):
    server = api()
    k = kiosk(server.url)
    wait_for(lambda: k.wall_with_data(), BOOT, "the wall with data")
    figures = {}

    def banner(on: bool):
        return lambda: (("离线" in k.facts("wall").get("banner", "")) == on)

    server.kill()
    t = time.monotonic()
    wait_for(banner(True), 60, "the offline banner")
    figures["killed → banner"] = time.monotonic() - t
    server.start()
    t = time.monotonic()
    wait_for(banner(False), 60, "the banner cleared")
    figures["back → banner cleared"] = time.monotonic() - t
    server.pause()
    t = time.monotonic()
    wait_for(banner(True), 60, "the offline banner (hung API)")
    figures["hung → banner"] = time.monotonic() - t
    server.resume()
    t = time.monotonic()
    wait_for(banner(False), 60, "the banner cleared (hung API resumed)")
    figures["resumed → banner cleared"] = time.monotonic() - t
    assert len(k.ui_pids()) == 1, "a dead or hung API stalled the GUI"
    # Two outages, every probe and refresh failing: the journal has a line for each, not one per request.
    assert k.text().count("API unreachable: GET") <= 2

    ui = k.ui_pids()[-1]
    os.kill(ui, signal.SIGSTOP)  # a hung UI: its beats stop, the supervisor replaces it
    t = time.monotonic()
    wait_for(lambda: len(k.ui_pids()) == 2 and k.wall_with_data(k.ui_pids()[-1]), BOOT, "a new UI with data")
    figures["UI hung → data again"] = time.monotonic() - t
    print("\n" + "; ".join(f"{k_}: {v:.1f} s" for k_, v in figures.items()))


def test_a_wall_restarted_while_the_api_is_down_shows_its_cache_though_one_entry_is_corrupt(kiosk, api, display_token):
    from sandbox.client.cache import ResponseCache, token_scope

    server = api()
    k = kiosk(server.url)
    wait_for(lambda: k.wall_with_data(), BOOT, "the wall with data")
    figures = {}
    ui = k.ui_pids()[-1]
    os.kill(ui, signal.SIGKILL)
    t = time.monotonic()
    wait_for(lambda: k.ui_pids()[-1] != ui and k.wall_with_data(k.ui_pids()[-1]), BOOT, "a new UI with data")
    figures["UI killed → data again"] = time.monotonic() - t

    server.kill()  # a power cut: the wall comes back before the server
    cache = ResponseCache(k.folder / "cache" / "display")
    entry = cache._file(ResponseCache.key(token_scope(display_token), "/indicators"))
    entry.write_bytes(entry.read_bytes()[:-20] + b"\0" * 20)
    t = time.monotonic()
    k.restart()
    wall = wait_for(lambda: k.wall_with_data(), BOOT, "the cached wall after a restart with the API down")
    figures["restart, API down → cached data"] = time.monotonic() - t
    assert wall["region"] == COUNTY
    wait_for(lambda: "离线" in k.facts("wall").get("banner", ""), 30, "the offline banner over the cached data")
    assert "discarded corrupt cache entry" in k.text()
    print("\n" + "; ".join(f"{k_}: {v:.1f} s" for k_, v in figures.items()))


def test_a_wall_over_its_memory_bound_is_restarted_when_nobody_uses_it_and_comes_back(kiosk, api):
    # The real wall at 960×540 holds ≈ 250-450 MB: a 100 MB bound is passed at once, like a wall that grew.
    server = api()
    k = kiosk(server.url, root_region=COUNTY, watchdog_extra="""
        memory_limit_mb = 100
        memory_over_minutes = 0.05
        memory_quiet_minutes = 0.1
        memory_restart_min_hours = 1
    """)
    first = wait_for(lambda: k.ui_pids()[:1], BOOT, "the first UI")[0]
    wait_for(lambda: k.wall_with_data(first), BOOT, "the first wall with data")
    second = wait_for(lambda: k.ui_pids()[1:2], 120, "a UI restarted by the memory guard")[0]
    log = k.text()
    assert log.count("kiosk memory guard: restarting the UI: RSS") == 1
    assert "above the 100 MB bound" in log and "kiosk UI crashed" not in log and "kiosk UI hung" not in log
    t = time.monotonic()
    back = wait_for(lambda: k.wall_with_data(second), BOOT, "the restarted wall with data")
    print(f"\nmemory restart → data again: {time.monotonic() - t:.1f} s")
    assert back["region"] == COUNTY
    time.sleep(8)  # still over the bound, but one memory restart per hour at most
    assert k.ui_pids() == [first, second] and k.text().count("memory_restart") == 1
