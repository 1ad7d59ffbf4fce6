"""Settings from the environment (SANDBOX_*) with a cached getter; no import-time singletons."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "default_data_dir"]


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("poverty-sandbox", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: a SQLite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8765
    demo_county: str = "522726"
    demo_scale: int = 1
    checkin_effective_m: float = 500.0  # a visit counts when this close to the household
    cors_origins: list[str] = []  # origins of web pages allowed to call the API (CORS); none by default
    api_docs: bool = False  # serve /docs and /redoc (SANDBOX_API_DOCS=1); /openapi.json is always served

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sandbox.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
