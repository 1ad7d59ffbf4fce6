"""`sandbox callbacks list|import`: the call centre's sheet out and back in from the command line."""

from __future__ import annotations

import openpyxl
from sqlalchemy import delete

from sandbox.cli import main
from sandbox.store.command.callbacks import Callback


def test_list_then_import_from_the_command_line(db_url, demo_engine, capsys, tmp_path):
    out = tmp_path / "calls.xlsx"
    try:
        assert main(["callbacks", "list", "--month", "2021-05", "--region", "522726103", "-o", str(out),
                     "--db", db_url]) == 0
        said = capsys.readouterr().out
        assert "已导出 2021-05 回访名单" in said and "户" in said
        wb = openpyxl.load_workbook(out)
        ws = wb.active
        n = ws.max_row - 1
        for row in ws.iter_rows(min_row=2):
            row[7].value, row[8].value = "接通", "基本满意"
        ws.cell(row=2, column=8).value = "打通了"  # one bad row
        wb.save(out)
        assert main(["callbacks", "import", str(out), "--db", db_url]) == 1  # a row was refused: not a clean run
        said = capsys.readouterr().out
        assert f"新增或更新 {n - 1} 条" in said and "有错误未导入 1 行" in said and "导入报告" in said
        assert main(["callbacks", "import", str(out), "--db", db_url, "--strict"]) == 2
        assert "--strict" in capsys.readouterr().err
    finally:
        with demo_engine.begin() as conn:
            conn.execute(delete(Callback).where(Callback.month == "2021-05"))


def test_a_bad_month_is_one_chinese_line(db_url, demo_engine, capsys, tmp_path):
    assert main(["callbacks", "list", "--month", "2021-13", "-o", str(tmp_path / "x.xlsx"), "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误: 月份格式不对") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.xlsx").exists()
