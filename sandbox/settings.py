"""Settings from the environment (SANDBOX_*) with a cached getter; no import-time singletons."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sandbox.domain.rules import CHECKIN_EFFECTIVE_M

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
    checkin_effective_m: float = CHECKIN_EFFECTIVE_M  # a visit counts when this close to the household
    cors_origins: list[str] = []  # origins of web pages allowed to call the API (CORS); none by default
    api_docs: bool = False  # serve /docs and /redoc (SANDBOX_API_DOCS=1); /openapi.json is always served
    # Where clients reach this API (https://sandbox.county.gov.cn, a proxy's address): absolute URLs
    # in answers (camera streams) are built on it; unset, they are relative to the API's own address.
    # Never the request's Host header, which any client can set.
    public_base_url: str | None = None

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"SANDBOX_PUBLIC_BASE_URL 应为 http(s)://主机[:端口][/路径], 不是 {v!r}")
        return v.strip().rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sandbox.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
