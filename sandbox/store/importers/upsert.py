"""Bulk updates and deletes beside store.bulk's inserts: executemany on SQLite, COPY + UPDATE … FROM on PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Iterable, Sequence

from sqlalchemy import table as sql_table, text
from sqlalchemy.engine import Connection

from sandbox.store.bulk import bulk_insert

__all__ = ["bulk_update", "delete_where_in", "reset_sequence"]

_IN_CHUNK = 900  # below SQLite's oldest limit on bound variables


def bulk_update(conn: Connection, table_name: str, key_cols: Sequence[str], set_cols: Sequence[str],
                rows: Sequence[Sequence]) -> int:
    """Rows are tuples of (*set values, *key values); inside the connection's transaction."""
    if not rows or not set_cols:
        return 0
    if conn.dialect.name == "postgresql":
        # psycopg2's executemany is one round trip a row; COPY into a scratch table is one in all.
        tmp = f"_upd_{uuid.uuid4().hex[:12]}"
        cols = list(set_cols) + list(key_cols)
        conn.execute(text(f"CREATE TEMP TABLE {tmp} AS SELECT {', '.join(cols)} FROM {table_name} WITH NO DATA"))
        bulk_insert(conn, sql_table(tmp), cols, rows)
        sets = ", ".join(f"{c} = u.{c}" for c in set_cols)
        match = " AND ".join(f"t.{k} = u.{k}" for k in key_cols)
        conn.execute(text(f"UPDATE {table_name} AS t SET {sets} FROM {tmp} AS u WHERE {match}"))
        conn.execute(text(f"DROP TABLE {tmp}"))
        return len(rows)
    sets = ", ".join(f"{c} = ?" for c in set_cols)
    match = " AND ".join(f"{k} = ?" for k in key_cols)
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.executemany(f"UPDATE {table_name} SET {sets} WHERE {match}", rows)
    finally:
        cur.close()
    return len(rows)


def delete_where_in(conn: Connection, table_name: str, column: str, values: Iterable) -> int:
    values = list(values)
    count = 0
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start:start + _IN_CHUNK]
        marks = ", ".join(f":v{i}" for i in range(len(chunk)))
        result = conn.execute(text(f"DELETE FROM {table_name} WHERE {column} IN ({marks})"),
                              {f"v{i}": v for i, v in enumerate(chunk)})
        count += result.rowcount or 0
    return count


def reset_sequence(conn: Connection, table_name: str, column: str = "id") -> None:
    """On PostgreSQL, move a serial column's sequence past the largest id: the demo builder writes
    explicit ids, which leaves the sequence behind, and rows inserted without ids would collide."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(
        f"SELECT setval(pg_get_serial_sequence('{table_name}', '{column}'), "
        f"COALESCE((SELECT MAX({column}) FROM {table_name}), 0) + 1, false)"))
