"""Classing of indicator values and legend labels (no Qt)."""

import math

import pytest

from sandbox.ui.classify import NO_DATA, classify, legend_labels
from sandbox.ui.fmt import format_as_of, format_value


def test_natural_breaks_groups_clusters():
    values = [1.0, 1.2, 1.1, 5.0, 5.2, 9.8, 10.0, 10.1, 20.0, 21.0, 30.0, 31.0]
    c = classify(values, "natural_breaks", k=5)
    assert c.k == 5
    assert list(c.bins) == sorted(c.bins)
    assert c.bins[-1] == 31.0
    # members of a tight cluster share a class, and classes rise with the values
    assert c.classes[0] == c.classes[1] == c.classes[2] == 0
    assert c.classes[5] == c.classes[6] == c.classes[7]
    by_value = [k for _, k in sorted(zip(values, c.classes))]
    assert by_value == sorted(by_value)
    for v, k in zip(values, c.classes):
        low, high = c.class_range(k)
        assert low <= v <= high


def test_quantiles_scheme_and_counts():
    values = list(range(1, 21))
    c = classify(values, "quantiles", k=4)
    assert c.k == 4
    assert c.counts() == [5, 5, 5, 5]


def test_none_and_nan_are_no_data():
    c = classify([None, 3.0, float("nan"), 7.0, 1.0, 9.0, 11.0, 15.0], "natural_breaks", k=3)
    assert c.classes[0] == NO_DATA and c.classes[2] == NO_DATA
    assert all(k >= 0 for i, k in enumerate(c.classes) if i not in (0, 2))
    assert sum(c.counts()) == 6


def test_all_no_data():
    c = classify([None, None], "quantiles")
    assert c.bins == () and c.classes == (NO_DATA, NO_DATA)
    assert legend_labels(c, "%") == []


def test_empty_input():
    c = classify([], "natural_breaks")
    assert c.k == 0 and c.classes == ()


def test_all_equal_values_make_one_class():
    c = classify([4.0, 4.0, 4.0, None], "natural_breaks", k=5)
    assert c.bins == (4.0,)
    assert c.classes == (0, 0, 0, NO_DATA)
    assert legend_labels(c, "%") == ["4.0%"]


@pytest.mark.parametrize("scheme", ["natural_breaks", "quantiles"])
def test_few_unique_values_one_class_each(scheme):
    c = classify([1, 1, 2, 2, 2, 9], scheme, k=5)
    assert c.unique_values
    assert c.bins == (1.0, 2.0, 9.0)
    assert c.classes == (0, 0, 1, 1, 1, 2)
    assert legend_labels(c, "人") == ["1人", "2人", "9人"]


def test_quantiles_with_ties_have_no_empty_class():
    values = [0.0] * 10 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    c = classify(values, "quantiles", k=5)
    assert all(n > 0 for n in c.counts())


def test_integers_and_bools():
    c = classify([10, 20, 30, 40, 50, 60, 70], "natural_breaks", k=3)
    assert c.k == 3 and NO_DATA not in c.classes


def test_bad_scheme_is_rejected():
    with pytest.raises(ValueError, match="scheme"):
        classify([1, 2], "jenks")


def test_legend_labels_ranges_with_units():
    c = classify([0.5, 0.6, 3.2, 3.3, 7.5, 7.7, 12.0, 15.0, 22.0, 23.0], "natural_breaks", k=4)
    labels = legend_labels(c, "%")
    assert len(labels) == 4
    assert labels[0].startswith("0.5 – ") and labels[0].endswith("%")
    assert labels[-1].endswith("23.0%")


def test_legend_labels_grow_decimals_until_edges_differ():
    c = classify([0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18], "quantiles", k=4)
    labels = legend_labels(c, "%")
    edges = [lab.replace("%", "").split(" – ") for lab in labels]
    assert all(a != b for a, b in edges)


def test_legend_labels_counts_have_thousands_separator():
    c = classify([1200, 1500, 5300, 9800, 12000, 45000, 46000], "natural_breaks", k=3)
    assert legend_labels(c, "人")[-1].endswith("46,000人")


