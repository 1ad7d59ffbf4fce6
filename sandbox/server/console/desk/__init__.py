"""The loop's desk (指挥调度) in the console: one module per workbench, each adding its router and its section card."""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.server.console.desk import callbacks, complaints, followup, home, notices, plan, prints, risk
from sandbox.server.console.desk.sections import SECTIONS, Section

__all__ = ["router", "SECTIONS", "Section"]

router = APIRouter()
# Each workbench module has a `router` and registers its Section in sections.py; add it here too.
for _part in (home, notices, plan, complaints, followup, risk, callbacks, prints):
    router.include_router(_part.router)
