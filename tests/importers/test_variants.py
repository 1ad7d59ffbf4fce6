"""Names a register writes another way are taken with a warning; a name that matches nothing names the nearest."""

from __future__ import annotations

import csv

from sandbox.store.importers import import_households
from tests.importers.conftest import H, distinct_register, write_register


def _issues(path) -> list[dict]:
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


def test_village_committees_are_villages_and_unknown_names_get_the_nearest(county_engine, tmp_path):
    rows, pops = distinct_register()
    for r in rows:
        del r[H["village_code"]]  # placed by 乡镇 + 村 names, as many exports are
    rows[0][H["village"]] = rows[0][H["village"]] + "村委会"  # 北村村委会
    rows[1][H["village"]] = "南材"  # a typo: matches nothing
    rows[2][H["town"]] = "东镇人民政府"
    rows[3][H["town"]] = "北镇"  # no such town
    result = import_households(county_engine, write_register(tmp_path / "reg.csv", rows, villages=pops))
    issues = {(i["级别"], i["行号/要素号"]): i for i in _issues(result.report_path)}
    assert issues[("警告", "2")]["原因"].startswith("已按 村 北村 导入 (990101100201)")
    assert issues[("警告", "4")]["原因"].startswith("已按 乡镇 东镇 导入")
    assert "最接近的: 南村" in issues[("错误", "3")]["原因"]
    town = issues[("错误", "5")]
    assert town["列/字段"] == "乡镇" and "找不到乡镇 '北镇'" in town["原因"] and "最接近的" in town["原因"]
    assert (result.households_imported, result.households_rejected) == (4, 2)
