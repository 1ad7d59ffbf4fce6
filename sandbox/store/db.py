"""Engine and sessions: SQLite file by default, PostgreSQL by URL; clear errors when unreachable."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["DatabaseUnavailable", "make_engine", "session_factory", "redacted", "check_connection"]


class DatabaseUnavailable(RuntimeError):
    """The database URL is malformed or the server cannot be reached; the message is one line."""


def redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<无法解析的数据库地址>"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"数据库地址格式不正确: {url.split('@')[-1]!r}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")  # the pinned driver; bulk COPY uses it
    kwargs: dict = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            _private_file(Path(db))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=8, max_overflow=8)
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseUnavailable(f"无法使用数据库 {redacted(url)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _private_file(db: Path) -> None:
    """The data directory 0700 when created here, the database file (and its WAL files) 0600: it holds
    households' records and token hashes. SQLite gives the files it creates the database's mode."""
    db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
        return
    except FileExistsError:
        pass
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        try:
            st = path.stat()
            if st.st_mode & 0o077 and st.st_uid == os.getuid():  # made world-readable by an older version
                os.chmod(path, 0o600)
        except OSError:
            pass


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL: the API reads while the simulator or an import writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"无法连接数据库 {redacted(str(engine.url.render_as_string(hide_password=False)))}: {reason}") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
