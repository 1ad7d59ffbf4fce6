"""Household registers: valid rows upserted idempotently, bad rows and bad files reported, nothing half-written."""

from __future__ import annotations

import csv
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import select, text

from sandbox.store.importers import ImportFailed, import_households, import_villages
from sandbox.store.models import Household, HouseholdYear, Member, Meta, Region, RegionYearTotals
from tests.importers.conftest import (
    COUNTY,
    H,
    distinct_household_row,
    distinct_member_row,
    distinct_register,
    fingerprint,
    head_id,
    member_id,
    village_row,
    write_register,
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
    rows, pops = distinct_register(years=(2016, 2017))
    rows[0][H["status"]] = "已脱贫"  # household 1 in 2016 ...
    rows[0][H["exit_year"]] = 2016
    path = write_register(tmp_path / f"reg{suffix}", rows, [distinct_member_row(1, 0), distinct_member_row(1, 1)], pops)
    result = import_households(county_engine, path)
    assert result.rows_rejected == 0 and result.report_path is None
    assert (result.households.new, result.years.new, result.members.new, result.populations.new) == (6, 12, 1, 8)
    t16 = totals(county_engine, year=2016)
    assert t16["registered_households"] == 6 and t16["poor_households"] == 5
    assert t16["poor_population"] == 20 and t16["exits_in_year"] == 4
    assert t16["rural_population"] == 100 + 110 + 120 + 130
    # no cadre roster, fund ledger, project list or survey answer on record: unknown, not zero
    assert {k: t16[k] for k in ("cadres", "fund_allocated", "projects_planned", "survey_answers")} == dict.fromkeys(
        ("cadres", "fund_allocated", "projects_planned", "survey_answers"))
    with county_engine.connect() as conn:
        meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
        members = conn.execute(select(Member.name).order_by(Member.id)).scalars().all()
    assert meta["demo"] == "false" and meta["county_code"] == "990101"
    assert members == ["王1之0", "王1之1"]


def test_survey_answers_once_any_are_on_record(county_engine, tmp_path):
    rows, pops = distinct_register(years=(2016, 2017))
    rows[0][H["survey_satisfied"]] = "满意"  # one answer, in 2016
    import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, [distinct_member_row(1, 0)], pops))
    assert (totals(county_engine, year=2016)["survey_answers"], totals(county_engine, year=2017)["survey_answers"]) \
        == (1, 0)  # 2017 had none: a count of zero, since answers are on record


def test_same_file_twice_changes_nothing(county_engine, tmp_path):
    rows, pops = distinct_register(years=(2016, 2017))
    path = write_register(tmp_path / "reg.xlsx", rows, [distinct_member_row(2, 0)], pops)
    import_households(county_engine, path)
    before = fingerprint(county_engine)
    again = import_households(county_engine, path)
    assert not again.changed
    assert (again.households.unchanged, again.years.unchanged, again.members.unchanged) == (6, 12, 1)
    assert fingerprint(county_engine) == before  # not even the facts version moved


def test_a_changed_row_updates_only_that_row(county_engine, tmp_path):
    rows, pops = distinct_register()
    import_households(county_engine, write_register(tmp_path / "a.xlsx", rows, villages=pops))
    rows[2][H["housing_grade"]] = "D"
    rows[3][H["head_name"]] = "李四"
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", rows, villages=pops))
    assert (result.households.updated, result.households.unchanged) == (1, 5)
    assert (result.years.updated, result.years.unchanged) == (1, 5)
    assert totals(county_engine)["housing_safe_households"] == 5


def test_wrong_check_digit_is_reported_with_file_row_column_value_and_reason(county_engine, tmp_path):
    rows, pops = distinct_register()
    good = rows[1][H["id_number"]]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    rows[1][H["id_number"]] = bad
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    result = import_households(county_engine, path)
    assert result.rows_rejected == 1 and result.households.new == 5
    assert result.report_path == tmp_path / "reg.xlsx.导入报告.csv"
    (issue,) = report_rows(result.report_path)
    assert issue["级别"] == "错误" and issue["文件"] == "reg.xlsx" and issue["工作表/图层"] == "户信息"
    assert issue["行号/要素号"] == "3" and issue["列/字段"] == "证件号码" and issue["值"] == bad
    assert f"校验位错误: 按前 17 位应为 {good[17]}" in issue["原因"]


