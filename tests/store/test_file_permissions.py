"""The data directory is created 0700 and the SQLite database (with its WAL files) 0600."""

from __future__ import annotations

import os
import stat

from sqlalchemy import text

from sandbox.store.db import make_engine


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_is_private(tmp_path):
    old = os.umask(0o022)  # the usual umask, which made it 0644 before
    try:
        data_dir = tmp_path / "new-data"
        db = data_dir / "sandbox.db"
        engine = make_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert _mode(data_dir) == 0o700
        assert _mode(db) == 0o600
        wal = db.with_name(db.name + "-wal")
        assert wal.exists() and _mode(wal) == 0o600
        engine.dispose()
    finally:
        os.umask(old)


def test_an_old_world_readable_database_is_tightened(tmp_path):
    db = tmp_path / "sandbox.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert _mode(db) == 0o600
    engine.dispose()
