"""The command loop's API (issue 16): one router per feature, all under /api/v1.

A feature adds its router to `ROUTERS`; the app includes them in this order.
"""

from fastapi import APIRouter

from sandbox.server.command import instruction_items, instructions, notices
from sandbox.server.command.brief import router as brief
from sandbox.server.command.complaints import router as complaints
from sandbox.server.command.duty import router as duty
from sandbox.server.command.inspect import router as inspections

ROUTERS: tuple[APIRouter, ...] = (
    instruction_items.router, instructions.router, notices.router,  # items first: /instructions/todo before /{id}
    inspections,  # 督查: groups, plans, findings, rectifications, accountability
    complaints,  # 投诉建议办理
    duty,  # the wall's 督办 figures (GET /regions/{code}/duty)
    brief,  # the 村情/镇情 briefing PDF (GET /regions/{code}/brief.pdf)
)
