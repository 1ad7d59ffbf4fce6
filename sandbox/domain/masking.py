"""Masking of person-level fields by role; the server applies it before anything leaves."""

from __future__ import annotations

from sandbox.domain.enums import Role

__all__ = ["mask_name", "mask_id_number", "mask_phone", "PersonView", "person_view", "coarse_point", "visit_point"]


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


COARSE_DECIMALS = 2  # 0.01° ≈ 1 km: which part of the village, not which house


def coarse_point(lon, lat) -> tuple:
    """(lon, lat) to 0.01°: near which houses, not which house."""
    if lon is None or lat is None:
        return lon, lat
    return round(float(lon), COARSE_DECIMALS), round(float(lat), COARSE_DECIMALS)


class PersonView:
    """Which person-level fields a role may receive, and how: "full", "masked" or "none" (dropped)."""

    def __init__(self, names: str, ids: str, phones: str, records: bool, places: str = "full"):
        self.names, self.ids, self.phones, self.records = names, ids, phones, records
        self.places = places  # a household's location: "full", "coarse" (≈ 1 km, the village) or "none"

    @staticmethod
    def _apply(how: str, v, mask):
        if how == "full":
            return v
        return None if how == "none" else mask(v)

    def name(self, v):
        return self._apply(self.names, v, mask_name)

    def id_number(self, v):
        return self._apply(self.ids, v, mask_id_number)

    def phone(self, v):
        return self._apply(self.phones, v, mask_phone)

    def place(self, lon, lat) -> tuple:
        """A household's (lon, lat): a home's exact spot only for roles that visit it."""
        if self.places == "full" or lon is None or lat is None:
            return lon, lat
        if self.places == "coarse":
            return coarse_point(lon, lat)
        return None, None


_VIEWS = {
    Role.admin: PersonView("full", "full", "full", True),
    Role.leader: PersonView("full", "masked", "full", True),
    Role.display: PersonView("masked", "masked", "masked", True, places="coarse"),
    Role.public: PersonView("masked", "masked", "masked", True, places="coarse"),
    Role.cadre: PersonView("full", "masked", "full", True),
    # Aggregates only: endpoints refuse them person records, and should one ever pass a field
    # through this view anyway it comes out empty, not merely masked.
    Role.delegation: PersonView("none", "none", "none", False, places="none"),
}


def person_view(role: Role) -> PersonView:
    return _VIEWS[Role(role)]


def visit_point(view: PersonView, lon, lat) -> tuple:
    """Where a cadre's visit took place: a poor household's doorstep, so exact only for roles that may
    know a home's spot; every other role (delegation too: a wall needs the point, not the house) gets it
    to 0.01°."""
    return (lon, lat) if view.places == "full" else coarse_point(lon, lat)
