"""Schema migrations (Alembic), run programmatically so `sandbox serve` can upgrade on start."""

from __future__ import annotations

import logging
from pathlib import Path

# Before alembic is imported: it lists its plugins at INFO as it loads, on every start.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from alembic.util import CommandError  # noqa: E402
from sqlalchemy import inspect  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from sandbox.store.db import DatabaseUnavailable  # noqa: E402

__all__ = ["alembic_config", "upgrade", "is_initialised", "UnknownSchemaVersion"]

_HERE = Path(__file__).resolve().parent / "migrations"


def _only_real_migrations(record: logging.LogRecord) -> bool:
    """Alembic tells every start which plugins and DDL mode it uses; only an actual upgrade is news."""
    return record.levelno > logging.INFO or record.getMessage().startswith("Running ")


logging.getLogger("alembic.runtime.migration").addFilter(_only_real_migrations)


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


class UnknownSchemaVersion(DatabaseUnavailable):
    """The database was migrated by a program this one does not know (a newer release, another branch)."""


def _stamped(conn) -> list[str]:
    if not inspect(conn).has_table("alembic_version"):
        return []
    return [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; a database stamped by a revision this program lacks is refused, untouched,
    with a Chinese message (never Alembic's traceback)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        known = ScriptDirectory.from_config(cfg)
        foreign = [v for v in _stamped(conn) if not _knows(known, v)]
        if foreign:
            raise UnknownSchemaVersion(
                f"数据库的结构版本 {', '.join(foreign)} 不是本程序所知的版本 (本程序最新为 {known.get_current_head()}): "
                "它由更新或另一版本的程序升级过; 数据未改动。请使用升级它的那个版本的程序, 或换用另一个数据库")
        cfg.attributes["connection"] = conn
        try:
            command.upgrade(cfg, revision)
        except CommandError as exc:  # a race with another upgrader, a broken stamp: still one clear line
            raise UnknownSchemaVersion(f"数据库结构无法升级, 数据未改动: {exc}") from None


def _knows(script: ScriptDirectory, version: str) -> bool:
    try:
        return script.get_revision(version) is not None
    except CommandError:
        return False


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version") and inspect(engine).has_table("regions")
