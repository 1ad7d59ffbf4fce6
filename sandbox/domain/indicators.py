"""The indicator registry (DOMAIN.md §3) and how each is computed from summed region facts.

Region facts are additive counts (people, households, yuan) kept per village and year, so a
town's or the county's facts are plain sums, and every rate is computed once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Indicator", "REGISTRY", "FACTS", "compute_indicators", "compute_notes", "indicator_keys"]

# A rate over nothing is neither a number nor missing data: a village without poor households has no
# 收入达标率 to report. What each denominator being zero means, said as the wall says it.
NOTHING_TO_MEASURE_ZH = {
    "rural_population": "无农村户籍人口",
    "ever_exited_population": "尚无脱贫人口",
    "poor_households": "无贫困户",
    "registered_households": "无建档立卡户",
    "school_age_households": "无义务教育阶段子女户",
    "fund_allocated": "无下达资金",
    "fund_arrived": "无到位资金",
    "projects_planned": "无计划项目",
    "survey_answers": "无有效调查答复",
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label_zh: str
    unit: str
    formula: str
    higher_is_better: bool
    numerator: str
    denominator: str | None = None  # None: a count, not a rate
    decimals: int = 2
    classification: str = "natural_breaks"  # how the wall classes it (mapclassify scheme)

    def value(self, facts: Mapping[str, float | None]) -> float | int | None:
        num = facts.get(self.numerator)
        if self.denominator is None:
            return None if num is None else int(num)
        den = facts.get(self.denominator)
        if num is None or not den:
            return None  # no data, never a misleading zero
        return round(100.0 * num / den, self.decimals)

    def note(self, facts: Mapping[str, float | None]) -> str | None:
        """Why a rate has no value although the records are there: its denominator is zero (not unknown)."""
        if self.denominator is None:
            return None
        den = facts.get(self.denominator)
        if den is None or den != 0:
            return None
        return NOTHING_TO_MEASURE_ZH.get(self.denominator, "无统计对象")

    def as_dict(self) -> dict:
        return {
            "key": self.key, "label_zh": self.label_zh, "unit": self.unit, "formula": self.formula,
            "higher_is_better": self.higher_is_better, "classification": self.classification,
        }


# Additive facts per region and year; the store keeps exactly these columns.
FACTS: tuple[str, ...] = (
    "rural_population",
    "registered_households", "registered_population",
    "poor_households", "poor_population",
    "exited_population", "exits_in_year", "relapsed_population", "ever_exited_population",
    "income_ok_households",
    "housing_safe_households", "water_safe_households",
    "school_age_households", "education_ok_households", "medical_ok_households",
    "helped_poor_households", "visited_poor_households",
    "survey_answers", "survey_satisfied",
    "cadres", "helpers", "first_secretaries",
    "fund_allocated", "fund_arrived", "fund_paid",
    "projects_planned", "projects_started",
)

REGISTRY: tuple[Indicator, ...] = (
    Indicator("poverty_incidence", "贫困发生率", "%", "未脱贫及返贫户人口 ÷ 农村户籍人口 × 100", False,
              "poor_population", "rural_population"),
    Indicator("poor_population", "贫困人口", "人", "年末未脱贫及返贫户人口", False, "poor_population"),
    Indicator("poor_households", "贫困户数", "户", "年末未脱贫及返贫户数", False, "poor_households"),
    Indicator("exited_population", "累计脱贫人口", "人", "当年及以前脱贫且未返贫户人口", True,
              "exited_population"),
    Indicator("exits_in_year", "当年脱贫人口", "人", "当年脱贫户人口", True, "exits_in_year"),
    Indicator("relapse_rate", "返贫率", "%", "返贫人口 ÷ 累计脱贫人口(含返贫) × 100", False,
              "relapsed_population", "ever_exited_population", classification="quantiles"),
    Indicator("income_ok_rate", "收入达标率", "%", "人均纯收入达当年标准的贫困户 ÷ 贫困户 × 100", True,
              "income_ok_households", "poor_households"),
    Indicator("housing_safe_rate", "住房安全保障率", "%", "A/B级住房(含搬迁)户 ÷ 建档立卡户 × 100", True,
              "housing_safe_households", "registered_households"),
    Indicator("water_safe_rate", "饮水安全率", "%", "安全饮水户 ÷ 建档立卡户 × 100", True,
              "water_safe_households", "registered_households"),
    Indicator("education_ok_rate", "义务教育保障率", "%", "无失学辍学户 ÷ 有义务教育阶段子女户 × 100", True,
              "education_ok_households", "school_age_households"),
    Indicator("medical_ok_rate", "基本医疗保障率", "%", "成员全部参保户 ÷ 建档立卡户 × 100", True,
              "medical_ok_households", "registered_households"),
    Indicator("help_coverage", "帮扶覆盖率", "%", "有在岗结对干部的贫困户 ÷ 贫困户 × 100", True,
              "helped_poor_households", "poor_households", classification="quantiles"),
    Indicator("visit_rate", "月走访率", "%", "当月有有效签到的贫困户 ÷ 贫困户 × 100", True,
              "visited_poor_households", "poor_households"),
    Indicator("fund_arrival_rate", "资金到位率", "%", "到位资金 ÷ 下达资金 × 100", True,
              "fund_arrived", "fund_allocated"),
    Indicator("fund_spend_rate", "资金支出率", "%", "支付资金 ÷ 到位资金 × 100", True,
              "fund_paid", "fund_arrived"),
    Indicator("project_start_rate", "项目开工率", "%", "实施中及以后阶段项目 ÷ 计划项目 × 100", True,
              "projects_started", "projects_planned"),
    Indicator("satisfaction_rate", "群众认可度", "%", "满意答复 ÷ 有效调查答复 × 100", True,
              "survey_satisfied", "survey_answers", classification="quantiles"),
    # Counts the wall's KPI row needs; in the registry so clients can label them.
    Indicator("registered_households", "建档立卡户数", "户", "当年在册建档立卡户", False, "registered_households"),
    Indicator("cadres", "帮扶干部", "人", "当年在岗帮扶干部", True, "cadres"),
    Indicator("helpers", "帮扶责任人", "人", "有在岗结对的帮扶干部", True, "helpers"),
)

_BY_KEY = {i.key: i for i in REGISTRY}


def indicator_keys() -> list[str]:
    return list(_BY_KEY)


def get(key: str) -> Indicator:
    return _BY_KEY[key]


def compute_indicators(facts: Mapping[str, float | None]) -> dict[str, float | int | None]:
    return {i.key: i.value(facts) for i in REGISTRY}


def compute_notes(facts: Mapping[str, float | None]) -> dict[str, str]:
    """{indicator: why it has no value} for the rates whose denominator is zero; empty when none is."""
    out = {}
    for i in REGISTRY:
        note = i.note(facts)
        if note is not None:
            out[i.key] = note
    return out