def test_format_value():
    assert format_value(None, "%") == "无数据"
    assert format_value(float("nan"), "%") == "无数据"
    assert format_value(15.1, "%") == "15.1%"
    assert format_value(0.85, "%") == "0.85%"
    assert format_value(45123, "人") == "45,123人"
    assert not math.isnan(0.0) and format_value(0, "户") == "0户"


def test_format_as_of():
    assert format_as_of("2020-12-31T18:00:00+08:00") == "2020年12月31日 18:00"
    assert format_as_of("2020-12-31T10:00:00Z") == "2020年12月31日 10:00"
    assert format_as_of(None) == "未知"
    assert format_as_of("昨天") == "昨天"



def test_the_header_line_names_the_import_apart_from_the_data_date():
    from sandbox.ui.fmt import as_of_line

    assert format_as_of("2020-12-31") == "2020年12月31日"  # a register's date: no made-up 00:00
    assert as_of_line("2020-12-31", "2021-03-05T18:30:00+08:00") == "数据截至 2020年12月31日 · 导入于 2021年03月05日 18:30"
    assert as_of_line("2021-03-05T18:30:00+08:00", "2021-03-05T18:30:00+08:00") == "导入于 2021年03月05日 18:30"
    assert as_of_line("2020-12-31T18:00:00+08:00") == "数据截至 2020年12月31日 18:00"  # the demo: as before
    assert format_as_of("2020-12-31T00:00:00+08:00") == "2020年12月31日"  # a year's end: no made-up 00:00
    assert as_of_line("2020-12-31T00:00:00+08:00", lead="数据更新于") == "数据更新于 2020年12月31日"


# -- breaks that hold across years ----------------------------------------------------------------------

from sandbox.ui.classify import POLICY_THRESHOLDS, classify_over, fixed_breaks, reclass  # noqa: E402

YEAR_2014 = [28.0, 24.0, 20.0, 16.0, 12.0, 8.0]
YEAR_2015 = [24.0, 20.0, 16.0, 12.0, 8.0, 4.0]


def test_pooled_breaks_give_one_value_one_class_in_every_year():
    pool = YEAR_2014 + YEAR_2015
    a = classify_over(YEAR_2014, pool, "natural_breaks", 5)
    b = classify_over(YEAR_2015, pool, "natural_breaks", 5)
    assert a.bins == b.bins and a.lower == b.lower == 4.0
    assert a.classes[1] == b.classes[0] and a.classes[2] == b.classes[1]  # 24% and 20%, both years
    # per-year classing breaks that promise: 20% is one class below the top in 2014, the top in 2015
    assert classify(YEAR_2014, "natural_breaks", 5).classes[2] != classify(YEAR_2015, "natural_breaks", 5).classes[1]


def test_a_class_may_be_empty_in_one_year():
    pool = YEAR_2014 + [0.5, 0.2]
    c = classify_over([0.2, 0.5], pool, "natural_breaks", 5)
    assert c.counts()[0] == 2 and sum(c.counts()) == 2 and c.k == 5


def test_policy_thresholds_for_poverty_incidence():
    edges = POLICY_THRESHOLDS["poverty_incidence"]
    assert edges == (3.0, 5.0, 10.0, 20.0, 30.0)
    c = classify_over([0.2, 2.99, 3.0, 4.0, 12.0, 31.6, None], None, "natural_breaks", 5, thresholds=edges)
    assert c.scheme == "thresholds" and c.open_top and c.k == 6
    assert c.classes == (0, 0, 0, 1, 3, 5, NO_DATA)
    assert legend_labels(c, "%") == ["0 – 3%", "3 – 5%", "5 – 10%", "10 – 20%", "20 – 30%", "30% 以上"]
    assert math.isfinite(c.bins[-1])  # JSON-safe for exports
    assert c.class_of(1e6) == 5


def test_fixed_breaks_rejects_unsorted_thresholds_and_reclass_keeps_bins():
    with pytest.raises(ValueError):
        fixed_breaks([1.0], thresholds=(5.0, 3.0))
    base = fixed_breaks(range(20), "quantiles", 4)
    again = reclass(base, [0, 19, None])
    assert again.bins == base.bins and again.classes == (0, 3, NO_DATA)
