"""The command loop's API (issue 16): one router per feature, all under /api/v1.

A feature adds its router to `ROUTERS`; the app includes them in this order.
"""

from fastapi import APIRouter

from sandbox.server.command.complaints import router as complaints

ROUTERS: tuple[APIRouter, ...] = (
    complaints,  # 投诉建议办理 (h16c)
)
