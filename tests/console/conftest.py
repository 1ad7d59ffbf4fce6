"""Fixtures for the console: a fresh app per test (its own rate limits and upload folder), staff accounts signed in."""

from __future__ import annotations

import itertools
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.settings import Settings
from sandbox.store.db import session_factory
from sandbox.store.office.accounts import change_password, create_account

PASSWORD = "Qingshui-Jiang-2026"
_names = itertools.count(1)


@pytest.fixture()
def console(demo_engine, tmp_path):
    app = create_app(demo_engine, Settings(data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def new_account(engine, role: str = "admin", region: str | None = None, *, changed: bool = True,
                display_name: str | None = None) -> tuple[str, str]:
    """(username, password) of a new account; `changed`: its first password already replaced by PASSWORD."""
    username = f"{role}{next(_names)}"
    with session_factory(engine)() as session:
        account, first = create_account(session, username, role=role, region=region, display_name=display_name)
        if changed:
            change_password(session, account, first, PASSWORD)
        session.commit()
    return username, PASSWORD if changed else first


def sign_in(client: TestClient, username: str, password: str, code: str | None = None):
    page = client.get("/console/login")
    form = {"csrf": csrf_of(page.text), "username": username, "password": password}
    if code:
        form["code"] = code
    return client.post("/console/login", data=form)


@pytest.fixture()
def signed_in(console, demo_engine):
    """A factory: sign the console client in as a new account of this role (and region)."""
    def make(role: str = "admin", region: str | None = None) -> str:
        username, password = new_account(demo_engine, role, region)
        r = sign_in(console, username, password)
        assert r.status_code == 303, r.text
        return username

    return make


def post_form(client: TestClient, page_path: str, action: str, data: dict, **kwargs):
    """Open the page (for its CSRF token), then post the form to `action`."""
    html = client.get(page_path).text
    return client.post(action, data={"csrf": csrf_of(html), **data}, **kwargs)


TOWN = "522726103000"


@pytest.fixture(scope="session")
def real_county(demo_engine, tmp_path_factory):
    """(engine, register, pristine): a database holding the demo's boundaries as a real county would (imported,
    not built), the demo's own register of one town (.xlsx, with members and villages) in which one row is bad,
    and a copy of the database file as it was before any test imported into it."""
    from openpyxl import load_workbook

    from sandbox.store.db import make_engine
    from sandbox.store.importers import export_boundaries, export_households, import_boundaries
    from sandbox.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("real_county")
    export_boundaries(demo_engine, folder / "regions.gpkg")
    export_households(demo_engine, folder / "export.xlsx", years=[2019], region=TOWN)
    book = load_workbook(folder / "export.xlsx")
    sheet = book["户信息"]
    header = [c.value for c in sheet[1]]
    col = header.index("证件号码") + 1
    bad = sheet.cell(row=5, column=col)
    bad.value = str(bad.value)[:-1] + ("0" if str(bad.value)[-1] != "0" else "1")  # a wrong check digit
    register = folder / "登记表.xlsx"
    book.save(register)
    engine = make_engine(f"sqlite:///{folder / 'real.db'}")
    upgrade(engine)
    import_boundaries(engine, folder / "regions.gpkg")
    engine.dispose()
    shutil.copy(folder / "real.db", folder / "pristine.db")
    yield engine, register, folder / "pristine.db"
    engine.dispose()


@pytest.fixture()
def fresh_county(real_county, tmp_path):
    """(engine, console client) on a copy of the county before any register was imported."""
    from sandbox.store.db import make_engine

    shutil.copy(real_county[2], tmp_path / "fresh.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with TestClient(create_app(engine, Settings(data_dir=tmp_path)), raise_server_exceptions=False,
                    follow_redirects=False) as c:
        yield engine, c
    engine.dispose()


@pytest.fixture()
def real_console(real_county, tmp_path):
    app = create_app(real_county[0], Settings(data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c
