"""Fast bulk inserts: executemany on SQLite, COPY on PostgreSQL (tens of thousands of rows a second)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from sqlalchemy import Table
from sqlalchemy.engine import Connection

__all__ = ["bulk_insert", "columns_rows"]

_CHUNK = 50_000


def columns_rows(*columns, chunk: int = _CHUNK):
    """Row tuples from parallel numpy arrays or lists, converted a chunk at a time (bounded memory)."""
    n = len(columns[0])
    for start in range(0, n, chunk):
        parts = [c[start:start + chunk] for c in columns]
        yield from zip(*(p.tolist() if hasattr(p, "tolist") else p for p in parts))


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert tuples in `columns` order inside the connection's transaction; returns the row count."""
    dialect = conn.dialect.name
    raw = conn.connection.dbapi_connection
    count = 0
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            count += _flush(dialect, raw, table, columns, chunk)
            chunk = []
    if chunk:
        count += _flush(dialect, raw, table, columns, chunk)
    return count


def _flush(dialect: str, raw, table: Table, columns: Sequence[str], chunk: list) -> int:
    cur = raw.cursor()
    try:
        if dialect == "postgresql":
            buf = io.StringIO()
            writer = csv.writer(buf)
            for row in chunk:
                writer.writerow(["\\N" if v is None else _pg_value(v) for v in row])
            buf.seek(0)
            cur.copy_expert(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf
            )
        else:
            marks = ", ".join("?" for _ in columns)
            cur.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", chunk)
    finally:
        cur.close()
    return len(chunk)


def _pg_value(v):
    if isinstance(v, bool):
        return "t" if v else "f"
    return v
