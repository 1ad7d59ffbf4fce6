"""Upserts for the importers: insert new rows, update only what changed (executemany on SQLite, COPY +
UPDATE … FROM on PostgreSQL), beside store.bulk's inserts and a chunked delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, text
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection

from sandbox.store.bulk import bulk_insert

__all__ = ["KEEP", "Upserted", "upsert_changed", "bulk_update", "delete_where_in", "reset_sequence"]

KEEP = object()  # a value the input does not give: an existing row keeps its own

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
    explicit ids, which leaves the sequence behind, and rows inserted without ids would collide.

    Never backwards: a sequence is not rolled back with its transaction, so a build that sets it to its
    own rows' highest id and is then rolled back would leave it below rows that stay (ids taken twice)."""
    if conn.dialect.name != "postgresql":
        return
    seq = conn.execute(text(f"SELECT pg_get_serial_sequence('{table_name}', '{column}')")).scalar()
    if seq is None:
        return
    conn.execute(text(
        f"SELECT setval('{seq}', GREATEST(COALESCE((SELECT MAX({column}) FROM {table_name}), 0) + 1, "
        f"(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {seq})), false)"))


@dataclass
class Upserted:
    """What upsert_changed did: the keys inserted and updated, and how many rows were already equal."""

    new: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: int = 0


def upsert_changed(conn: Connection, table: Table, key_cols: Sequence[str], columns: Sequence[str],
                   wanted: Iterable[tuple[Hashable, Sequence]], existing: Mapping[Hashable, Sequence], *,
                   key_of: Callable[[Hashable], Sequence] | None = None, insert_cols: Sequence[str] | None = None,
                   new_row: Callable[[Hashable, Sequence], Sequence] | None = None, whole_row: bool = False,
                   reset_ids: bool = False) -> Upserted:
    """Write `wanted` (key, values in `columns` order) over `existing` (key → stored values, same order).

    A key not stored is inserted: `new_row(key, values)` in `insert_cols` order (default: the key's
    values, then the values, in `key_cols` + `columns`). A stored key is updated where a value differs
    and is not KEEP: only those columns (rows changing the same columns go in one statement), or every
    column with `whole_row`; the UPDATE matches `key_cols` to `key_of(key)` (default: the key itself).
    Equal rows are not written at all, so importing the same file twice changes nothing."""
    key_of = key_of or _as_tuple
    new_row = new_row or (lambda key, values: (*_as_tuple(key), *values))
    upserted = Upserted()
    new_rows: list[Sequence] = []
    updates: dict[tuple[str, ...], list[tuple]] = {}
    for key, values in wanted:
        old = existing.get(key)
        if old is None:
            new_rows.append(new_row(key, values))
            upserted.new.append(key)
            continue
        changed = [(c, v) for c, v, o in zip(columns, values, old) if v is not KEEP and v != o]
        if not changed:
            upserted.unchanged += 1
            continue
        if whole_row:
            changed = [(c, o if v is KEEP else v) for c, v, o in zip(columns, values, old)]
        cols = tuple(c for c, _ in changed)
        updates.setdefault(cols, []).append((*(v for _, v in changed), *key_of(key)))
        upserted.updated.append(key)
    if new_rows:
        if reset_ids:
            reset_sequence(conn, table.name)
        bulk_insert(conn, table, tuple(insert_cols or (*key_cols, *columns)), new_rows)
    for cols, rows in updates.items():
        bulk_update(conn, table.name, key_cols, cols, rows)
    return upserted


def _as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)