def test_strict_import_with_a_bad_row_changes_nothing(county_engine, tmp_path):
    rows, pops = distinct_register()
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
    rows, pops = distinct_register()
    import_households(county_engine, write_register(tmp_path / "first.xlsx", rows[:3], villages=pops))
    before = fingerprint(county_engine)
    rows[0][H["members"]] = 7

    def boom(conn):
        raise RuntimeError("disk full")

    monkeypatch.setattr("sandbox.store.importers.households.rollup.refresh_totals", boom)
    with pytest.raises(RuntimeError):
        import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, [distinct_member_row(1, 0)], pops))
    assert fingerprint(county_engine) == before


def test_missing_column_names_the_file_sheet_and_column(county_engine, tmp_path):
    rows, pops = distinct_register()
    for r in rows:
        del r[H["housing_grade"]]
    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, villages=pops))
    message = str(err.value)
    assert "文件 reg.xlsx 工作表 户信息" in message and "缺少必需的列 住房安全等级" in message
    assert fingerprint(county_engine) == before


def test_merged_header_cells_are_refused(county_engine, tmp_path):
    rows, _ = distinct_register()
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
    rows, pops = distinct_register()
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
    rows, pops = distinct_register()
    rows[0][H["id_number"]] = float(rows[0][H["id_number"]][:17] + "1")  # Excel turned the ID into 5.2E+17
    rows[1][H["main_cause"]] = "因懒"
    rows[2][H["income_wage"]] = "三千"
    rows[3][H["year"]] = "2016年"  # accepted
    rows[4][H["village_code"]] = "990101100299"
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, villages=pops))
    issues = {i["列/字段"]: i["原因"] for i in report_rows(result.report_path)}
    assert "被 Excel 存成了数字, 末几位已丢失" in issues["证件号码"]
    assert "不在代码表中; 最接近的: 因病" in issues["主要致贫原因"] and "可用: 因病、因残" in issues["主要致贫原因"]
    assert issues["工资性收入"] == "应为数字"
    assert "区划代码不在数据库中" in issues["行政区划代码"]
    assert result.rows_rejected == 4 and result.households.new == 2


def test_gbk_csv_with_names_instead_of_codes(county_engine, tmp_path):
    rows, pops = distinct_register()
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
    rows, pops = distinct_register()
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
    rows, pops = distinct_register()
    members = [distinct_member_row(1, 0), distinct_member_row(99, 0), distinct_member_row(2, 0, id_number="52272619800101123")]
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, members, pops))
    reasons = {i["行号/要素号"]: i["原因"] for i in report_rows(result.report_path)
               if i["工作表/图层"] == "家庭成员" and i["级别"] == "错误"}
    assert "户编号不在户信息中" in reasons["3"] and "长度为 17 位" in reasons["4"]
    assert result.member_rows == 1  # household 2, with its one row rejected, keeps its (empty) list


def test_villages_alone_and_derived_poor_village_exit(county_engine, tmp_path):
    rows, _ = distinct_register(years=(2016, 2017))
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
    rows, _ = distinct_register()
    with pytest.raises(ImportFailed, match="演示数据"):
        import_households(demo_engine, write_register(tmp_path / "reg.xlsx", rows))


def test_an_empty_database_asks_for_boundaries_first(empty_engine, tmp_path):
    rows, _ = distinct_register()
    with pytest.raises(ImportFailed, match="请先导入边界"):
        import_households(empty_engine, write_register(tmp_path / "reg.xlsx", rows))


def test_closed_and_relapsed_households(county_engine, tmp_path):
    rows = [distinct_household_row(1, 2016, status="销户"), distinct_household_row(2, 2016, status="返贫"),
            distinct_household_row(3, 2016, status="已脱贫", exit_year=2015)]
    import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows))
    t = totals(county_engine)
    assert t["registered_households"] == 2 and t["poor_households"] == 1 and t["relapsed_population"] == 4
    assert t["exits_in_year"] == 0 and t["exited_population"] == 4
    with county_engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM household_years WHERE exited_this_year")).scalar()
    assert n == 0
    assert HouseholdYear  # the model the rollup reads


def test_text_tricks_of_exports_are_undone(county_engine, tmp_path):
    rows, pops = distinct_register()
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


