"""Who exits when in the demo: a household's poverty depth follows its features, so that its
exits are learnable (the exit-year forecast, issue 17) and not a coin toss.

Depth = village + 致贫原因 + 贫困户属性 + late registration + noise; each year the deepest
households whose people make the year's target stay poor (households.py), so the county's
figures hold exactly whatever the depth. Year by year, a poor household's income sits the closer
to the line the shallower it is: what a model sees in year Y says who crosses it next.
"""

from __future__ import annotations

import numpy as np

__all__ = ["depth", "income_position"]

# Harder causes (illness, disability, no labour, 特困) stay poor longer; skill, capital and schooling
# gaps are the ones help closes first.
_CAUSE_EFFECT = {"01": .5, "02": .7, "03": -.3, "04": -.2, "05": 0., "06": 0., "07": -.5, "08": .6, "09": -.4,
                 "10": .1, "11": .4, "99": 0.}
_ATTRIBUTE_EFFECT = {"general": 0., "dibao": .5, "tekun": 1.0}
_NOISE_SD = 0.8
_LATE = 1.0  # late registrations are the harder cases


def depth(rng: np.random.Generator, village_effect: np.ndarray, cause: np.ndarray, attribute: np.ndarray,
          identified: np.ndarray) -> np.ndarray:
    effect = np.vectorize(_CAUSE_EFFECT.get, otypes=[float])(cause, 0.)
    effect += np.vectorize(_ATTRIBUTE_EFFECT.get, otypes=[float])(attribute, .5)
    return village_effect + effect + rng.normal(0, _NOISE_SD, len(cause)) + np.where(identified > 2014, _LATE, 0.)


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
