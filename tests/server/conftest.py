"""What the API tests on the session's demo database set up alike: the app with a data folder of the module's
own and its client, the check-ins a module posted taken back, cadres with a household in their care now."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text

from sandbox.server.app import create_app
from sandbox.settings import Settings
from sandbox.store.checkins import create_cadre_token
from sandbox.store.db import session_factory
from sandbox.store.models import Checkin


@pytest.fixture(scope="module")
def app(demo_engine, tmp_path_factory):
    """The API on the demo database; its data folder (check-in photos, uploads) is the module's own."""
    app = create_app(demo_engine)
    app.state.settings = Settings(data_dir=tmp_path_factory.mktemp("api-data"))
    return app


@pytest.fixture(scope="module")
def client(app):
    """`app` running (its lifespan started: background photo checks, events) behind a test client."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def take_back_checkins(demo_engine):
    """The demo database is shared by the session: the check-ins a module posted are deleted after it
    (`pytestmark = pytest.mark.usefixtures("take_back_checkins")`: set up before its app starts)."""
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Checkin.id))) or 0
    yield
    with demo_engine.begin() as conn:
        conn.execute(delete(Checkin).where(Checkin.id > first))


@pytest.fixture(scope="module")
def pairs(demo_engine) -> list[dict]:
    """Cadres in office with a household in their care now, one pair per cadre (the first by assignment)."""
    with demo_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.village_code, h.lon, h.lat FROM assignments a "
            "JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id LIMIT 400")).all()
    seen, out = set(), []
    for r in rows:
        if r.cadre_id not in seen:
            seen.add(r.cadre_id)
            out.append(dict(r._mapping))
    assert len(out) >= 3
    return out


@pytest.fixture(scope="module")
def cadre_token(demo_engine, pairs) -> str:
    """A cadre token of the first pair's cadre."""
    with session_factory(demo_engine)() as session:
        token = create_cadre_token(session, pairs[0]["cadre_id"], note="测试")
        session.commit()
    return token
