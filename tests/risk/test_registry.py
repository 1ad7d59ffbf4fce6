"""The rule registry: ids name their family, thresholds come from TOML, hits keep their key and score in range."""

from __future__ import annotations

import pytest

from sandbox.store.risk.hits import Evidence, Hit
from sandbox.store.risk.rules import FAMILIES, Thresholds, all_rules, load_thresholds, rule


def test_a_rule_id_must_name_a_known_family():
    with pytest.raises(ValueError):
        rule("weather.rain", "下雨")
    with pytest.raises(ValueError):
        rule("persons", "无名")


def test_every_family_has_a_thresholds_file_and_a_missing_threshold_says_which():
    for family in FAMILIES:
        assert isinstance(load_thresholds(family), Thresholds)
    t = Thresholds({"vehicle": {"min_value_yuan": 30000}})
    assert t.value("persons.vehicle", "min_value_yuan") == 30000
    with pytest.raises(KeyError, match="persons.vehicle 的 farm"):
        t.value("persons.vehicle", "farm")


def test_an_operators_thresholds_file_replaces_the_default(tmp_path):
    path = tmp_path / "persons.toml"
    path.write_text("[vehicle]\nmin_value_yuan = 50000\n", encoding="utf-8")
    assert load_thresholds("persons", path).value("persons.vehicle", "min_value_yuan") == 50000


def test_registered_rules_are_listed_with_their_family():
    from sandbox.store.risk import rules as registry

    rule("funds.test_only_rule", "测试规则")(lambda session, thresholds: [])
    try:
        rules = all_rules()
        assert rules["funds.test_only_rule"].family == "funds" and rules["funds.test_only_rule"].name == "测试规则"
    finally:
        registry._RULES.pop("funds.test_only_rule")


def test_a_hit_is_keyed_by_rule_and_subject_and_checks_its_fields():
    hit = Hit("persons.vehicle", "household", "17", "522726101201", "成员名下有 1 辆小型轿车, 价值 8.5 万元",
              (Evidence("车辆登记", "第 12 行", {"身份证号": "522726199001011234"}, ("身份证号",)),), 0.8)
    assert hit.key == ("persons.vehicle", "household", "17")
    with pytest.raises(ValueError):
        Hit("persons.vehicle", "village", "1", "522726101201", "")
    with pytest.raises(ValueError):
        Hit("persons.vehicle", "household", "1", "522726101201", "", score=1.5)
