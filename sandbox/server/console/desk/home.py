"""Route: the desk's index (/console/command), one card per workbench the signed-in person may open."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.server.console.desk.sections import SECTIONS
from sandbox.server.console.guard import staff_page
from sandbox.server.console.render import page

__all__ = ["router"]

router = APIRouter()
# The cards in the order of the loop's work (not the modules' import order); a workbench not named here goes last.
ORDER = ("notices", "plan", "complaints", "followup", "risk", "callbacks", "prints")


@router.get("/command")
def command_desk(request: Request) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    sections = sorted((s for s in SECTIONS if s.opens_for(user.role)),
                      key=lambda s: ORDER.index(s.path) if s.path in ORDER else len(ORDER))
    return page(request, "desk.html", user, title="指挥调度", sections=sections)
