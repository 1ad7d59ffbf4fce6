"""Shared fixtures: one demo county built per test session (SQLite file, or PostgreSQL when
SANDBOX_TEST_DATABASE_URL is set), API clients per role."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

# The app's default data folder is the user's (~/.local/share/poverty-sandbox): apps made without settings
# stored test photos there, shared by every run on the machine (a CI run beside a developer's). Each session
# gets a folder of its own, before any settings are read; subprocesses inherit it.
if not os.environ.get("SANDBOX_DATA_DIR"):
    _SESSION_DATA = os.environ["SANDBOX_DATA_DIR"] = tempfile.mkdtemp(prefix="sandbox-test-data-")
else:
    _SESSION_DATA = None

import pytest
from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.db import make_engine
from sandbox.store.demo.builder import build_demo
from sandbox.store.migrate import upgrade
from tests.crash_name import pytest_configure, pytest_runtest_logstart, pytest_unconfigure  # noqa: F401 - hooks

PG_URL = os.environ.get("SANDBOX_TEST_DATABASE_URL")


@pytest.fixture(scope="session", autouse=True)
def _session_data_dir():
    yield
    if _SESSION_DATA is not None:
        shutil.rmtree(_SESSION_DATA, ignore_errors=True)


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'demo.db'}"


@pytest.fixture(scope="session")
def demo_engine(db_url):
    engine = make_engine(db_url)
    if PG_URL:
        from sandbox.store.models import Base

        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    build_demo(engine, progress=False)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def tokens(demo_engine) -> dict[str, str]:
    out = {role: new_token(demo_engine, role) for role in ("admin", "leader", "display", "delegation", "public")}
    out["leader_town"] = new_token(demo_engine, "leader", "522726103000")
    return out


@pytest.fixture(scope="session")
def api(demo_engine) -> TestClient:
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(autouse=True)
def _garbage_on_the_gui_thread():
    """Once a test has made the QApplication, cyclic garbage is collected on the GUI thread only, as the
    wall does (sandbox.ui.collector): here after every test, and on the collector's timer while one runs."""
    yield
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        from sandbox.ui.collector import collect_on_gui_thread

        collect_on_gui_thread().check()


@pytest.fixture(autouse=True)
def _unspent_rate_limits(request):
    """Every test starts with the shared app's rate limits unspent: the session's one `api` client is
    one caller ("testclient"), so refused tokens in earlier files would count against later ones."""
    app = getattr(request.getfixturevalue("api"), "app", None) if "api" in request.fixturenames else None
    if app is not None and hasattr(app, "state"):  # this conftest's TestClient (other folders have their own `api`)
        app.state.rate_limits = None
    yield


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
