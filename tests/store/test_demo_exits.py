"""The demo's learnable exits (issue 17) draw from a generator of their own: they move the poor
households' incomes and nothing else, so every other figure of the demo is as it was before them."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox.store.demo import exits
from sandbox.store.demo.households import household_year_values, plan_households
from sandbox.store.demo.targets import YEARS, targets_for

INCOME = {"per_capita", "net", "wage", "business", "transfer", "property", "cost"}


@pytest.fixture(scope="module")
def plan_inputs():
    t = targets_for("522726", 2442.0)
    n_v = t.villages
    rng = np.random.default_rng(5)
    pop16 = np.full(n_v, t.rural_population_2016 // n_v)
    pop16[0] += t.rural_population_2016 - pop16.sum()
    village_pop = {y: pop16 for y in YEARS}
    village_poor = np.zeros(n_v, dtype=bool)
    village_poor[rng.choice(n_v, t.poor_villages, replace=False)] = True
    return t, village_pop, village_poor


def _values(plan_inputs, exit_seed: int):
    rng = np.random.default_rng(20171206)
    plan = plan_households(rng, *plan_inputs)
    school_age = rng.random(len(plan.size)) < .3
    values = household_year_values(rng, plan, school_age, exits.generator(exit_seed))
    return plan, values, rng.random(8)  # what the demo's next step would draw


def test_exit_draws_leave_the_shared_stream_and_every_other_value_alone(plan_inputs):
    plan, a, next_a = _values(plan_inputs, 1)
    _, b, next_b = _values(plan_inputs, 2)
    np.testing.assert_array_equal(next_a, next_b)  # projects, cameras, check-ins … draw on as before
    for key in a.keys() - INCOME:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    poor = np.isin(plan.row_status, ("poor", "relapsed"))
    np.testing.assert_array_equal(a["per_capita"][~poor], b["per_capita"][~poor])  # exited rows: as before
    assert (a["per_capita"][poor] != b["per_capita"][poor]).any()  # the exit generator does decide these


def test_a_poor_households_income_ranks_its_exit_next_year(plan_inputs):
    from sklearn.metrics import roc_auc_score

    plan, v, _ = _values(plan_inputs, 1)
    at = np.flatnonzero(np.isin(plan.row_status, ("poor", "relapsed")) & (plan.row_year == 2016))
    nxt = {h: i for i, h in enumerate(plan.row_h) if plan.row_year[i] == 2017}
    exits_next = np.array([plan.row_exited_this_year[nxt[h]] for h in plan.row_h[at]])
    line = 2952
    assert roc_auc_score(exits_next, v["per_capita"][at] / line) > 0.75
