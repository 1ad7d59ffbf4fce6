"""The API's hook into the access log: one row per read of person-level data by a role that sees names."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from sandbox.domain.masking import person_view
from sandbox.store.models import ApiToken
from sandbox.store.office import access_log

__all__ = ["note_read"]


def note_read(session: Session, request: Request, caller, what: str, subject: str | None,
              region_code: str | None = None, channel: str = "api") -> None:
    """Log a read of person-level data and commit it. Roles that get names only masked, or nothing
    (display, delegation, public), got nothing personal: nothing to log."""
    if person_view(caller.role).names != "full":
        return
    token_id = getattr(caller, "token_id", None)
    token = session.get(ApiToken, token_id) if token_id is not None else None
    actor = f"令牌 #{token_id}" + (f" ({token.label})" if token is not None and token.label else "")
    access_log.append(session, actor=actor, role=caller.role.value, action=access_log.READ, what=what,
                      subject=subject, region_code=region_code,
                      address=request.client.host if request.client else None, channel=channel)
    session.commit()
