"""The importers' one upsert: new rows inserted, stored rows updated only where a value changed (KEEP keeps
the stored one), equal rows not written at all; on SQLite and, with SANDBOX_TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from sandbox.store.db import make_engine
from sandbox.store.importers.upsert import KEEP, upsert_changed

PG_URL = os.environ.get("SANDBOX_TEST_DATABASE_URL")


@pytest.fixture()
def probe(tmp_path):
    engine = make_engine(PG_URL or f"sqlite:///{tmp_path / 'upsert.db'}")
    meta = MetaData()
    table = Table("upsert_probe", meta, Column("id", Integer, primary_key=True), Column("code", String(12)),
                  Column("name", String(20)), Column("people", Integer))
    meta.drop_all(engine)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "code": "a", "name": "甲", "people": 10},
                                      {"id": 2, "code": "b", "name": "乙", "people": 20},
                                      {"id": 3, "code": "c", "name": "丙", "people": 30}])
    yield engine, table
    meta.drop_all(engine)
    engine.dispose()


def _rows(engine, table) -> dict:
    with engine.connect() as conn:
        return {r.code: (r.id, r.name, r.people) for r in conn.execute(select(table))}


def _stored(engine, table) -> dict:
    with engine.connect() as conn:
        return {r.code: (r.name, r.people) for r in conn.execute(select(table.c.code, table.c.name, table.c.people))}


def test_only_what_changed_is_written_and_counted(probe):
    engine, table = probe
    stored = _stored(engine, table)
    ids = {code: i for code, (i, _, _) in _rows(engine, table).items()}
    with engine.begin() as conn:
        done = upsert_changed(conn, table, ("id",), ("name", "people"),
                              [("a", ("甲", 10)),  # equal: not written
                               ("b", (KEEP, 21)),  # one column changed, the name kept
                               ("c", ("丁", KEEP)),  # the other column changed
                               ("d", ("戊", 40))],  # new
                              stored, key_of=lambda code: (ids[code],), insert_cols=("code", "name", "people"),
                              new_row=lambda code, values: (code, *values), reset_ids=True)  # ids written above
    assert done.new == ["d"] and done.updated == ["b", "c"] and done.unchanged == 1
    rows = _rows(engine, table)
    assert {k: v[1:] for k, v in rows.items()} == {"a": ("甲", 10), "b": ("乙", 21), "c": ("丁", 30), "d": ("戊", 40)}
    with engine.begin() as conn:  # the same input again changes nothing
        again = upsert_changed(conn, table, ("id",), ("name", "people"),
                               [("b", (KEEP, 21)), ("c", ("丁", KEEP)), ("d", ("戊", 40))], _stored(engine, table),
                               key_of=lambda code: (ids.get(code) or rows[code][0],))
    assert again.new == [] and again.updated == [] and again.unchanged == 3


def test_a_whole_row_update_writes_every_column(probe):
    engine, table = probe
    with engine.begin() as conn:
        done = upsert_changed(conn, table, ("code",), ("name", "people"), [("a", ("甲", 11)), ("b", ("乙", 20))],
                              _stored(engine, table), whole_row=True)
    assert done.updated == ["a"] and done.unchanged == 1 and _stored(engine, table)["a"] == ("甲", 11)
