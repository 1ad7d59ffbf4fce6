"""Databases a test module builds for itself beside the session's demo county: an empty migrated one, or a
demo province (贵州's first counties, 独山县 first) built in one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from sandbox.store.db import make_engine
from sandbox.store.demo.province import ProvinceReport, build_province
from sandbox.store.migrate import upgrade
from tests.conftest import PG_URL


def scratch_engine(folder: Path, pg_schema: str | None = None) -> Engine:
    """A migrated, empty database: a SQLite file in `folder`; with SANDBOX_TEST_DATABASE_URL and a `pg_schema`,
    that schema of the PostgreSQL database, made afresh (the session's demo county beside it is left alone)."""
    if not (PG_URL and pg_schema):
        engine = make_engine(f"sqlite:///{folder / 'scratch.db'}")
    else:
        boot = make_engine(PG_URL)
        with boot.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {pg_schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {pg_schema}")
        boot.dispose()
        sep = "&" if "?" in PG_URL else "?"
        engine = make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{pg_schema}")
    upgrade(engine)
    return engine


def province_engine(folder: Path, counties: int, pg_schema: str | None = None) -> tuple[Engine, ProvinceReport]:
    """贵州's first `counties` counties built in a `scratch_engine(folder, pg_schema)` (its files in `folder`)."""
    engine = scratch_engine(folder, pg_schema)
    report = build_province(engine, "52", counties=counties, progress=False, files_dir=folder / "files")
    return engine, report
