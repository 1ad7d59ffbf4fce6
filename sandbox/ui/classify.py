"""Choropleth classing of indicator values (mapclassify), with 无数据 kept apart as class -1."""

from __future__ import annotations

import math
import sys
import warnings
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING

from sandbox.domain.rules import INCIDENCE_POLICY_BREAKS
from sandbox.ui.fmt import NO_DATA_TEXT, format_number

if TYPE_CHECKING:  # numpy loads with the first classification, not before the wall's first frame
    import numpy as np

__all__ = [
    "Classification", "classify", "classify_over", "legend_labels", "preload", "preloaded", "needs_mapclassify",
    "NO_DATA", "SCHEMES", "no_data_rows",
    "POLICY_THRESHOLDS", "THRESHOLDS", "fixed_breaks", "reclass",
]

NO_DATA = -1
SCHEMES = ("natural_breaks", "quantiles")
THRESHOLDS = "thresholds"
# Fixed, policy-meaningful class edges (upper bounds; the last class is open-ended). Poverty
# incidence: 3% is the exit line for a poor county in the west, so "below 3%" is always the green
# class, whatever the year or level; the wall's red-to-green story reads the same everywhere.
POLICY_THRESHOLDS: dict[str, tuple[float, ...]] = {
    "poverty_incidence": INCIDENCE_POLICY_BREAKS,
}
_FISHER_JENKS_EXACT_MAX = 500  # exact Fisher-Jenks is O(k·n²): ~0.06 s at 133 values, ~10 s at 2,000


@dataclass(frozen=True)
class Classification:
    """Upper bounds of each class (ascending), the lowest value, and each input value's class."""

    scheme: str
    bins: tuple[float, ...]
    lower: float | None
    classes: tuple[int, ...]
    unique_values: bool = False  # True when every class is one distinct value (few unique values)
    open_top: bool = False  # the last class has no upper bound ("30% 以上")

    @property
    def k(self) -> int:
        return len(self.bins)

    def class_range(self, i: int) -> tuple[float, float]:
        """(low, high) of class i; class 0 starts at the lowest value."""
        low = self.lower if i == 0 else self.bins[i - 1]
        return float(low), float(self.bins[i])

    def counts(self) -> list[int]:
        out = [0] * self.k
        for c in self.classes:
            if c >= 0:
                out[c] += 1
        return out

    def class_of(self, value: float | None) -> int:
        """Class of an arbitrary value under these bins (NO_DATA for None/NaN)."""
        if not _is_number(value) or not self.bins:
            return NO_DATA
        i = bisect_left(self.bins, float(value))  # numpy's searchsorted(side='left'), per value
        return min(i, self.k - 1)


def no_data_rows(notes: Iterable[str | None]) -> list[tuple[str | None, str, int]]:
    """The legend's rows for the regions without a value, given each one's note (None: unknown):
    (None, 无数据, n) and (无贫困户, 无贫困户, m)… with their counts, unknown first; a single
    (None, 无数据, 0) when every region has a value."""
    counts: dict[str | None, int] = {}
    for note in notes:
        counts[note or None] = counts.get(note or None, 0) + 1
    if not counts:
        return [(None, NO_DATA_TEXT, 0)]
    rows = sorted(counts.items(), key=lambda kv: (kv[0] is not None, -kv[1], kv[0] or ""))
    return [(note, note or NO_DATA_TEXT, n) for note, n in rows]


def _is_number(v: object) -> bool:
    if type(v) is float or type(v) is int:  # the JSON case, without the ABC check below
        return math.isfinite(v)
    # numpy registers its integer and floating scalars as numbers.Real
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)


def classify(values: Iterable[float | None], scheme: str = "natural_breaks", k: int = 5) -> Classification:
    """Class `values` into at most k classes; None/NaN become NO_DATA (-1)."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme should be one of {SCHEMES}, got {scheme!r}")
    if k < 1:
        raise ValueError(f"k should be at least 1, got {k}")
    import numpy as np

    values = list(values)
    valid = np.array([float(v) for v in values if _is_number(v)], dtype=float)
    if valid.size == 0:
        return Classification(scheme, (), None, tuple(NO_DATA for _ in values))
    uniq = np.unique(valid)
    if uniq.size <= k:
        # Too few distinct values to class: one class per value reads honestly on the legend.
        bins, unique_values = uniq, True
    else:
        bins, unique_values = _mapclassify_bins(valid, scheme, k), False
    bins = _drop_empty(valid, np.unique(bins))
    cls = Classification(scheme, tuple(float(b) for b in bins), float(valid.min()), (), unique_values)
    return Classification(cls.scheme, cls.bins, cls.lower, tuple(cls.class_of(v) for v in values), unique_values)


def fixed_breaks(pool: Iterable[float | None], scheme: str = "natural_breaks", k: int = 5,
                 thresholds: Sequence[float] | None = None) -> Classification:
    """Breaks to class other values with (`reclass`): fixed `thresholds` plus an open top class,
    or the scheme's breaks over `pool` (e.g. the same regions' values in every year)."""
    if not thresholds:
        return classify(pool, scheme, k)
    edges = tuple(float(t) for t in thresholds)
    if list(edges) != sorted(set(edges)):
        raise ValueError(f"thresholds should be strictly ascending, got {tuple(thresholds)}")
    valid = [float(v) for v in pool if _is_number(v)]
    # A finite top (JSON-safe for exports); class_of puts anything above it in the top class anyway.
    top = max([edges[-1] * 2.0, *valid])
    return Classification(THRESHOLDS, (*edges, top), min([0.0, *valid]), (), open_top=True)


def reclass(base: Classification, values: Iterable[float | None]) -> Classification:
    """`values` classed under `base`'s breaks (classes may be empty this time; that is the point)."""
    return Classification(base.scheme, base.bins, base.lower, tuple(base.class_of(v) for v in values),
                          base.unique_values, base.open_top)


