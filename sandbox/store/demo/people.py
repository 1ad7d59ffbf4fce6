"""Generated people: zh_CN names from Faker's lists, well-formed fictional ID and phone numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
from faker.providers.person.zh_CN import Provider as _Names

__all__ = ["names", "id_numbers", "phones", "birth_dates"]

_SURNAMES = np.array(list(_Names.last_names.keys()))
_SURNAME_P = np.array(list(_Names.last_names.values()), dtype=float)
_SURNAME_P /= _SURNAME_P.sum()
_MALE = np.array(_Names.first_names_male)
_FEMALE = np.array(_Names.first_names_female)
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = np.array(list("10X98765432"))
_EPOCH = dt.date(1970, 1, 1)


def names(rng: np.random.Generator, male: np.ndarray, surnames: np.ndarray | None = None) -> np.ndarray:
    """Given names of one or two characters; `surnames` keeps a family's surname where given."""
    n = len(male)
    if surnames is None:
        surnames = rng.choice(_SURNAMES, size=n, p=_SURNAME_P)
    first = np.where(male, rng.choice(_MALE, n), rng.choice(_FEMALE, n))
    second = np.where(male, rng.choice(_MALE, n), rng.choice(_FEMALE, n))
    two = (rng.random(n) < 0.7) & (np.char.str_len(first) == 1) & (np.char.str_len(second) == 1)
    given = np.where(two, np.char.add(first, second), first)
    return np.char.add(surnames.astype(str), given)


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(_SURNAMES, size=n, p=_SURNAME_P)


def birth_dates(rng: np.random.Generator, ages: np.ndarray, on: dt.date = dt.date(2017, 1, 1)) -> np.ndarray:
    """Days since 1970 for people of the given ages on `on`."""
    base = (on - _EPOCH).days
    return base - (ages * 365.25).astype(int) - rng.integers(0, 365, len(ages))


def id_numbers(rng: np.random.Generator, county: str, birth_days: np.ndarray, male: np.ndarray) -> np.ndarray:
    """18-digit numbers: county prefix, birth date, sequence (odd for men), GB 11643 check digit."""
    dates = (np.datetime64("1970-01-01") + birth_days.astype("timedelta64[D]")).astype(str)
    ymd = np.char.replace(dates, "-", "")
    seq = rng.integers(0, 500, len(male)) * 2 + male.astype(int)  # parity encodes sex
    body = _unique(np.char.add(np.char.add(county, ymd), np.char.zfill(seq.astype(str), 3)))
    digits = np.frombuffer("".join(body).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    check = _CHECK[(digits * _WEIGHTS).sum(axis=1) % 11]
    return np.char.add(body, check)


def _unique(body: np.ndarray) -> np.ndarray:
    """No two people share a number: a drawn sequence already taken on that birth date moves on to the next
    free one of the same parity (same sex). No extra random draws, so the rest of the build is unchanged."""
    _, inverse, counts = np.unique(body, return_inverse=True, return_counts=True)
    clashes = np.nonzero(counts[inverse] > 1)[0]
    if not len(clashes):
        return body
    body = body.copy()
    used = set(body.tolist())
    kept: set[str] = set()
    for i in clashes.tolist():
        b = str(body[i])
        if b not in kept:  # the first holder keeps it
            kept.add(b)
            continue
        s = int(b[14:17])
        for step in range(2, 1000, 2):
            candidate = f"{b[:14]}{(s + step) % 1000:03d}"
            if candidate not in used:
                used.add(candidate)
                body[i] = candidate
                break
        else:  # 500 people of one sex born on one day in one county: not in any demo
            raise ValueError(f"too many people born on {b[6:14]} for unique ID numbers")
    return body


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(np.array(["134", "135", "136", "137", "138", "139", "150", "151", "182", "187"]), n)
    rest = np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8)
    return np.char.add(prefix, rest)
