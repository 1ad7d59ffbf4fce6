"""The policy rules in sandbox.domain.rules: exit line, village exits, fund-chain anomalies, check-in distance."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.domain import rules


def test_the_exit_line_is_three_percent_and_strictly_below_it_counts():
    assert rules.EXIT_INCIDENCE_PCT == 3.0
    assert rules.EXIT_LINES == {"poverty_incidence": 3.0}
    assert rules.INCIDENCE_POLICY_BREAKS[0] == rules.EXIT_INCIDENCE_PCT
    assert rules.below_exit_line(2, 100)
    assert not rules.below_exit_line(3, 100)  # on the line is not below it
    assert not rules.below_exit_line(4, 100)
    assert rules.below_exit_line(0, 10) and rules.below_exit_line(None, 10)  # nobody poor


def test_on_the_line_stays_poor_whatever_float_rounding_does():
    # in floats 11 / 1000 × 100 is 1.0999999999999999: below a line a county configures as 1.1
    assert 11 / 1000 * 100 < 1.1
    assert not rules.below_exit_line(11, 1000, threshold_pct=1.1)
    assert not rules.below_exit_line(9, 250, threshold_pct=3.6)
    assert rules.below_exit_line(10, 1000, threshold_pct=1.1)
    assert not rules.below_exit_line(57, 1900)  # 3.0 % exactly
    assert rules.below_exit_line(56, 1900)


def test_no_population_is_never_below_the_line():
    assert not rules.below_exit_line(0, 0)
    assert not rules.below_exit_line(0, None)


def test_a_poor_village_exits_in_its_first_year_below_the_line():
    facts = [  # (code, year, poor, rural), in no particular order
        ("v1", 2018, 2, 100), ("v1", 2016, 10, 100), ("v1", 2017, 2.9, 100), ("v1", 2019, 0, 100),
        ("v2", 2017, 3, 100), ("v2", 2018, 5, 100),  # never below
        ("v3", 2015, 1, 100),  # below, but not a poor village
        ("v4", 2016, 0, 0),  # no population: no exit
    ]
    assert rules.village_exit_years(facts, ["v1", "v2", "v4"]) == {"v1": 2017}
    assert rules.village_exit_years(facts, ["v1", "v2"], threshold_pct=5.5) == {"v1": 2017, "v2": 2017}
    assert rules.village_exit_years(facts, ["v1"], threshold_pct=11) == {"v1": 2016}  # the first year, not the first row
    assert rules.village_exit_years(facts, []) == {}


def test_months_between_counts_whole_months():
    assert rules.months_between(dt.date(2019, 1, 15), dt.date(2020, 1, 15)) == 12
    assert rules.months_between(dt.date(2019, 1, 15), dt.date(2020, 1, 14)) == 11
    assert rules.months_between(dt.date(2019, 12, 31), dt.date(2020, 1, 31)) == 1


def test_overpaid_is_more_than_a_yuan_over_arrived():
    assert rules.FUND_OVERPAID_TOLERANCE_YUAN == 1.0
    assert not rules.is_overpaid(arrived=1000.0, paid=1000.99)  # cent rounding of split payments
    assert not rules.is_overpaid(arrived=1000.0, paid=1001.0)
    assert rules.is_overpaid(arrived=1000.0, paid=1001.01)


def test_idle_money_is_arrived_unpaid_for_twelve_months_by_the_data_date():
    as_of = dt.date(2020, 12, 31)
    assert rules.FUND_IDLE_MONTHS == 12
    assert rules.is_idle(5000.0, 0, dt.date(2019, 12, 31), as_of)
    assert not rules.is_idle(5000.0, 0, dt.date(2020, 1, 1), as_of)  # 11 months
    assert not rules.is_idle(5000.0, 1, dt.date(2018, 1, 1), as_of)  # one payment is enough
    assert not rules.is_idle(0.0, 0, dt.date(2018, 1, 1), as_of)  # nothing arrived
    assert not rules.is_idle(5000.0, 0, None, as_of)  # no arrival date: cannot say


def test_paid_without_progress():
    assert rules.is_paid_without_progress(0.0, 20_000.0)
    assert not rules.is_paid_without_progress(5.0, 20_000.0)
    assert not rules.is_paid_without_progress(0.0, 0.5)  # within the tolerance: nothing paid


def test_haversine_distance():
    assert rules.haversine_m(107.5, 25.8, 107.5, 25.8) == 0.0
    # one degree of latitude is about 111.2 km on the sphere of radius 6371 km
    assert rules.haversine_m(107.5, 25.0, 107.5, 26.0) == pytest.approx(111_195, abs=1)
    # symmetric; a degree of longitude shrinks with cos(latitude)
    a = rules.haversine_m(107.0, 25.8, 108.0, 25.8)
    assert a == pytest.approx(rules.haversine_m(108.0, 25.8, 107.0, 25.8))
    assert a == pytest.approx(111_195 * 0.90030, rel=1e-3)


def test_a_visit_counts_within_the_distance():
    assert rules.CHECKIN_EFFECTIVE_M == 500.0
    assert rules.is_effective_visit(500.0) and not rules.is_effective_visit(500.1)
    assert rules.is_effective_visit(900.0, effective_m=1000.0)
    np = pytest.importorskip("numpy")
    assert rules.is_effective_visit(np.array([10.0, 499.9, 500.0, 800.0])).tolist() == [True, True, True, False]


def test_the_rules_served_per_indicator():
    assert rules.indicator_rules("poverty_incidence") == {"exit_line": 3.0, "thresholds": {"exit_line": 3.0}}
    assert rules.indicator_rules("fund_spend_rate") == {
        "exit_line": None, "thresholds": {"idle_months": 12, "overpaid_tolerance_yuan": 1.0}}
    assert rules.indicator_rules("visit_rate", checkin_effective_m=300.0) == {
        "exit_line": None, "thresholds": {"effective_distance_m": 300.0}}
    assert rules.indicator_rules("poor_population") == {"exit_line": None, "thresholds": {}}