# --- one person, one household -----------------------------------------------------------------------


def number_of(row: dict) -> str:
    return row[H["household_number"]]


def test_two_households_with_the_same_head_id_in_one_file(county_engine, tmp_path):
    rows, pops = distinct_register(years=(2016, 2017))  # rows 2-7: 2016, rows 8-13: 2017
    for r in (rows[3], rows[9]):  # household 4, both years, has household 2's head
        r[H["id_number"]] = rows[1][H["id_number"]]
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    result = import_households(county_engine, path)
    assert result.rows_rejected == 2 and result.households.new == 5
    issues = report_rows(result.report_path)
    assert [(i["行号/要素号"], i["列/字段"]) for i in issues] == [("5", "证件号码"), ("11", "证件号码")]
    assert issues[0]["值"] == rows[1][H["id_number"]]  # the report is the admin's: the cell as it was
    assert f"证件号码与第 3 行 (户编号 {number_of(rows[1])}) 相同" in issues[0]["原因"]
    assert f"证件号码与第 9 行 (户编号 {number_of(rows[1])}) 相同" in issues[1]["原因"]
    assert rows[1][H["id_number"]] not in issues[0]["原因"]
    with county_engine.connect() as conn:
        assert conn.execute(select(Household.household_number)
                            .where(Household.id_number == rows[1][H["id_number"]])).scalars().all() == [
            number_of(rows[1])]

    again = import_households(county_engine, path)  # the same file again: the same row rejected, nothing else
    assert again.rows_rejected == 2 and not again.changed

    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, path, strict=True)
    assert "2 行有错误 (--strict: 全部不导入)" in str(err.value) and "第 5 行" in str(err.value)
    assert rows[1][H["id_number"]] not in str(err.value)  # one-line messages end up in logs: masked
    assert fingerprint(county_engine) == before


def test_a_head_id_held_by_another_household_in_the_database(county_engine, tmp_path):
    rows, pops = distinct_register()
    import_households(county_engine, write_register(tmp_path / "first.xlsx", rows, villages=pops))
    taken = rows[1][H["id_number"]]
    newcomer = distinct_household_row(7, id_number=taken)
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", [rows[0], newcomer]))
    assert result.rows_rejected == 1 and result.households.new == 0
    (issue,) = report_rows(result.report_path)
    assert issue["行号/要素号"] == "3" and issue["列/字段"] == "证件号码"
    assert f"证件号码已属于数据库中的另一户 (户编号 {number_of(rows[1])})" in issue["原因"]

    # The same households again (same 户编号, same IDs) are not duplicates of themselves.
    assert import_households(county_engine, write_register(tmp_path / "c.xlsx", rows, villages=pops)).rows_rejected == 0


def test_a_head_changes_and_another_household_takes_the_old_id(county_engine, tmp_path):
    rows, pops = distinct_register()
    import_households(county_engine, write_register(tmp_path / "first.xlsx", rows, villages=pops))
    old = rows[1][H["id_number"]]
    rows[1][H["id_number"]] = head_id(200)  # household 2's head changes legitimately ...
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", rows[:2]))
    assert result.rows_rejected == 0 and result.households.updated == 1
    # ... and in one file: household 3 gets household 2's new head, household 2 gets a new one again
    rows[2][H["id_number"]] = head_id(200)
    rows[1][H["id_number"]] = old
    result = import_households(county_engine, write_register(tmp_path / "c.xlsx", rows[1:3]))
    assert result.rows_rejected == 0 and result.households.updated == 2
    with county_engine.connect() as conn:
        heads = dict(conn.execute(select(Household.household_number, Household.id_number)).all())
    assert heads[number_of(rows[1])] == old and heads[number_of(rows[2])] == head_id(200)


def test_a_head_in_one_year_may_head_another_household_later(county_engine, tmp_path):
    # 分户: household 1's head in 2016 heads household 7 from 2017, household 1 gets a new head.
    split = [distinct_household_row(1, 2016), distinct_household_row(1, 2017, id_number=head_id(300)),
             distinct_household_row(7, 2017, id_number=head_id(1))]
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", split))
    assert result.rows_rejected == 0 and result.households.new == 2
    # ... but not in the same year
    same_year = [distinct_household_row(8, 2016), distinct_household_row(9, 2016, id_number=head_id(8))]
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", same_year))
    (issue,) = report_rows(result.report_path)
    assert issue["行号/要素号"] == "3" and "同一年度 (2016) 一人不能是两户的户主" in issue["原因"]


