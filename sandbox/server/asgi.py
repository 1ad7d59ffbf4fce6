"""The API as each of several worker processes builds it (`sandbox serve --workers N`, or gunicorn/uvicorn
pointed at `sandbox.server.asgi:app` with factory mode): settings from the environment, an engine of its own."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox.server.app import create_app
from sandbox.settings import Settings
from sandbox.store.db import make_engine

__all__ = ["app"]


def app() -> FastAPI:
    """One worker's application (the database is migrated once, by the parent, before workers start)."""
    settings = Settings()
    return create_app(make_engine(settings.resolved_database_url), settings)
