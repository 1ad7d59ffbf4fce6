"""The risk register's API (issue 17): hits per region, the hit list and its cases, the rules and their precision.

The app includes `ROUTERS` under /api/v1, in this order.
"""

from fastapi import APIRouter

from sandbox.server.risk.counts import router as counts
from sandbox.server.risk.hits import router as hits

ROUTERS: tuple[APIRouter, ...] = (counts, hits)
