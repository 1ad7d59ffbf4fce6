"""Masking of person-level fields by role; the server applies it before anything leaves."""

from __future__ import annotations

from sandbox.domain.enums import Role

__all__ = ["mask_name", "mask_id_number", "mask_phone", "PersonView", "person_view"]


def mask_name(name: str | None) -> str | None:
    """王小明 → 王*明, 王明 → 王*, keeps the surname and (for 3+ chars) the last character."""
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str | None) -> str | None:
    """522726199001011234 → 522726********1234: region kept, birth date hidden."""
    if not id_number:
        return id_number
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class PersonView:
    """Which person-level fields a role may receive, and how."""

    def __init__(self, names: str, ids: str, phones: str, records: bool):
        self.names, self.ids, self.phones, self.records = names, ids, phones, records

    def name(self, v):
        return v if self.names == "full" else mask_name(v)

    def id_number(self, v):
        return v if self.ids == "full" else mask_id_number(v)

    def phone(self, v):
        return v if self.phones == "full" else mask_phone(v)


_VIEWS = {
    Role.admin: PersonView("full", "full", "full", True),
    Role.leader: PersonView("full", "masked", "full", True),
    Role.display: PersonView("masked", "masked", "masked", True),
    Role.public: PersonView("masked", "masked", "masked", True),
    Role.cadre: PersonView("full", "masked", "full", True),
    Role.delegation: PersonView("masked", "masked", "masked", False),
}


def person_view(role: Role) -> PersonView:
    return _VIEWS[Role(role)]
