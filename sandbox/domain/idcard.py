"""Resident ID numbers (GB 11643): check digit, validation, and well-formed fictional ones."""

from __future__ import annotations

import datetime as dt

__all__ = ["check_digit", "is_valid", "make_id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def is_valid(id_number: str) -> bool:
    if len(id_number) != 18 or not id_number.isascii() or not id_number[:17].isdigit():
        return False
    try:
        dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    return check_digit(id_number[:17]) == id_number[17].upper()


def make_id_number(county: str, birth: dt.date, sequence: int, male: bool) -> str:
    """Fictional but well-formed: the sequence's parity encodes sex as the standard says."""
    seq = sequence % 1000
    if (seq % 2 == 1) != male:
        seq = (seq + 1) % 1000
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)
