"""The API against its own OpenAPI document (schemathesis): generated requests, valid and invalid,
with an admin and a display token; no 5xx, every status and body as documented.

Bounded (`FUZZ_EXAMPLES` per operation and mode) so the run stays within a few minutes on two cores;
set SANDBOX_FUZZ_EXAMPLES higher for a deeper run. It works on a copy of the demo database (SQLite),
so a request that happens to be valid changes nothing the other tests see.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.db import make_engine
from tests.conftest import PG_URL, auth

FUZZ_EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# The document needs no data: built from an app on an empty in-memory database at collection time.
schema = schemathesis.openapi.from_dict(create_app(create_engine("sqlite://")).openapi())
# The event stream never ends by design (its own tests cover it)
schema = schema.exclude(path_regex=r"/events$")
schema.config.generation.update(modes=["positive", "negative"], max_examples=FUZZ_EXAMPLES, deterministic=True,
                                database="none")


@pytest.fixture(scope="module")
def fuzz_engine(demo_engine, db_url, tmp_path_factory):
    if PG_URL:  # generated check-ins are refused (no household is near a random point): the shared one will do
        yield demo_engine
        return
    copy = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_engine, tmp_path_factory):
    from sandbox.settings import Settings

    return create_app(fuzz_engine, Settings(data_dir=tmp_path_factory.mktemp("fuzz-data")))


@pytest.fixture(scope="module")
def fuzz_tokens(fuzz_engine) -> dict[str, str]:
    return {role: new_token(fuzz_engine, role, label=f"fuzz-{role}") for role in ("admin", "display")}


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
def test_api_conforms_to_its_document(case, fuzz_app, fuzz_tokens):
    for role in ("admin", "display"):
        response = case.call(app=fuzz_app, headers=auth(fuzz_tokens[role]))
        case.validate_response(response, checks=CHECKS)
