"""督查 (issue 16 item 2): groups and the monthly plan, findings and their rectifications, accountability."""

from fastapi import APIRouter

from sandbox.server.command.inspect.findings import router as findings
from sandbox.server.command.inspect.plan import router as plan

router = APIRouter()
router.include_router(plan)
router.include_router(findings)
