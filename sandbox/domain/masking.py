"""Masking of person-level fields by role; the server applies it before anything leaves."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sandbox.domain.enums import Role

__all__ = ["mask_name", "mask_id_number", "mask_phone", "PersonView", "person_view", "coarse_point", "visit_point",
           "scrub_text", "scrub_fields", "FREE_TEXT_KEYS"]


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

    def __init__(self, names: str, ids: str, phones: str, records: bool, places: str = "full", texts: str = "scrubbed"):
        self.names, self.ids, self.phones, self.records = names, ids, phones, records
        self.places = places  # a household's location: "full", "coarse" (≈ 1 km, the village) or "none"
        self.texts = texts  # free text (a check-in's note, a project's description): "full" or "scrubbed"

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

    def text(self, v: str | None, names: Iterable[str] = ()) -> str | None:
        """A free-text field as this role may read it: see scrub_text."""
        return scrub_text(v, self, names)

    def place(self, lon, lat) -> tuple:
        """A household's (lon, lat): a home's exact spot only for roles that visit it."""
        if self.places == "full" or lon is None or lat is None:
            return lon, lat
        if self.places == "coarse":
            return coarse_point(lon, lat)
        return None, None


_VIEWS = {
    Role.admin: PersonView("full", "full", "full", True, texts="full"),
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


# -- free text -----------------------------------------------------------------------------------
# A cadre types what they like into a note: ID, phone and account numbers are found by the shape of
# their digits, wherever they stand (Chinese text has no word boundary before a digit), written with
# up to three separator characters between groups too (138 8493 4533, 138.8493.4533, 138 - 8493 - 4533,
# 138—8493—4533, (0854)3221234, （0854）3221234), full-width digits too.

FREE_TEXT_KEYS = frozenset({"note", "description", "remark", "comment", "text", "message", "title", "content"})
_SEP_CHARS = r"\s.\-\u2013\u2014\uff0d\u00b7/()\uff08\uff09"  # spaces . - – — － · / ( ) （ ）
_SEP_RUN = re.compile(f"([{_SEP_CHARS}]{{1,3}})")
_RUN = re.compile(f"(?<!\\d)\\d(?:[{_SEP_CHARS}]{{0,3}}\\d)*(?:[Xx](?![A-Za-z]))?(?!\\d)")
# A local landline (7-8 digits, no area code) looks like any number: only after a word that says phone
# (and maybe a bracketed area code: 电话(0854)3221234).
_PHONE_WORD = re.compile(r"(?:电话|手机|座机|联系方式|联系|tel|TEL|Tel|☎)[号码]*[:：]?\s*"
                         r"(?:[(（]?\s*0\d{2,3}\s*[)）]?[\s\-–—－]*|[(（]\s*)?$")
# Parts of a run that read as a date or a span of years (2017-11-05, 2017.11.05-2017.12.31, 2017 2018)
_YEAR = re.compile(r"(?:19[5-9]|20\d)\d")


def _keep(units: str, before: str) -> tuple[int, int] | None:
    """(digits kept at the head, at the tail) for a sensitive run of `units` (ASCII digits, maybe a final
    X), None for a number that is not personal (an amount, a date, a count)."""
    n = len(units)
    if n == 18 and units[:17].isdigit():  # resident ID (or an 18-digit account: masked either way)
        return 6, 4
    if units.endswith(("X", "x")):
        return None  # an X after anything but 17 digits is not an ID's check character
    if n == 15:  # first-generation ID: region, YYMMDD, sequence
        return 6, 3
    if n == 11 and units[0] == "1" and units[1] in "3456789":  # mobile
        return 3, 4
    if units[0] == "0" and 10 <= n <= 12:  # landline with its area code (010, 0854)
        return (3 if units[1] in "12" else 4), 4
    if n >= 12:  # a bank account or card (12-19 digits), or anything as long: kept to its last 4 (尾号)
        return 0, 4
    if n in (7, 8) and _PHONE_WORD.search(before[-12:]):
        return 0, 4
    return None


def _mask_span(span: str, head: int, tail: int) -> str:
    """Digits between the first `head` and the last `tail` replaced by *, separators kept."""
    units = [i for i, c in enumerate(span) if c.isdecimal() or c in "Xx"]
    hidden = set(units[head:len(units) - tail])
    return "".join("*" if i in hidden else c for i, c in enumerate(span))


def _scrub_run(match: re.Match) -> str:
    span, before = match.group(0), match.string[:match.start()]
    parts = _SEP_RUN.split(span)
    # A sensitive part is masked alone (2017-11-05 13884934533 keeps its date); only when no part is
    # sensitive does the whole run count (522726 19580901 5759 is one ID).
    out, hit = [], False
    for i, part in enumerate(parts):
        keep = _keep(_ascii(part), before + "".join(parts[:i])) if i % 2 == 0 and part else None
        out.append(part if keep is None else _mask_span(part, *keep))
        hit = hit or keep is not None
    if hit:
        return "".join(out)
    units = [_ascii(p) for p in parts[::2]]
    if any(_YEAR.fullmatch(u) for u in units) and all(_YEAR.fullmatch(u) or len(u) <= 2 for u in units):
        return span  # 2017 2018 2019 2020, 2017.11.05-2017.12.31: years and dates, not a card in groups
    keep = _keep(_ascii(span), before)
    return span if keep is None else _mask_span(span, *keep)


def _ascii(text: str) -> str:
    return "".join(str(int(c)) if c.isdecimal() else c for c in text if c.isdecimal() or c in "Xx")


def scrub_text(text: str | None, view: PersonView, names: Iterable[str] = ()) -> str | None:
    """Free text for a role below admin: ID numbers (18-digit, 17 + X, 15-digit), mobile and landline
    numbers and account-like digit runs masked as the structured fields are (522726********5759,
    138****4533, ************1234), whatever the role may see in those fields: a note is read on a
    wall. For roles that see names masked, the full `names` given (the household's members, the
    cadre) are masked too (陈亮坤 → 陈*坤); other names in the text cannot be known and stay."""
    if not text or view.texts == "full":
        return text
    text = _RUN.sub(_scrub_run, text)
    if view.names != "full":
        present = {n.strip() for n in names if n and len(n.strip()) >= 2 and n.strip() in text}
        for name in sorted(present, key=len, reverse=True):  # 陈亮坤 before 陈亮
            text = text.replace(name, mask_name(name) if view.names == "masked" else "*" * len(name))
    return text


def scrub_fields(record: dict, view: PersonView, names: Iterable[str] = (), keys=FREE_TEXT_KEYS) -> dict:
    """`record` with every free-text value (a key in `keys`) scrubbed for `view`; a new dict."""
    if view.texts == "full" or not any(k in record for k in keys):
        return record
    names = tuple(names)
    return {k: scrub_text(v, view, names) if k in keys and isinstance(v, str) else v for k, v in record.items()}
