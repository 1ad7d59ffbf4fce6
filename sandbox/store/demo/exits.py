"""Who exits when in the demo, made learnable: a poor household's income follows its poverty depth.

The depth (households.py: village, late registration and noise) decides each year's poor households
so that the county's figures hold exactly. Year by year a poor household's income sits the nearer the
line the shallower it is, so what a model sees in year Y says who exits in Y+1 (the exit-year
forecast, issue 17) instead of a coin toss. These draws come from a generator of their own (seeded
from the demo's seed and a fixed salt): the demo's shared draws, and with them every other figure
(names, members, cadres, check-ins, projects, cameras, funds, call-backs), are as they were before.
"""

from __future__ import annotations

import numpy as np

__all__ = ["generator", "income_position"]

_SALT = 17  # issue 17: any fixed number would do; it only keeps these draws off the demo's shared stream


def generator(seed: int) -> np.random.Generator:
    """The exit draws' own generator for a demo seed (the same seed gives the same demo)."""
    return np.random.default_rng([seed, _SALT])


def income_position(rng: np.random.Generator, depth_of_row: np.ndarray, year: np.ndarray,
                    poor: np.ndarray) -> np.ndarray:
    """Per row, a poor household's place among the year's poor: 1 the shallowest (nearest the
    line), 0 the deepest; a little noise so income is a strong hint, not the answer."""
    score = -depth_of_row + rng.normal(0, 0.5, len(year))
    out = np.zeros(len(year))
    for y in np.unique(year[poor]):
        sel = np.flatnonzero(poor & (year == y))
        order = np.argsort(np.argsort(score[sel], kind="stable"), kind="stable")
        out[sel] = (order + 0.5) / len(sel)
    return out
