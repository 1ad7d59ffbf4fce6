"""Schema migrations (Alembic), run programmatically so `sandbox serve` can upgrade on start."""

from __future__ import annotations

import logging
from pathlib import Path

# Before alembic is imported: it lists its plugins at INFO as it loads, on every start.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import inspect  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

__all__ = ["alembic_config", "upgrade", "is_initialised"]

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


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version") and inspect(engine).has_table("regions")
