"""The desk's workbenches as cards on /console/command: where each lives, what it is for, who may open it."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.domain.enums import Role

__all__ = ["Section", "SECTIONS", "register"]


@dataclass(frozen=True)
class Section:
    path: str  # under /console/command/
    label: str  # Chinese, as on the card
    summary: str  # one line of Chinese: what a clerk does there
    admin: bool = False  # admins only
    roles: tuple[Role, ...] | None = None  # the roles that may open it (None: every console role)

    def opens_for(self, role: Role) -> bool:
        """Whether an account of `role` may open it: a card it would refuse (403) is not shown."""
        return (role is Role.admin or not self.admin) and (self.roles is None or role in self.roles)


SECTIONS: list[Section] = []


def register(section: Section) -> Section:
    """Adds a workbench's card to the desk's index (called once at import by the workbench's module)."""
    if all(s.path != section.path for s in SECTIONS):
        SECTIONS.append(section)
    return section