def test_a_member_in_two_households(county_engine, tmp_path):
    rows, pops = distinct_register()
    members = [
        distinct_member_row(1, 0, id_number=head_id(1)),  # the head among the members: fine
        distinct_member_row(1, 1),
        distinct_member_row(2, 1, id_number=member_id(1, 1)),  # household 1's member (row 3)
        distinct_member_row(2, 2, id_number=head_id(3)),  # household 3's head
        distinct_member_row(1, 2, id_number=member_id(1, 1)),  # listed twice in household 1
        distinct_member_row(3, 0, id_number=head_id(3)),
    ]
    result = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, members, pops))
    report = [i for i in report_rows(result.report_path) if i["工作表/图层"] == "家庭成员"]
    issues = {i["行号/要素号"]: i["原因"] for i in report if i["级别"] == "错误"}
    assert set(issues) == {"4", "5", "6"}
    assert f"证件号码与第 3 行 (户编号 {number_of(rows[0])}) 相同, 一人不能属于两户" in issues["4"]
    assert f"户信息中另一户 (户编号 {number_of(rows[2])}) 户主" in issues["5"]
    assert "证件号码与第 3 行相同, 同一户的成员重复" in issues["6"]
    # Households 1 and 2 have a rejected row, household 3 lists the person rejected in household 2:
    # none of the three lists is written (a rejected row would otherwise drop or move a person).
    assert {i["值"] for i in report if i["级别"] == "警告"} == {number_of(r) for r in rows[:3]}
    assert result.member_rows == 0 and result.rows_rejected == 3


# --- whole-file problems: said in Chinese, whole ------------------------------------------------------

_WORDS_IN_MESSAGES = {"Excel", "WPS", "ZIP", "CSV", "TOML", "OpenDocument", "xlsx", "xls", "ods", "csv", "Word",
                      "docx", "UTF", "Office", "toml"}


def _english_in(message: str, *names: str) -> set[str]:
    for name in names:
        message = message.replace(name, "")
    return set(re.findall(r"[A-Za-z]{3,}", message)) - _WORDS_IN_MESSAGES


