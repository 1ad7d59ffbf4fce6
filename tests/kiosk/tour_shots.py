"""Screenshots of every step of a tour in the kiosk shell, to look at as a delegation sees them.

    python -m tests.kiosk.tour_shots OUTDIR [--size 1920x1080] [--tour FILE] [--project ID --year Y]

Uses the demo database of SANDBOX_DATA_DIR (built on first use) through the real embedded API with a
delegation token. `--project` saves the wall with that project's card open instead (at `--year`)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "522726000000"


def _spin(app, until, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def _settled(wall) -> bool:
    st = wall.state
    busy = wall.layer_worker is not None and wall.layer_worker.busy()
    return st.has_data and not st.loading and not wall.canvas.animating and not busy


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--size", default="1920x1080")
    p.add_argument("--tour", type=Path, default=ROOT / "kiosk_config" / "tours" / "dushan-delegation.toml")
    p.add_argument("--project", type=int)
    p.add_argument("--year", type=int)
    p.add_argument("--region", default=COUNTY)
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtWidgets import QApplication

    from sandbox.client.api import ApiClient
    from sandbox.kiosk.pin import hash_pin, verify_pin
    from sandbox.kiosk.tour import load_tour
    from sandbox.server.runtime import EmbeddedServer, new_token, prepare_database
    from sandbox.settings import Settings
    from sandbox.ui.frame_timing.after_frame import flush_after_frame
    from sandbox.ui.kiosk.shell import KioskShell, ShellOptions
    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

    app = QApplication.instance() or QApplication(["tour-shots"])
    apply_theme(app)
    engine = prepare_database(Settings())
    server = EmbeddedServer(engine).start()
    client = ApiClient(server.url, new_token(engine, "delegation"))
    args.out.mkdir(parents=True, exist_ok=True)
    tour = load_tour(args.tour)
    wall = WallWindow(client, region=args.region, year=args.year, animate=False, preload=False, prefetch=False,
                      live=False, stream_cameras=False)
    stored = hash_pin("0000")
    shell = KioskShell(wall, home_region=COUNTY, verify_pin=lambda pin: verify_pin(pin, stored), steps=tour.steps,
                       client=client, options=ShellOptions(idle_seconds=0, tour_title=tour.title))
    shell.resize(w, h)
    shell.show()

    def shoot(name: str) -> None:
        _spin(app, lambda: _settled(wall))
        flush_after_frame()
        _spin(app, lambda: _settled(wall))
        wall.kpis.finish_animations()
        for _ in range(5):
            app.processEvents()
            time.sleep(0.05)
        path = args.out / f"{name}.png"
        shell.grab().save(str(path), "PNG")
        print(path)

    try:
        if args.project is not None:
            shoot("before-card")
            wall.open_project(args.project)
            _spin(app, lambda: wall.project_card.detail is not None)
            shoot(f"project-{args.project}-{args.year or 'latest'}")
            return 0
        shell.tour.stepStarted.connect(lambda _i: shell.tour.hold())
        shell.tour.start()
        _spin(app, lambda: shell.tour.state == "playing")
        for i in range(len(tour.steps)):
            if tour.steps[i].camera is not None:
                _spin(app, lambda: wall.full_view is not None)
            shoot(f"step-{i + 1:02d}")
            shell.tour.advance()
        shoot("step-01-again")
        return 0
    finally:
        shell.tour.stop()
        shell._exiting = True
        shell.close()
        client.close()
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
