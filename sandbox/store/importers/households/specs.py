"""How each column of a 建档立卡 register is read: converters and specs for 户信息, 家庭成员 and 村级数据."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.domain.enums import ExitBatch, HouseholdAttribute, HouseholdStatus, HousingGrade, PovertyCause
from sandbox.store.importers.convert import Spec
from sandbox.store.importers.fields import (
    CellError,
    Corrected,
    as_bool,
    as_code,
    as_date,
    as_digits,
    as_id_number,
    as_int,
    as_number,
    as_phone,
    as_text,
    as_year,
    optional,
)
from sandbox.store.importers.mapping import Mapping, TableLayout
from sandbox.store.importers.report import ImportFailed
from sandbox.store.importers.tables import normalise_value
from sandbox.store.importers.variants import suggest, unique_variant

__all__ = ["household_specs", "member_specs", "village_specs", "PLACE", "INCOMES"]

INCOMES = ("income_wage", "income_business", "income_transfer", "income_property", "production_cost")



def _text(max_len: int) -> Callable:
    def convert(v):
        s = as_text(v)
        if len(s) > max_len:
            raise CellError(f"超过 {max_len} 个字符")
        return s
    return convert


def _region_code(v):
    s = as_digits(v).replace(" ", "")
    if len(s) == 12 and s.isascii() and s.isdigit():
        return s
    if not (s.isascii() and s.isdigit()):
        raise CellError("不是区划代码: 应为 12 位数字")
    raise CellError(f"区划代码有 {len(s)} 位, 应为 12 位 (村级代码, 如 522726103201)")


def _lookup(enum, layout: TableLayout, key: str, extra_codes: dict[str, str] | None = None) -> Callable:
    table = {}
    for member in enum:
        table[normalise_value(member.value)] = member.value
        table[normalise_value(member.label_zh)] = member.value
    for spelling, code in (extra_codes or {}).items():
        table[normalise_value(spelling)] = code
    for spelling, code in layout.values.get(key, {}).items():
        if code not in {x.value for x in enum}:
            raise ImportFailed(f"映射文件: [{layout.name}.values.{key}] {spelling!r} = {code!r} 不是有效代码 "
                               f"(可用: {'、'.join(x.value for x in enum)})")
        table[spelling] = code
    labels = [x.label_zh for x in enum]
    label_of = {x.value: x.label_zh for x in enum}
    spellings = {k: v for k, v in table.items() if not k.isascii()}  # codes (01, A) are never abbreviated

    def convert(v):
        try:
            return as_code(v, table, labels)
        except CellError:
            written = normalise_value(as_text(v))
            code = unique_variant(written, spellings)
            if code is None:
                raise CellError(f"不在代码表中{suggest(written, labels)}; 可用: {'、'.join(labels)}") from None
            return Corrected(code, label_of[code])
    return convert


def _boolean(mapping: Mapping, layout: TableLayout, key: str) -> Callable:
    extra = layout.values.get(key)
    return lambda v: as_bool(v, mapping.true_values, mapping.false_values, extra)


def _range(lo: float, hi: float) -> Callable:
    def convert(v):
        x = as_number(v)
        if x is not None and not lo <= x <= hi:
            raise CellError(f"应在 {lo} 到 {hi} 之间")
        return x
    return convert


def _money(v):
    x = as_number(v)
    return None if x is None else round(x, 2)


def household_specs(mapping: Mapping) -> list[Spec]:
    lay = mapping.households
    causes = {str(int(c.value)): c.value for c in PovertyCause}  # Excel turns "01" into 1
    return [
        Spec("household_number", _text(32), True, True),
        Spec("province", _text(64)), Spec("prefecture", _text(64)),
        Spec("county", _text(64)), Spec("town", _text(64)), Spec("village", _text(64)),
        Spec("village_code", _region_code),
        Spec("head_name", _text(32), True, True),
        Spec("id_number", as_id_number, True, True),
        Spec("phone", optional(as_phone)),
        Spec("bank_account", optional(_text(32))),
        Spec("attribute", _lookup(HouseholdAttribute, lay, "attribute"), True, True),
        Spec("identified_year", as_year, True, True),
        Spec("main_cause", _lookup(PovertyCause, lay, "main_cause", causes), True, True),
        Spec("exit_batch", optional(_lookup(ExitBatch, lay, "exit_batch"))),
        Spec("year", as_year, True, True),
        Spec("status", _lookup(HouseholdStatus, lay, "status"), True, True),
        Spec("exit_year", optional(as_year)),
        Spec("members", lambda v: as_int(v, 1, 99), True, True),
        *(Spec(k, _money, True, money=True) for k in INCOMES),
        Spec("net_income", _money, money=True), Spec("per_capita_net_income", _money, money=True),
        Spec("food_clothing_ok", _boolean(mapping, lay, "food_clothing_ok")),
        Spec("housing_grade", _lookup(HousingGrade, lay, "housing_grade"), True, True),
        Spec("relocated", _boolean(mapping, lay, "relocated")),
        Spec("water_safe", _boolean(mapping, lay, "water_safe"), True, True),
        Spec("school_age_children", _boolean(mapping, lay, "school_age_children")),
        Spec("dropout", _boolean(mapping, lay, "dropout"), True, True),
        Spec("all_insured", _boolean(mapping, lay, "all_insured"), True, True),
        Spec("survey_satisfied", _boolean(mapping, lay, "survey_satisfied")),
        Spec("lon", optional(_range(70.0, 140.0))), Spec("lat", optional(_range(0.0, 60.0))),
        Spec("as_of", optional(as_date)),
    ]


def member_specs(mapping: Mapping) -> list[Spec]:
    lay = mapping.members
    sexes = {normalise_value("男"): "男", normalise_value("女"): "女"}
    sexes.update({k: v for k, v in lay.values.get("sex", {}).items()})
    return [
        Spec("household_number", _text(32), True, True),
        Spec("name", _text(32), True, True),
        Spec("id_number", as_id_number, True, True),
        Spec("relation", _text(16)),
        Spec("sex", lambda v: as_code(v, sexes, ["男", "女"])),
        Spec("ethnicity", _text(16)), Spec("education", _text(16)),
        Spec("health", _text(16)), Spec("labour_capacity", _text(16)),
        Spec("migrant_work", _boolean(mapping, lay, "migrant_work")),
    ]


def village_specs(mapping: Mapping) -> list[Spec]:
    lay = mapping.villages
    return [
        Spec("village_code", _region_code),
        Spec("county", _text(64)), Spec("town", _text(64)), Spec("village", _text(64)),
        Spec("year", as_year, True, True),
        Spec("rural_population", lambda v: as_int(v, 0, 10_000_000), True, True),
        Spec("is_poor_village", _boolean(mapping, lay, "is_poor_village")),
        Spec("poor_village_exit_year", as_year),
    ]


PLACE = (("village_code", "town+village"),)
