"""What the phone-page modules share: the real API on the demo database, one headless phone per module, and the
check-ins a module posted taken back after it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from sandbox.server.runtime import EmbeddedServer
from sandbox.store.models import Checkin
from tests.field.browser import phone_browser


@contextmanager
def phone_api(demo_engine, data_dir: Path, before_start: Callable[[EmbeddedServer], None] | None = None
              ) -> Iterator[EmbeddedServer]:
    """The embedded API on the demo database, its photos and files under `data_dir`; `before_start` may add to the
    app (a middleware) before it serves."""
    srv = EmbeddedServer(demo_engine)
    app = srv.server.config.app
    app.state.settings = app.state.settings.model_copy(update={"data_dir": data_dir})
    if before_start is not None:
        before_start(srv)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@contextmanager
def checkins_taken_back(demo_engine) -> Iterator[None]:
    """The check-ins made inside are deleted after, so the next module starts from the demo's own."""
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Checkin.id))) or 0
    try:
        yield
    finally:
        with demo_engine.begin() as conn:
            conn.execute(delete(Checkin).where(Checkin.id > first))


@pytest.fixture(scope="module")
def browser():
    """One headless phone (Chromium at 390×844) for the module."""
    driver = phone_browser()
    yield driver
    driver.quit()
