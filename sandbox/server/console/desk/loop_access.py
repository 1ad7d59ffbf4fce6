"""What the loop's workbenches share: who may use them (admins and leaders, as the API's desk), the towns
an account's region lets it pick, and their xlsx downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from sandbox.domain.enums import Role
from sandbox.server.console.guard import staff_form, staff_page
from sandbox.server.console.render import message
from sandbox.server.console.session import StaffUser
from sandbox.store.models import Region

__all__ = ["DESK_ROLES", "desk_page", "desk_form", "towns_of", "prefix_of", "town_filter", "xlsx_folder", "xlsx_download"]

# The roles that act on complaints, overdue items and call-backs: they see names and phones in full (a
# display account sees masked data and acts on nothing).
DESK_ROLES = (Role.admin, Role.leader)


def _refuse(request: Request, user: StaffUser) -> Response:
    return message(request, user, "无权访问", f"当前角色({user.role.label_zh})不能使用此工作台, 仅限管理员和领导。",
                   status=403, back="/console/command")


def desk_page(request: Request) -> StaffUser | Response:
    """The signed-in admin or leader for a GET page, or the response instead (sync: call in a worker)."""
    user = staff_page(request)
    if isinstance(user, Response) or user.role in DESK_ROLES:
        return user
    return _refuse(request, user)


async def desk_form(request: Request) -> tuple[StaffUser, FormData] | Response:
    got = await staff_form(request)
    if isinstance(got, Response) or got[0].role in DESK_ROLES:
        return got
    return await run_in_threadpool(_refuse, request, got[0])


def prefix_of(user: StaffUser) -> str:
    """The code prefix of the account's region ("" for the whole county)."""
    return user.region.prefix if user.region is not None else ""


def towns_of(session, user: StaffUser) -> list[tuple[str, str]]:
    """(code, name) of the towns within the account's region, for a picker."""
    q = select(Region.code, Region.name).where(Region.level == "town").order_by(Region.code)
    return [(c, n) for c, n in session.execute(q) if user.may_see(c)]


def town_filter(user: StaffUser, towns: list[tuple[str, str]], town: str) -> tuple[str, str | None]:
    """(the prefix to read, a Chinese refusal or None) for a town picked in a filter ("" = the whole region)."""
    town = (town or "").strip()
    if not town:
        return prefix_of(user), None
    if town not in dict(towns):
        scope = f"您的账号仅限 {user.region_zh} 辖区" if user.region is not None else "本县没有这个乡镇"
        return prefix_of(user), f"不能查看乡镇 {town[:12]}: {scope}。"
    return town[:9], None


def xlsx_folder(prefix: str) -> Path:
    """A fresh folder for one download's xlsx (removed once it is sent)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def xlsx_download(path: Path, name: str) -> FileResponse:
    """`path` (in an xlsx_folder) sent as the attachment `name` (Chinese allowed), its folder removed afterwards."""
    return FileResponse(path, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=\"{path.name}\"; "
                                                        f"filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"},
                        background=BackgroundTask(_remove, path.parent))


def _remove(folder: Path) -> None:
    for p in folder.iterdir():
        p.unlink(missing_ok=True)
    folder.rmdir()
