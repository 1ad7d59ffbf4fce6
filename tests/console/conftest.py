"""Fixtures for the console: a fresh app per test (its own rate limits and upload folder), staff accounts signed in."""

from __future__ import annotations

import itertools
import re

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
