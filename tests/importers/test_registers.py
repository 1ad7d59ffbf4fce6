"""Household registers: valid rows upserted idempotently, bad rows and bad files reported, nothing half-written."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from sqlalchemy import select, text

from sandbox.store.importers import ImportFailed, import_households, import_villages
from sandbox.store.models import Household, HouseholdYear, Member, Meta, Region, RegionYearTotals
from tests.importers.conftest import (
    COUNTY, H, basic_register, fingerprint, household_row, member_row, village_row, write_register,
)


def totals(engine, code=COUNTY, year=2016) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(RegionYearTotals).where(RegionYearTotals.region_code == code,
                                                          RegionYearTotals.year == year)).first()
    return dict(row._mapping) if row else {}


def report_rows(path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the report must carry a BOM so that Excel reads it as UTF-8"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_register_imports_and_rolls_up(county_engine, tmp_path, suffix):
    rows, pops = basic_register(years=(2016, 2017))
    rows[0][H["status"]] = "已脱贫"  # household 1 in 2016 ...
    rows[0][H["exit_year"]] = 2016
    path = write_register(tmp_path / f"reg{suffix}", rows, [member_row(1, 0), member_row(1, 1)], pops)
    result = import_households(county_engine, path)
    assert result.rows_rejected == 0 and result.report_path is None
    assert (result.households.new, result.years.new, result.members.new, result.populations.new) == (6, 12, 1, 8)
    t16 = totals(county_engine, year=2016)
    assert t16["registered_households"] == 6 and t16["poor_households"] == 5
    assert t16["poor_population"] == 20 and t16["exits_in_year"] == 4
    assert t16["rural_population"] == 100 + 110 + 120 + 130
    with county_engine.connect() as conn:
        meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
        members = conn.execute(select(Member.name).order_by(Member.id)).scalars().all()
    assert meta["demo"] == "false" and meta["county_code"] == "990101"
    assert members == ["王1之0", "王1之1"]


def test_same_file_twice_changes_nothing(county_engine, tmp_path):
    rows, pops = basic_register(years=(2016, 2017))
    path = write_register(tmp_path / "reg.xlsx", rows, [member_row(2, 0)], pops)
    import_households(county_engine, path)
    before = fingerprint(county_engine)
    again = import_households(county_engine, path)
    assert not again.changed
    assert (again.households.unchanged, again.years.unchanged, again.members.unchanged) == (6, 12, 1)
    assert fingerprint(county_engine) == before  # not even the facts version moved


def test_a_changed_row_updates_only_that_row(county_engine, tmp_path):
    rows, pops = basic_register()
    import_households(county_engine, write_register(tmp_path / "a.xlsx", rows, villages=pops))
    rows[2][H["housing_grade"]] = "D"
    rows[3][H["head_name"]] = "李四"
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", rows, villages=pops))
    assert (result.households.updated, result.households.unchanged) == (1, 5)
    assert (result.years.updated, result.years.unchanged) == (1, 5)
    assert totals(county_engine)["housing_safe_households"] == 5


def test_wrong_check_digit_is_reported_with_file_row_column_value_and_reason(county_engine, tmp_path):
    rows, pops = basic_register()
    good = rows[1][H["id_number"]]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    rows[1][H["id_number"]] = bad
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    result = import_households(county_engine, path)
    assert result.rows_rejected == 1 and result.households.new == 5
    assert result.report_path == tmp_path / "reg.导入报告.csv"
    (issue,) = report_rows(result.report_path)
    assert issue["级别"] == "错误" and issue["文件"] == "reg.xlsx" and issue["工作表/图层"] == "户信息"
    assert issue["行号/要素号"] == "3" and issue["列/字段"] == "证件号码" and issue["值"] == bad
    assert f"校验位错误: 按前 17 位应为 {good[17]}" in issue["原因"]


def test_strict_import_with_a_bad_row_changes_nothing(county_engine, tmp_path):
    rows, pops = basic_register()
    import_households(county_engine, write_register(tmp_path / "first.xlsx", rows[:2], villages=pops))
    before = fingerprint(county_engine)
    rows[4][H["id_number"]] = rows[4][H["id_number"]][:17] + "Y"
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, path, strict=True, report_path=tmp_path / "out" / "r.csv")
    message = str(err.value)
    assert "1 行有错误" in message and "reg.xlsx" in message and "第 6 行" in message and "证件号码" in message
    assert "r.csv" in message and (tmp_path / "out" / "r.csv").is_file()
    assert fingerprint(county_engine) == before


def test_a_failure_while_writing_rolls_everything_back(county_engine, tmp_path, monkeypatch):
    rows, pops = basic_register()
    import_households(county_engine, write_register(tmp_path / "first.xlsx", rows[:3], villages=pops))
    before = fingerprint(county_engine)
    rows[0][H["members"]] = 7

    def boom(conn):
        raise RuntimeError("disk full")

    monkeypatch.setattr("sandbox.store.importers.households.refresh_totals", boom)
    with pytest.raises(RuntimeError):
        import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, [member_row(1, 0)], pops))
    assert fingerprint(county_engine) == before


def test_missing_column_names_the_file_sheet_and_column(county_engine, tmp_path):
    rows, pops = basic_register()
    for r in rows:
        del r[H["housing_grade"]]
    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, villages=pops))
    message = str(err.value)
    assert "文件 reg.xlsx 工作表 户信息" in message and "缺少必需的列 住房安全等级" in message
    assert fingerprint(county_engine) == before


def test_merged_header_cells_are_refused(county_engine, tmp_path):
    rows, _ = basic_register()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户信息"
    ws.append(["某某县建档立卡贫困户信息表"])  # a merged title row above the header is fine ...
    ws.merge_cells("A1:F1")
    header = list(rows[0])
    ws.append(header)
    for r in rows:
        ws.append([r[h] for h in header])
    income = header.index(H["income_wage"]) + 1
    ws.merge_cells(start_row=2, start_column=income, end_row=2, end_column=income + 1)  # ... one across columns is not
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, path)
    message = str(err.value)
    assert "文件 merged.xlsx 工作表 户信息 第 2 行" in message and "合并单元格" in message and "工资性收入" in message
    assert fingerprint(county_engine) == before


def test_title_rows_above_the_header_are_skipped(county_engine, tmp_path):
    rows, pops = basic_register()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户信息"
    ws.append(["某某县建档立卡贫困户信息表"])
    ws.merge_cells("A1:H1")
    ws.append(["导出时间: 2017-12-06"])
    header = list(rows[0])
    ws.append(header)
    for r in rows:
        ws.append([r[h] for h in header])
    path = tmp_path / "titled.xlsx"
    wb.save(path)
    assert import_households(county_engine, path).households.new == 6


@pytest.mark.parametrize("name,content,expected", [
    ("reg.xlsx", "户编号,证件号码\n1,2\n".encode(), "扩展名是 .xlsx, 但内容是纯文本 (如 CSV), 不是 Excel 工作簿"),
    ("reg.xlsx", b"<html><table><tr><td>1</td></tr></table></html>", "网页"),
    ("reg.csv", b"PK\x03\x04" + b"\x00" * 100, "扩展名是 .csv, 但内容是ZIP 压缩包"),
    ("reg.xls", "户编号\n1\n".encode(), "扩展名是 .xls, 但内容是纯文本"),
    ("reg.pdf", b"%PDF-1.4", "不支持的格式 .pdf"),
])
def test_a_file_that_is_not_what_its_extension_says(county_engine, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, path)
    assert expected in str(err.value) and name in str(err.value)
    assert fingerprint(county_engine) == before


def test_excel_numbers_that_lost_digits_and_bad_codes(county_engine, tmp_path):
    rows, pops = basic_register()
    rows[0][H["id_number"]] = float(rows[0][H["id_number"]][:17] + "1")  # Excel turned the ID into 5.2E+17
    rows[1][H["main_cause"]] = "因懒"
    rows[2][H["income_wage"]] = "三千"
    rows[3][H["year"]] = "2016年"  # accepted
    rows[4][H["village_code"]] = "990101100299"
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, villages=pops))
    issues = {i["列/字段"]: i["原因"] for i in report_rows(result.report_path)}
    assert "被 Excel 存成了数字, 末几位已丢失" in issues["证件号码"]
    assert "不在代码表中, 可用: 因病、因残" in issues["主要致贫原因"]
    assert issues["工资性收入"] == "应为数字"
    assert "区划代码不在数据库中" in issues["行政区划代码"]
    assert result.rows_rejected == 4 and result.households.new == 2


def test_gbk_csv_with_names_instead_of_codes(county_engine, tmp_path):
    rows, pops = basic_register()
    for r in rows:
        del r[H["village_code"]]
    header = list(rows[0])
    path = tmp_path / "gbk.csv"
    with path.open("w", encoding="gbk", newline="") as f:  # what Excel on Chinese Windows saves
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([["" if r[h] is None else r[h] for h in header] for r in rows])
    result = import_households(county_engine, path, villages_path=write_register(tmp_path / "v.csv", pops))
    assert result.households.new == 6 and result.rows_rejected == 0
    with county_engine.connect() as conn:
        assert conn.execute(select(Household.village_code).where(Household.household_number == "99010110020100001")
                            ).scalar() == "990101100201"


def test_consistency_checks_across_columns_and_rows(county_engine, tmp_path):
    rows, pops = basic_register()
    rows[0][H["identified_year"]] = 2018  # identified after the row's year
    rows[1][H["status"]] = "已脱贫"
    rows[1][H["exit_year"]] = 2019  # exit after the row's year
    rows.append(dict(rows[2]))  # the same household and year twice
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, villages=pops))
    reasons = [i["原因"] for i in report_rows(result.report_path)]
    assert any("识别年度晚于年度" in r for r in reasons)
    assert any("脱贫年度应在识别年度" in r for r in reasons)
    assert any("已出现过" in r and "第 4 行" in r for r in reasons)


def test_members_of_unknown_households_and_bad_member_ids(county_engine, tmp_path):
    rows, pops = basic_register()
    members = [member_row(1, 0), member_row(99, 0), member_row(2, 0, id_number="52272619800101123")]
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, members, pops))
    reasons = {i["行号/要素号"]: i["原因"] for i in report_rows(result.report_path) if i["工作表/图层"] == "家庭成员"}
    assert "户编号不在户信息中" in reasons["3"] and "长度为 17 位" in reasons["4"]
    assert result.member_rows == 1


def test_villages_alone_and_derived_poor_village_exit(county_engine, tmp_path):
    rows, _ = basic_register(years=(2016, 2017))
    for r in rows:
        if r[H["year"]] == 2017:
            r[H["status"]] = "已脱贫"
            r[H["exit_year"]] = 2017
    import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows))
    assert not totals(county_engine)["rural_population"]  # no denominator yet
    pops = [village_row(c, y, 100, poor="是") for y in (2016, 2017) for c in ("990101100201", "990101100202")]
    for p in pops:
        del p["出列年度"]
    result = import_villages(county_engine, write_register(tmp_path / "villages.csv", pops))
    assert result.populations.new == 4 and result.poor_villages_updated == 2
    assert result.derived_village_exits == 2  # no 出列年度 column: under 3% in 2017
    with county_engine.connect() as conn:
        exits = dict(conn.execute(select(Region.code, Region.poor_village_exit_year)
                                  .where(Region.is_poor_village.is_(True))).all())
    assert exits == {"990101100201": 2017, "990101100202": 2017}
    assert totals(county_engine, year=2017)["exited_poor_villages"] == 2


def test_a_demo_database_is_refused(demo_engine, tmp_path):
    rows, _ = basic_register()
    with pytest.raises(ImportFailed, match="演示数据"):
        import_households(demo_engine, write_register(tmp_path / "reg.xlsx", rows))


def test_an_empty_database_asks_for_boundaries_first(empty_engine, tmp_path):
    rows, _ = basic_register()
    with pytest.raises(ImportFailed, match="请先导入边界"):
        import_households(empty_engine, write_register(tmp_path / "reg.xlsx", rows))


def test_closed_and_relapsed_households(county_engine, tmp_path):
    rows = [household_row(1, 2016, status="销户"), household_row(2, 2016, status="返贫"),
            household_row(3, 2016, status="已脱贫", exit_year=2015)]
    import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows))
    t = totals(county_engine)
    assert t["registered_households"] == 2 and t["poor_households"] == 1 and t["relapsed_population"] == 4
    assert t["exits_in_year"] == 0 and t["exited_population"] == 4
    with county_engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM household_years WHERE exited_this_year")).scalar()
    assert n == 0
    assert HouseholdYear  # the model the rollup reads


def test_text_tricks_of_exports_are_undone(county_engine, tmp_path):
    rows, pops = basic_register()
    rows[0][H["id_number"]] = f'="{rows[0][H["id_number"]]}"'  # how some systems keep IDs as text in CSV
    rows[1][H["id_number"]] = "'" + rows[1][H["id_number"]]
    rows[2][H["housing_grade"]] = "C级危房"
    rows[3][H["status"]] = "已脱贫（享受政策）"
    rows[3][H["exit_year"]] = "2016年"
    typed = rows[4][H["id_number"]]  # typed with a Chinese input method: full-width digits
    rows[4][H["id_number"]] = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "X" else c for c in typed)
    assert rows[4][H["id_number"]] != typed
    result = import_households(county_engine, write_register(tmp_path / "reg.csv", rows, villages=pops))
    assert result.rows_rejected == 0, result.report.summary(3)
    t = totals(county_engine)
    assert t["housing_safe_households"] == 5 and t["exits_in_year"] == 4
    with county_engine.connect() as conn:
        assert conn.execute(select(Household.id_number).where(Household.id_number == typed)).scalar() == typed
