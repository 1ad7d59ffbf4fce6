"""The wall's way to its API: the real server embedded on 127.0.0.1 (or a remote one), a token, a client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.settings import Settings

__all__ = ["EmbeddedApi", "api_client"]

TOKEN_LABEL = "内置大屏"


class EmbeddedApi:
    """`with EmbeddedApi(settings, role) as api:` the real API on 127.0.0.1 (`api.url`) over the settings'
    database (the demo county is built on first use), a saved token of `role` (`api.token`), and the demo's
    check-in simulator posting through the real endpoint, so the demo wall is alive. All stop on exit.
    Raises DatabaseUnavailable (one line for the user) when the database cannot be opened."""

    def __init__(self, settings: Settings, role: str = "display", *, simulate: bool = True) -> None:
        self.settings, self.role, self.simulate = settings, role, simulate
        self.server = self.simulator = None
        self.url = self.token = ""

    def __enter__(self) -> EmbeddedApi:
        from sandbox.server.runtime import EmbeddedServer, prepare_database
        from sandbox.server.simulator import CheckinSimulator

        engine = prepare_database(self.settings)
        self.server = EmbeddedServer(engine).start()
        try:
            self.url = self.server.url
            if self.simulate:
                self.simulator = CheckinSimulator(engine, self.url, rate_per_minute=6).start()
            self.token = self._token(engine)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def _token(self, engine) -> str:
        """The saved token, or a new one when there is none or the database was rebuilt since (401)."""
        from sandbox.client.api import ApiClient
        from sandbox.server.runtime import new_token

        path = self.settings.data_dir / f"embedded-{self.role}.token"
        token = path.read_text().strip() if path.exists() else ""
        if token:
            probe = ApiClient(self.url, token)
            try:
                if probe.get_json_status("/indicators") != 401:
                    return token
            finally:
                probe.close()
        token = new_token(engine, self.role, label=TOKEN_LABEL)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the data directory: private
        path.write_text(token)
        path.chmod(0o600)
        return token


@contextmanager
def api_client(settings: Settings | None, url: str | None = None, token: str = "", *, role: str = "display",
               **client_options) -> Iterator:
    """An ApiClient on `url` with `token`, or (no url) on an EmbeddedApi of `role`; closed on exit, before
    the embedded server stops. `client_options` go to ApiClient (timeout, cache …)."""
    from sandbox.client.api import ApiClient

    with ExitStack() as stack:
        if url is None:
            if settings is None:  # read only for the embedded API: a remote one needs no pydantic-settings
                from sandbox.settings import Settings

                settings = Settings()
            api = stack.enter_context(EmbeddedApi(settings, role))
            url, token = api.url, api.token
        yield stack.enter_context(closing(ApiClient(url, token, **client_options)))
