"""The indicator registry: rates over summed facts, no misleading zeros, and why a rate is empty."""

from __future__ import annotations

from sandbox.domain.indicators import FACTS, REGISTRY, compute_indicators, compute_notes, get, indicator_keys


def test_every_indicator_reads_known_facts_and_keys_are_unique():
    keys = indicator_keys()
    assert len(keys) == len(set(keys)) == len(REGISTRY)
    for i in REGISTRY:
        assert i.numerator in FACTS
        assert i.denominator is None or i.denominator in FACTS


def test_a_rate_is_a_percentage_rounded_and_a_count_an_integer():
    facts = {"poor_population": 1234.0, "rural_population": 50_000.0}
    values = compute_indicators(facts)
    assert values["poverty_incidence"] == 2.47
    assert values["poor_population"] == 1234 and isinstance(values["poor_population"], int)


def test_no_denominator_is_no_value_and_says_why():
    facts = dict.fromkeys(FACTS, 0)
    values = compute_indicators(facts)
    assert values["poverty_incidence"] is None  # never 0 % over nobody
    notes = compute_notes(facts)
    assert notes["poverty_incidence"] == "无农村户籍人口"
    assert notes["income_ok_rate"] == "无贫困户"
    assert "poor_population" not in notes  # a count is never "nothing to measure"


def test_unknown_facts_are_no_data_not_a_reason():
    values = compute_indicators({})
    assert all(v is None for v in values.values())
    assert compute_notes({}) == {}
    assert get("visit_rate").note({"poor_households": None}) is None