def classify_over(values: Iterable[float | None], pool: Iterable[float | None] | None,
                  scheme: str = "natural_breaks", k: int = 5,
                  thresholds: Sequence[float] | None = None) -> Classification:
    """Class `values` under breaks that do not depend on them alone (see fixed_breaks); with neither
    a pool nor thresholds this is plain `classify(values)`."""
    values = list(values)
    if pool is None and not thresholds:
        return classify(values, scheme, k)
    return reclass(fixed_breaks(values if pool is None else pool, scheme, k, thresholds), values)


def preload() -> None:
    """Import mapclassify (≈3 s: scipy, sklearn) ahead of need; call it from a worker thread."""
    import mapclassify  # noqa: F401


def preload_quietly() -> None:
    """`preload` for a background thread: the process may be exiting meanwhile (an import then
    fails with "can't register atexit after shutdown"); whoever needs mapclassify later imports it."""
    try:
        preload()
    except Exception as exc:  # noqa: BLE001 - only an optimisation
        import logging

        logging.getLogger(__name__).debug("mapclassify preload skipped: %s", exc)


def preloaded() -> bool:
    return "mapclassify" in sys.modules


def needs_mapclassify(key: str) -> bool:
    """Whether classing `key` may need mapclassify (policy thresholds never do)."""
    return key not in POLICY_THRESHOLDS


def _mapclassify_bins(y: np.ndarray, scheme: str, k: int) -> np.ndarray:
    import mapclassify  # heavy-ish; only the wall needs it
    import numpy as np

    with warnings.catch_warnings():
        # "Numba not installed" and "not enough unique values" are expected and handled here.
        warnings.simplefilter("ignore", UserWarning)
        if scheme == "quantiles":
            return np.asarray(mapclassify.Quantiles(y, k=k).bins, dtype=float)
        if y.size > _FISHER_JENKS_EXACT_MAX:
            return np.asarray(mapclassify.FisherJenksSampled(y, k=k).bins, dtype=float)
        return np.asarray(mapclassify.FisherJenks(y, k=k).bins, dtype=float)


def _drop_empty(y: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Remove classes no value falls in (quantiles over ties produce them); keep the top bin."""
    import numpy as np

    bins = bins.copy()
    bins[-1] = max(bins[-1], y.max())
    idx = np.searchsorted(bins, y, side="left")
    used = np.zeros(bins.size, dtype=bool)
    used[np.minimum(idx, bins.size - 1)] = True
    used[-1] = True
    return bins[used]


def legend_labels(c: Classification, unit: str = "", decimals: int | None = None) -> list[str]:
    """One label per class, e.g. '3.2 – 7.5%'; decimals grow until neighbouring edges differ."""
    if not c.bins:
        return []
    edges = [c.lower, *(c.bins[:-1] if c.open_top else c.bins)]
    if decimals is None:
        # Round policy edges read as they are written in the policy: "3 – 5%", not "3.0 – 5.0%".
        whole = c.scheme == THRESHOLDS and all(float(e).is_integer() for e in edges)
        decimals = 0 if whole else _enough_decimals(edges, unit)
    out = []
    for i in range(c.k):
        low, high = c.class_range(i)
        if c.open_top and i == c.k - 1:
            out.append(f"{format_number(low, unit, decimals)} 以上")
        elif c.unique_values or low == high:
            out.append(format_number(high, unit, decimals))
        else:
            out.append(f"{format_number(low, '', decimals)} – {format_number(high, unit, decimals)}")
    return out


def _enough_decimals(edges: Sequence[float], unit: str) -> int:
    integral = all(float(e).is_integer() for e in edges)
    start = 1 if unit == "%" or not integral else 0  # rates always show a decimal: "4.0%"
    for d in range(start, 4):
        texts = [format_number(e, "", d) for e in edges]
        if len(set(texts)) == len(set(float(e) for e in edges)):
            return d
    return 3
