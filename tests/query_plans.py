"""Shared by the query-plan tests: the statements a piece of code runs, with SQLite's plan for each."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["captured_plans", "plan_lines"]


@contextmanager
def captured_plans(engine: Engine):
    """Yields a list that fills, on exit, with (statement, [plan lines]) of every statement run inside."""
    seen: list[tuple[str, tuple]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "INSERT", "DELETE", "UPDATE")):
            seen.append((statement, parameters))

    out: list[tuple[str, list[str]]] = []
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield out
    finally:
        event.remove(engine, "before_cursor_execute", note)
    with engine.connect() as conn:
        for statement, parameters in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            out.append((statement, [r[-1] for r in rows]))


def plan_lines(plans: list[tuple[str, list[str]]], table: str) -> list[str]:
    """Every plan line that reads `table` (SEARCH or SCAN)."""
    return [line for _, lines in plans for line in lines
            if line.split(" ")[:2] in (["SEARCH", table], ["SCAN", table])]
