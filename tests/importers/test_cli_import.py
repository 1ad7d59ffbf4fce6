"""`sandbox import …` and `sandbox export …` as a user meets them: messages, exit codes, the round trip."""

from __future__ import annotations

import zipfile

from sandbox.cli import main
from tests.importers.conftest import H, county_features, distinct_register, write_geojson, write_register


def test_import_export_round_trip_on_the_command_line(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    geo = write_geojson(tmp_path / "county.geojson", county_features())
    assert main(["import", "boundaries", str(geo), "--db", db, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "已导入边界 county.geojson (坐标系 EPSG:4326 → WGS-84): 新增 7" in out
    rows, pops = distinct_register(years=(2016, 2017))
    reg = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    assert main(["import", "households", str(reg), "--db", db, "--quiet"]) == 0
    assert "已导入登记表 reg.xlsx: 户 新增 6" in capsys.readouterr().out
    assert main(["import", "households", str(reg), "--db", db, "--quiet"]) == 0
    assert "无变化" in capsys.readouterr().out

    assert main(["export", "households", str(tmp_path / "out.csv"), "--years", "2017", "--db", db]) == 0
    assert "户信息 6 行" in capsys.readouterr().out
    assert (tmp_path / "out.村级数据.csv").is_file()
    assert main(["export", "boundaries", str(tmp_path / "out.gpkg"), "--db", db]) == 0
    assert "县 1, 乡镇 2, 村 4" in capsys.readouterr().out

    db2 = f"sqlite:///{tmp_path / 'cli2.db'}"
    assert main(["import", "boundaries", str(tmp_path / "out.gpkg"), "--db", db2, "--quiet"]) == 0
    assert main(["import", "households", str(tmp_path / "out.csv"), "--db", db2, "--quiet"]) == 0
    assert "户 新增 6" in capsys.readouterr().out


def test_rejected_rows_exit_1_and_file_errors_exit_2_on_one_line(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    main(["import", "boundaries", str(write_geojson(tmp_path / "c.geojson", county_features())), "--db", db,
          "--quiet"])
    rows, pops = distinct_register()
    rows[0][H["members"]] = "约四口"
    reg = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    capsys.readouterr()
    assert main(["import", "households", str(reg), "--db", db, "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "户 新增 5" in captured.out
    assert captured.err.strip() == f"警告: 未导入 1 户 (0 人); 见报告 {tmp_path / 'reg.xlsx.导入报告.csv'}"
    assert "户信息: 导入 5 户 (20 人), 拒绝 1 户 (0 人)" in captured.out

    assert main(["import", "households", str(reg), "--db", db, "--quiet", "--strict"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误: 1 行有错误 (--strict: 全部不导入)")
    assert "第 2 行 列 家庭人口数 值 '约四口': 应为整数" in err

    (tmp_path / "fake.xlsx").write_text("not a workbook")
    assert main(["import", "households", str(tmp_path / "fake.xlsx"), "--db", db]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "扩展名是 .xlsx, 但内容是纯文本" in err
    assert main(["import", "boundaries", str(tmp_path / "missing.gpkg"), "--db", db]) == 2
    assert "不存在" in capsys.readouterr().err


def _county_db(tmp_path) -> str:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["import", "boundaries", str(write_geojson(tmp_path / "c.geojson", county_features())), "--db", db,
                 "--quiet"]) == 0
    return db


def test_a_head_id_twice_is_a_rejected_row_and_strict_refuses_the_file(tmp_path, capsys):
    db = _county_db(tmp_path)
    rows, pops = distinct_register()
    rows[4][H["id_number"]] = rows[0][H["id_number"]]
    reg = write_register(tmp_path / "reg.csv", rows, villages=pops)
    capsys.readouterr()
    assert main(["import", "households", str(reg), "--db", db, "--quiet", "--strict"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("错误: 1 行有错误 (--strict: 全部不导入)") and "第 6 行 列 证件号码" in err
    assert rows[0][H["id_number"]] not in err and "证件号码与第 2 行" in err
    assert main(["import", "households", str(reg), "--db", db, "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "户 新增 5" in captured.out
    assert captured.err.strip() == f"警告: 未导入 1 户 (4 人); 见报告 {tmp_path / 'reg.csv.导入报告.csv'}"


def test_a_register_with_only_its_header_exits_2(tmp_path, capsys):
    db = _county_db(tmp_path)
    rows, _ = distinct_register()
    reg = tmp_path / "reg.csv"
    reg.write_text(",".join(rows[0]) + "\n", encoding="utf-8-sig")
    capsys.readouterr()
    assert main(["import", "households", str(reg), "--db", db, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误: 文件 reg.csv 中没有数据行")


def test_a_zip_named_xlsx_is_one_line_of_chinese(tmp_path, capsys):
    db = _county_db(tmp_path)
    fake = tmp_path / "reg.xlsx"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("data.txt", "hello")
    capsys.readouterr()
    assert main(["import", "households", str(fake), "--db", db, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("错误: 文件 reg.xlsx: 不是 Excel 工作簿 (.xlsx): 文件内容是 ZIP 压缩包, 但缺少工作簿结构; "
                   "若登记表在压缩包里, 请先解压")