def _zip_without_a_workbook(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("户信息.csv", "户编号\n1\n")


def _truncated(path):
    write_register(path, *distinct_register())
    path.write_bytes(path.read_bytes()[:600])


def _sheet_cut_short(path):
    write_register(path.with_name("whole.xlsx"), *distinct_register())
    with zipfile.ZipFile(path.with_name("whole.xlsx")) as src, zipfile.ZipFile(path, "w") as z:
        for name in src.namelist():
            data = src.read(name)
            z.writestr(name, data[:len(data) // 2] if name.endswith("sheet1.xml") else data)


def _xlsx_named_ods(path):
    write_register(path.with_name("whole.xlsx"), *distinct_register())
    path.write_bytes(path.with_name("whole.xlsx").read_bytes())


def _stray_quote(path):
    rows, _ = distinct_register()
    write_register(path, rows)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(",", ',"', 1)  # a quote opened in row 3 and never closed
    path.write_text("\n".join(lines + ["x,y"] * 50_000), encoding="utf-8-sig")


@pytest.mark.parametrize("name,make,expected", [
    ("reg.xlsx", _zip_without_a_workbook, "不是 Excel 工作簿 (.xlsx): 文件内容是 ZIP 压缩包, 但缺少工作簿结构"),
    ("reg.xlsx", _truncated, "文件已损坏或被截断"),
    ("reg.xlsx", _sheet_cut_short, "工作表 户信息: 数据已损坏"),
    ("reg.ods", _xlsx_named_ods, "内容是 .xlsx 工作簿, 扩展名却是 .ods"),
    ("reg.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "不是有效的 .xls 工作簿"),
    ("reg.csv", _stray_quote, "第 3 行起: 单元格过长, 多半是引号"),
    ("reg.csv", lambda p: p.write_bytes(b""), "是空文件"),
])
def test_broken_files_are_described_in_chinese(county_engine, tmp_path, name, make, expected):
    path = tmp_path / name
    make(path)
    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, path)
    message = str(err.value)
    assert expected in message and f"文件 {name}" in message
    assert not _english_in(message, name), message
    assert fingerprint(county_engine) == before


def test_a_broken_mapping_file_is_described_in_chinese(county_engine, tmp_path):
    rows, _ = distinct_register()
    mapping = tmp_path / "m.toml"
    mapping.write_text("[households\ncolumns = 1\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows), mapping=mapping)
    assert "映射文件 m.toml 不是有效的 TOML: 第 1 行第 12 列有语法错误" in str(err.value)
    assert not _english_in(str(err.value), "m.toml"), str(err.value)


# --- the report beside the input ---------------------------------------------------------------------


def test_a_clean_import_removes_the_report_of_an_earlier_run(county_engine, tmp_path):
    rows, pops = distinct_register()
    rows[0][H["members"]] = "四口"
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    first = import_households(county_engine, path)
    assert first.report_path == tmp_path / "reg.xlsx.导入报告.csv" and first.report_path.is_file()
    rows[0][H["members"]] = 4  # fixed, same file
    write_register(path, rows, villages=pops)
    again = import_households(county_engine, path)
    assert again.rows_rejected == 0 and again.report_path is None
    assert not first.report_path.exists()  # it listed a row that is no longer wrong

    # A report the user asked for elsewhere is theirs; a file at the default path that is not a report stays.
    mine = tmp_path / "mine.csv"
    mine.write_text("keep", encoding="utf-8")
    import_households(county_engine, path, report_path=mine)
    assert mine.read_text(encoding="utf-8") == "keep"
    first.report_path.write_text("my notes", encoding="utf-8")
    import_households(county_engine, path)
    assert first.report_path.read_text(encoding="utf-8") == "my notes"

    # A run that fails on the whole file (no row to report) does not leave an earlier run's report either.
    rows[0][H["members"]] = "四口"
    assert import_households(county_engine, write_register(path, rows, villages=pops)).report_path.is_file()
    path.write_bytes(b"")
    with pytest.raises(ImportFailed, match="空文件"):
        import_households(county_engine, path)
    assert not first.report_path.exists()


def test_csv_and_xlsx_of_the_same_name_keep_a_report_each(county_engine, tmp_path):
    rows, pops = distinct_register()
    rows[0][H["members"]] = "四口"
    xlsx = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, villages=pops))
    rows[0][H["members"]] = 4
    rows[1][H["members"]] = "五口"
    csv_ = import_households(county_engine, write_register(tmp_path / "reg.csv", rows, villages=pops))
    assert xlsx.report_path == tmp_path / "reg.xlsx.导入报告.csv"
    assert csv_.report_path == tmp_path / "reg.csv.导入报告.csv"
    assert [i["文件"] for i in report_rows(xlsx.report_path)] == ["reg.xlsx"]
    assert [i["文件"] for i in report_rows(csv_.report_path)] == ["reg.csv"]


def test_a_register_without_data_rows_is_refused(county_engine, tmp_path):
    rows, pops = distinct_register()
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    wb = openpyxl.load_workbook(path)
    wb["户信息"].delete_rows(2, len(rows))  # the header is left, and the 村级数据 sheet
    wb.save(path)
    before = fingerprint(county_engine)
    with pytest.raises(ImportFailed, match="文件 reg.xlsx 工作表 户信息 中没有数据行"):
        import_households(county_engine, path)
    villages = tmp_path / "v.csv"
    villages.write_text(",".join(pops[0]) + "\n\n", encoding="utf-8-sig")
    with pytest.raises(ImportFailed, match="文件 v.csv 中没有数据行"):
        import_villages(county_engine, villages)
    assert fingerprint(county_engine) == before


# --- progress ----------------------------------------------------------------------------------------


class _Bar:
    """Stands in for tqdm: records (description, rows done, rows expected) at every update."""

    seen: list[tuple[str, float, float]] = []

    def __init__(self, *, total=None, desc="", unit="", disable=None, **_):
        self.total, self.desc, self.unit, self.n, self.disable = total, desc, unit, 0, disable

    def update(self, n=1):
        self.n += n
        _Bar.seen.append((self.desc, self.n, self.total))

    def reset(self, total=None):
        self.n, self.total = 0, total

    def set_description(self, desc, refresh=True):
        self.desc = desc

    def close(self):
        pass


def test_progress_counts_rows_while_reading_and_checking(county_engine, tmp_path, monkeypatch, capsys):
    rows, pops = distinct_register(n=25)
    path = write_register(tmp_path / "reg.csv", rows, villages=pops)
    monkeypatch.setattr("sandbox.store.importers.tables._PROGRESS_ROWS", 10, raising=False)
    monkeypatch.setattr("sandbox.store.importers.households.read.tqdm", _Bar)
    _Bar.seen = []
    import_households(county_engine, path, progress=True)
    reading = [(n, total) for desc, n, total in _Bar.seen if desc == "读取 reg.csv"]
    assert [n for n, _ in reading] == [10, 20, 26, 31]  # every 10 lines (the header too), then 村级数据
    assert all(total >= n for n, total in reading)
    checking = [n for desc, n, _ in _Bar.seen if desc == "检查"]
    assert checking and checking[-1] == 29

    monkeypatch.undo()  # the real tqdm: no bar at all when stderr is not a terminal (here: captured)
    import_households(county_engine, path, progress=True)
    assert capsys.readouterr().err == ""


# --- one person, one household per year: renumbered households, older files, rejected members ----------


def _heads(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(
            select(Household.household_number, Household.head_name, Household.id_number))}


def _members(engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Household.household_number, Member.id_number)
                            .join(Member, Member.household_id == Household.id).order_by(Member.id)).all()
    out: dict[str, list[str]] = {}
    for num, ident in rows:
        out.setdefault(num, []).append(ident)
    return out


def test_a_renumbered_household_keeps_its_head_across_years(county_engine, tmp_path):
    # 村合并 renumbers household 1 as household 7 from 2017: the same head, never two households in one year.
    x = head_id(1)
    rows = [distinct_household_row(1, 2016, status="已脱贫", exit_year=2016),
            distinct_household_row(7, 2017, id_number=x)]
    result = import_households(county_engine, write_register(tmp_path / "one.xlsx", rows))
    assert result.rows_rejected == 0 and result.households.new == 2
    heads = _heads(county_engine)
    assert heads[number_of(rows[0])][1] == x and heads[number_of(rows[1])][1] == x

    # The same in two files, one year each: the database's household 1 heads in 2016 only.
    rows = [distinct_household_row(11, 2016), distinct_household_row(17, 2017, id_number=head_id(11))]
    import_households(county_engine, write_register(tmp_path / "a.xlsx", rows[:1]))
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", rows[1:]))
    assert result.rows_rejected == 0 and result.households.new == 1

    # ... but in 2017 household 17 has that head already: a third household in 2017 is the later one.
    result = import_households(county_engine, write_register(tmp_path / "c.xlsx", [
        distinct_household_row(19, 2017, id_number=head_id(11))]))
    (issue,) = report_rows(result.report_path)
    assert result.rows_rejected == 1 and issue["列/字段"] == "证件号码"
    assert f"证件号码已属于数据库中的另一户 (户编号 {number_of(rows[1])})" in issue["原因"] and "2017" in issue["原因"]


def test_an_older_year_file_after_a_newer_one(county_engine, tmp_path):
    x, y = head_id(1), head_id(300)
    old_file = write_register(tmp_path / "2016.xlsx", [distinct_household_row(n, 2016) for n in (1, 2)])
    import_households(county_engine, old_file)
    # 2017: household 1 has a new head, its old head heads a new household 7.
    new = [distinct_household_row(1, 2017, id_number=y, head_name="李新"), distinct_household_row(2, 2017),
           distinct_household_row(7, 2017, id_number=x)]
    result = import_households(county_engine, write_register(tmp_path / "2017.xlsx", new))
    assert result.rows_rejected == 0
    before = fingerprint(county_engine)
    heads = _heads(county_engine)
    assert heads[number_of(new[0])] == ("李新", y)

    # The 2016 file again: its 2016 rows are right (X headed household 1 in 2016), and household 1
    # keeps its 2017 head: an older year does not overwrite the household's own fields.
    again = import_households(county_engine, old_file)
    assert again.rows_rejected == 0 and again.report_path is None
    assert not again.changed and fingerprint(county_engine) == before
    assert (again.households.unchanged, again.years.unchanged) == (2, 2)

    # A corrected 2016 file still corrects the 2016 year, not the household's head.
    fixed = [distinct_household_row(1, 2016, housing_grade="D", phone="13900000000"), distinct_household_row(2, 2016)]
    result = import_households(county_engine, write_register(tmp_path / "2016b.xlsx", fixed))
    assert result.rows_rejected == 0
    assert (result.years.updated, result.households.updated, result.households.unchanged) == (1, 0, 2)
    assert _heads(county_engine) == heads
    with county_engine.connect() as conn:
        assert conn.execute(select(HouseholdYear.housing_grade).join(Household).where(
            Household.household_number == number_of(fixed[0]), HouseholdYear.year == 2016)).scalar() == "D"
        assert conn.execute(select(Household.phone).where(
            Household.household_number == number_of(fixed[0]))).scalar() != "13900000000"

    # A file with both years updates the household from its 2017 row.
    both = [distinct_household_row(1, 2016), distinct_household_row(1, 2017, id_number=y, head_name="李改")]
    result = import_households(county_engine, write_register(tmp_path / "both.xlsx", both))
    assert result.rows_rejected == 0 and result.households.updated == 1
    assert _heads(county_engine)[number_of(both[0])] == ("李改", y)


def test_a_rejected_member_row_leaves_both_households_member_lists_alone(county_engine, tmp_path):
    rows, pops = distinct_register()
    first = [distinct_member_row(1, 0), distinct_member_row(1, 1), distinct_member_row(2, 0)]
    import_households(county_engine, write_register(tmp_path / "a.xlsx", rows, first, pops))
    stored = _members(county_engine)
    assert stored[number_of(rows[0])] == [member_id(1, 0), member_id(1, 1)]

    # Household 1's member m1 listed first under household 2, then under household 1: the later row is
    # rejected, and neither household's list changes (m1 is not moved, whatever the row order).
    again = [distinct_member_row(2, 1, id_number=member_id(1, 1)), distinct_member_row(2, 0),
             distinct_member_row(1, 0), distinct_member_row(1, 1)]
    result = import_households(county_engine, write_register(tmp_path / "b.xlsx", rows, again, pops))
    assert result.rows_rejected == 1 and not result.changed
    assert _members(county_engine) == stored
    issues = [i for i in report_rows(result.report_path) if i["工作表/图层"] == "家庭成员"]
    assert [(i["级别"], i["行号/要素号"]) for i in issues if i["级别"] == "错误"] == [("错误", "5")]
    kept = {i["值"] for i in issues if i["级别"] == "警告"}
    assert kept == {number_of(rows[0]), number_of(rows[1])}
    assert all("成员名单不更新" in i["原因"] for i in issues if i["级别"] == "警告")

    # A household with a bad member cell keeps its list too, while another household's list changes.
    bad = [distinct_member_row(1, 0), distinct_member_row(1, 2, id_number="990101198001011230"),
           distinct_member_row(2, 0), distinct_member_row(2, 1)]
    result = import_households(county_engine, write_register(tmp_path / "c.xlsx", rows, bad, pops))
    assert result.rows_rejected == 1 and result.members.updated == 1
    after = _members(county_engine)
    assert after[number_of(rows[0])] == stored[number_of(rows[0])]
    assert after[number_of(rows[1])] == [member_id(2, 0), member_id(2, 1)]


def test_columns_the_layout_does_not_map_are_named_once_and_the_rest_imports(county_engine, tmp_path):
    rows, pops = distinct_register()
    for r in rows:
        r["人均纯收入(元)"] = 4000  # a spelling the layout does not know: its data would be lost quietly
        r["备注"] = "无"
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    result = import_households(county_engine, path)
    assert result.rows_rejected == 0 and result.households.new == 6
    issues = report_rows(result.report_path)
    unknown = [i for i in issues if i["原因"].startswith("未识别的列")]
    assert len(unknown) == 1 and issues[0] == unknown[0], "said once, at the top of the report"
    (issue,) = unknown
    assert issue["级别"] == "警告" and issue["工作表/图层"] == "户信息" and issue["行号/要素号"] == ""
    assert "人均纯收入(元)、备注" in issue["原因"]
