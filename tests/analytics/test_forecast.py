"""The exit-year forecast: no look-ahead, probabilities that add up, regions that add up, a backtest
the model wins on the demo (whose exits follow features: issue 17 item 3)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.analytics.forecast import forecast_register
from sandbox.analytics.forecast.backtest import backtest, concordance_index, reliability
from sandbox.analytics.forecast.baselines import kaplan_meier
from sandbox.analytics.forecast.frame import EXITED, load_register
from sandbox.analytics.forecast.model import fit, score
from sandbox.store.models import HouseholdYear

AS_OF = 2016


@pytest.fixture(scope="module")
def register(demo_engine):
    with Session(demo_engine) as s:
        return load_register(s)


@pytest.fixture(scope="module")
def fitted(register):
    return forecast_register(register, AS_OF, horizon=4, simulations=200)



def test_the_register_read_in_small_chunks_is_the_register_read_at_once(demo_engine, monkeypatch):
    """The household-years are read in chunks (a province's 13.6 million as tuples at once: ≈ 15 GB); the arrays
    are the same whichever chunk boundaries fall where."""
    import dataclasses

    from sandbox.analytics.forecast import frame

    with Session(demo_engine) as s:
        monkeypatch.setattr(frame, "_CHUNK", 10**9)
        whole = load_register(s)
        monkeypatch.setattr(frame, "_CHUNK", 9_973)  # ≈ 17 chunks of the demo's ≈ 170,000 rows, a ragged last one
        chunked = load_register(s)
    for f in dataclasses.fields(frame.Register):
        a, b = getattr(whole, f.name), getattr(chunked, f.name)
        if isinstance(a, dict) and f.name != "village_population":
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a), f.name
        elif isinstance(a, dict):
            assert a == b, f.name
        else:
            assert np.array_equal(a, b), f.name
    assert int((whole.status != 0).sum()) > 9_973 * 10  # the household-years did span many chunks

def _poison_after(reg, as_of: int, rng) -> None:
    """Every value of every year after `as_of` replaced by garbage (and the population too)."""
    t = reg.t(as_of) + 1
    shape = reg.status[:, t:].shape
    reg.status[:, t:] = rng.integers(0, 5, shape)
    reg.exited_this_year[:, t:] = rng.random(shape) < .5
    for arr in (reg.members, reg.per_capita, reg.helpers, reg.visits, reg.projects, *reg.income.values()):
        arr[:, t:] = rng.random(shape) * 1e6
    for arr in reg.gaps.values():
        arr[:, t:] = ~arr[:, t:]
    reg.line[t:] = 1.0
    for key in list(reg.village_population):
        if key[1] > as_of:
            reg.village_population[key] = 1


def test_no_feature_comes_from_after_the_as_of_year(register):
    rng = np.random.default_rng(3)
    clean = score(fit(register, AS_OF), register, AS_OF, 4)
    poisoned = register.copy()
    _poison_after(poisoned, AS_OF, rng)
    again = score(fit(poisoned, AS_OF), poisoned, AS_OF, 4)
    assert np.array_equal(clean.rows, again.rows)
    np.testing.assert_allclose(again.probability, clean.probability, rtol=0, atol=1e-12)
    # and the test can fail: the as-of year's own values do move the predictions
    moved = register.copy()
    moved.per_capita[:, moved.t(AS_OF)] *= 3
    assert not np.allclose(score(fit(moved, AS_OF), moved, AS_OF, 4).probability, clean.probability)


def test_each_households_chances_are_a_distribution_over_the_years(fitted):
    p = fitted.households.probability
    assert p.shape == (len(fitted.households.rows), 4)
    assert (p >= 0).all() and (p.sum(axis=1) <= 1 + 1e-9).all()
    assert list(fitted.households.years) == [2017, 2018, 2019, 2020]


def test_scored_households_are_exactly_the_poor_at_the_as_of_year(demo_engine, register, fitted):
    with Session(demo_engine) as s:
        poor = s.scalar(select(func.count()).where(HouseholdYear.year == AS_OF,
                                                   HouseholdYear.status.in_(("poor", "relapsed"))))
    assert len(fitted.households.rows) == poor


def test_regions_add_up_villages_to_towns_to_the_county(register, fitted):
    rf = fitted.regions
    county = rf.index("522726000000")
    villages = [i for i, c in enumerate(rf.codes) if not c.endswith("000")]
    towns = [i for i, c in enumerate(rf.codes) if c.endswith("000") and not c.endswith("000000")]
    mean = rf.stats["exits_households"][0]
    np.testing.assert_allclose(mean[villages].sum(axis=0), mean[county], rtol=1e-9)
    np.testing.assert_allclose(mean[towns].sum(axis=0), mean[county], rtol=1e-9)
    # the expected exits are the households' probabilities summed
    np.testing.assert_allclose(mean[county], fitted.households.probability.sum(axis=0), rtol=0.05)
    low, mid, high = rf.stats["poverty_incidence"][1], rf.stats["poverty_incidence"][0], rf.stats["poverty_incidence"][2]
    assert (low <= high).all() and low[county].min() < high[county].max()
    assert (low[county] <= mid[county]).all() and (mid[county] <= high[county]).all()  # a large region: mean inside
    assert rf.poor_population_now[county] == register.members[fitted.households.rows, register.t(AS_OF)].sum()


def test_the_county_crosses_3_percent_when_its_expected_incidence_does(fitted):
    rf = fitted.regions
    i = rf.index("522726000000")
    year, low, high = rf.below[:, i]
    assert low <= year <= high
    inc = rf.stats["poverty_incidence"][0, i]
    # the median simulated crossing is within a year of the mean path's crossing
    mean_cross = rf.years[np.argmax(inc < 3.0)] if (inc < 3.0).any() else 0
    assert abs(int(year) - int(mean_cross)) <= 1


def test_demo_exits_follow_features_a_model_can_learn(register):
    """Issue 17 item 3: a poor household's income in year Y says whether it exits in Y+1 (in the old
    demo, income was drawn at random and exits only followed a hidden depth)."""
    t = register.t(AS_OF)
    poor = np.flatnonzero(register.poor(t))
    ratio = register.per_capita[poor, t] / register.line[t]
    exits_next = (register.status[poor, t + 1] == EXITED) & register.exited_this_year[poor, t + 1]
    assert roc_auc_score(exits_next, ratio) > 0.75


def test_backtest_model_beats_both_baselines(register):
    scores = {s.method: s for s in backtest(register, [AS_OF], simulations=100)}
    model, village, km = scores["model"], scores["village_rate"], scores["km_cause"]
    assert model.brier < village.brier and model.brier < km.brier
    assert model.auc_next_year > max(village.auc_next_year, km.auc_next_year)
    assert model.c_index > max(village.c_index, km.c_index)
    assert model.households == village.households == km.households > 0


def test_concordance_index_counts_pairs_like_harrell():
    times = np.array([1, 2, 3, 3])
    event = np.array([True, True, False, True])
    right = np.array([1., 2., 3.5, 3.])  # the censored one (still poor at 3) expected later than the exit at 3
    # comparable pairs: (0,1) (0,2) (0,3) (1,2) (1,3) (3,2): six
    assert concordance_index(times, right, event) == 1.0
    assert concordance_index(times, -right, event) == 0.0
    assert concordance_index(times, np.zeros(4), event) == 0.5
    assert concordance_index(times, np.array([1., 2., 3., 3.]), event) == pytest.approx(5.5 / 6)


def test_kaplan_meier_steps_down_at_each_exit():
    s = kaplan_meier(np.array([1, 1, 2, 3, 3]), np.array([True, False, True, True, False]), 4)
    # 5 at risk at 1 (one exit), 3 at 2 (one exit), 2 at 3 (one exit)
    np.testing.assert_allclose(s, [1, .8, .8 * 2 / 3, .8 * 2 / 3 * .5, .8 * 2 / 3 * .5])


def test_reliability_bins_hold_every_pair():
    p = np.array([.05, .15, .15, .95])
    y = np.array([0, 1, 0, 1])
    table = reliability(p, y)
    assert sum(n for *_, n in table) == 4
    assert table[1] == (pytest.approx(.1), pytest.approx(.15), .5, 2)
