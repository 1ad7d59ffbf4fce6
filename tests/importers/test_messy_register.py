"""A real county's messy export (tests/importers/messy.py): all but the truly invalid households import,
with exit code 1 and a report a clerk can work through — one line per bad household, warnings for every
value read another way, non-data rows skipped and counted, the register's own date as 数据截至."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from sqlalchemy import select, text

from sandbox.cli import main
from sandbox.store.db import make_engine
from sandbox.store.importers import import_boundaries, import_households
from sandbox.store.migrate import upgrade
from sandbox.store.models import Household, Meta
from tests.importers import messy


@pytest.fixture(scope="module")
def register():
    return messy.build()


@pytest.fixture
def county(empty_engine, tmp_path):
    import_boundaries(empty_engine, messy.boundaries(tmp_path / "pingtang.geojson"))
    return empty_engine


@pytest.fixture
def cli_db(tmp_path) -> str:
    """The county's boundaries in a database file of its own, for the command line (as a clerk runs it;
    the PostgreSQL test schema cannot be named in a URL)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    import_boundaries(engine, messy.boundaries(tmp_path / "pingtang.geojson"))
    engine.dispose()
    return url


def _report(path) -> list[dict]:
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


def test_the_messy_xlsx_imports_all_but_the_truly_invalid(county, tmp_path, register):
    path = messy.write_xlsx(register, tmp_path / "平塘县建档立卡.xlsx")
    result = import_households(county, path)
    assert len(register.invalid) == 25
    assert (result.households_imported, result.households_rejected) == (1975, 25)
    assert result.people_imported == register.people
    with county.connect() as conn:
        numbers = set(conn.execute(select(Household.household_number)).scalars())
        meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
        batches = conn.execute(text("SELECT COUNT(*) FROM households WHERE exit_batch IS NOT NULL")).scalar()
    assert not numbers & set(register.invalid) and len(numbers) == 1975
    # one line per bad household, in 户信息; their members follow as notes, not errors
    issues = _report(result.report_path)
    errors = [i for i in issues if i["级别"] == "错误"]
    assert len(errors) == 25 and {i["工作表/图层"] for i in errors} == {"贫困户信息"}
    assert issues[:25] == errors  # what was not imported comes first, down the sheet
    assert [int(i["行号/要素号"]) for i in errors] == sorted(int(i["行号/要素号"]) for i in errors)
    assert result.member_rows_not_imported > 25
    follow = [i for i in issues if i["级别"] == "提示" and "被拒绝" in i["原因"]]
    assert len(follow) == result.member_rows_not_imported
    # 合计, 制表人 and 说明 footers, the header repeated mid-sheet: skipped and counted
    assert result.rows_skipped == {"header": 1, "total": 1, "footer": 2}
    # every value read another way is a warning that says what it was taken as, never silent
    warned = Counter(i["值"] for i in issues if i["级别"] == "警告")
    reasons = " ".join(i["原因"] for i in issues if i["级别"] == "警告")
    for written in ("缺劳力", "低保兜底户", "四", "4人"):
        assert written in warned, written
    assert "已按 缺劳动力 导入" in reasons and "已按 低保贫困户 导入" in reasons and "卡蒲毛南族乡" in reasons
    assert any(v.endswith("村委会") for v in warned) and any(v.startswith("卡蒲乡") for v in warned)
    assert len([i for i in issues if i["级别"] == "警告"]) < 60  # one per value and column, not one per row
    # the register's own date is 数据截至; no 脱贫路径 column: unknown, not 发展生产
    assert result.as_of == messy.STATED and meta["data_as_of"] == "2020-12-31" and meta["imported_at"] > "2020"
    assert batches == 0


def test_the_messy_gbk_csv_on_the_command_line_exits_1_with_a_summary(cli_db, tmp_path, register, capsys):
    path = messy.write_gbk_csv(register, tmp_path / "平塘县建档立卡.csv")
    db = cli_db
    capsys.readouterr()
    assert main(["import", "households", str(path), "--db", db, "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "户信息: 导入 1,975 户" in out and "拒绝 25 户" in out
    assert "跳过非数据行 4 行" in out and "数据截至 2020-12-31" in out
    assert err.strip().startswith("警告: 未导入 25 户") and "行有错误" not in err
    errors = [i for i in _report(tmp_path / "平塘县建档立卡.csv.导入报告.csv") if i["级别"] == "错误"]
    assert len(errors) == 25
    assert sum("科学计数法" in i["原因"] for i in errors) == 6


def test_as_of_on_the_command_line_wins_over_the_footer(cli_db, tmp_path, register, capsys):
    small = messy.Messy(register.households[:40], [], {}, 0)
    path = messy.write_gbk_csv(small, tmp_path / "small.csv")
    db = cli_db
    main(["import", "households", str(path), "--db", db, "--quiet", "--as-of", "2021年3月1日"])
    assert "数据截至 2021-03-01" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["import", "households", str(path), "--db", db, "--quiet", "--as-of", "昨天"])
    assert exc.value.code == 2 and "'昨天' 不是日期" in capsys.readouterr().err
