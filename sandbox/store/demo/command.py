"""The demo county's 2017–2020 history of the command loop: instructions, inspections, complaints,
notices, call-backs (issue 16). Each feature adds its builder to `STEPS`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from sandbox.store.demo.complaints import build_callbacks, build_complaints
from sandbox.store.demo.inspections import build_inspections
from sandbox.store.demo.instructions import build_instructions, build_notices

__all__ = ["build_command_history", "STEPS"]

# (connection, seed) → None; run in this order after the households, cadres and projects are written
STEPS: tuple[Callable[[Connection, int], None], ...] = (
    build_instructions, build_notices,  # 指令/批示 from named leaders; 通知公告 and 办事指南 with read receipts
    build_inspections,  # 督查: groups, monthly plans, findings and rectifications
    build_complaints,  # 投诉建议 2017–2020
    build_callbacks,  # 满意度回访: the survey answers behind 群众认可度
)


def build_command_history(conn: Connection, seed: int) -> None:
    for step in STEPS:
        step(conn, seed)
