"""The demo county's 2017–2020 history of the command loop: instructions, inspections, complaints,
notices, call-backs (issue 16). Each feature adds its builder to `STEPS`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from sandbox.store.demo.inspections import build_inspections
from sandbox.store.demo.instructions import build_instructions, build_notices

__all__ = ["build_command_history", "STEPS"]

# (connection, seed) → None; run in this order after the households, cadres and projects are written
STEPS: tuple[Callable[[Connection, int], None], ...] = (
    build_instructions, build_notices,  # 指令/批示 from named leaders; 通知公告 and 办事指南 with read receipts
    build_inspections,  # 督查: groups, monthly plans, findings and rectifications
)


def build_command_history(conn: Connection, seed: int) -> None:
    for step in STEPS:
        step(conn, seed)
