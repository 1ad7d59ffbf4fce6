"""Fixtures for the kiosk tests: configs written to tmp, the real embedded API, a kiosk shell around a wall."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import textwrap
from pathlib import Path

import pytest

from sandbox.kiosk.pin import hash_pin

COUNTY = "522726000000"
PIN = "4321"


@pytest.fixture(scope="session")
def pin_hash() -> str:
    return hash_pin(PIN)


@pytest.fixture
def write_config(tmp_path, pin_hash):
    """write_config(body) → a config file whose [exit] has a valid PIN hash unless `body` has its own."""
    def write(body: str, name: str = "kiosk.toml", with_exit: bool = True) -> Path:
        text = textwrap.dedent(body).lstrip("\n")
        if with_exit and "[exit]" not in text:
            text += f'\n[exit]\npin_hash = "{pin_hash}"\n'
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


@pytest.fixture
def themed(qapp):
    from sandbox.ui.theme import apply_theme

    apply_theme(qapp)
    return qapp


@pytest.fixture(scope="session")
def kiosk_api(demo_engine):
    """The real FastAPI app on 127.0.0.1 (as the kiosk runs it embedded) and a delegation token."""
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    yield server, new_token(demo_engine, "delegation")
    server.stop()


@pytest.fixture
def kiosk_client(kiosk_api):
    from sandbox.client.api import ApiClient

    server, token = kiosk_api
    client = ApiClient(server.url, token)
    yield client
    client.close()


def settle(qtbot, wall, timeout: int = 60000):
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading and not wall.canvas.animating,
                    timeout=timeout)
    return wall


@pytest.fixture
def make_shell(qtbot, themed, pin_hash):
    """make_shell(client, steps=..., **options) → a KioskShell around a real WallWindow, shown at 1600×900."""
    from functools import partial

    from sandbox.kiosk.pin import verify_pin
    from sandbox.ui.kiosk.shell import KioskShell, ShellOptions
    from sandbox.ui.wall import WallWindow

    made = []

    def make(client, steps=(), size=(1600, 900), heartbeat=None, **options):
        import inspect

        # No live SSE layers: closing their event stream takes seconds, and the tours do not need it.
        extra = {"live": False} if "live" in inspect.signature(WallWindow).parameters else {}
        wall = WallWindow(client, region=COUNTY, retry_seconds=600, animate=False, preload=False, prefetch=False,
                          **extra)
        shell = KioskShell(wall, home_region=COUNTY, verify_pin=partial(verify_pin, stored=pin_hash), steps=steps,
                           client=client, options=ShellOptions(**options), heartbeat=heartbeat)
        qtbot.addWidget(shell)
        shell.resize(*size)
        shell.show()
        qtbot.waitExposed(shell)
        settle(qtbot, wall)
        made.append(shell)
        return shell

    yield make
    for shell in made:
        shell._exiting = True  # let the test's cleanup close it
        shell.close()
