"""Department files in: rows checked like the register's, the Chinese report, idempotent, one transaction."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from sqlalchemy import text

from sandbox.cli import main
from sandbox.domain.idcard import make_id_number
from sandbox.store.department.importer import import_department
from sandbox.store.department.sources import SOURCES, load_source
from sandbox.store.importers import import_households
from sandbox.store.importers.report import ImportFailed
from sandbox.store.importers.xlsx import write_xlsx
from tests.importers.conftest import distinct_member_row, distinct_register, fingerprint, member_id, write_register


@pytest.fixture
def register_engine(county_engine, tmp_path):
    """The tiny county with a register of 4 households, 2 members each."""
    rows, _ = distinct_register((2020,), n=4)
    members = [distinct_member_row(n, k) for n in range(1, 5) for k in range(2)]
    r = import_households(county_engine, write_register(tmp_path / "reg.xlsx", rows, members))
    assert r.households_imported == 4 and not r.rows_rejected
    return county_engine


def _csv(path, header, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _bad_check_digit(ident: str) -> str:
    return ident[:17] + ("0" if ident[17] != "0" else "1")


OUTSIDER = make_id_number("990101", dt.date(1990, 1, 1), 123, True)  # no one in the register has it


def test_every_source_has_a_mapping_that_loads():
    for source in SOURCES:
        mapping = load_source(source)
        assert "id_number" in mapping.layout.columns and mapping.name == SOURCES[source]
    with pytest.raises(ImportFailed, match="未知的部门数据来源"):
        load_source("weather")


def test_a_file_goes_in_with_people_outside_the_register_kept_and_counted(register_engine, tmp_path):
    path = _csv(tmp_path / "车辆.csv", ("号牌号码", "车辆类型", "所有人", "身份证明号码", "车辆价值(万元)", "初次登记日期", "数据截至"),
                [("黔J00001", "小型轿车", "王1之1", member_id(1, 1), "8.5", "2018.06.12", "2020-12-31"),
                 ("黔J00002", "轮式拖拉机", "王2之1", member_id(2, 1), "4", "20170402", "2020-12-31"),
                 ("黔J00003", "小型轿车", "外人", OUTSIDER, "12", "2019年3月1日", "2020-12-31")])
    r = import_department(register_engine, "vehicles", path)
    assert (r.new, r.updated, r.unchanged, r.rows_rejected) == (3, 0, 0, 0)
    assert (r.people, r.in_register, r.not_in_register) == (3, 2, 1)
    assert r.as_of == dt.date(2020, 12, 31)
    assert any("1 人不在" in line and "不算错误" in line for line in r.summary_zh())
    with register_engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT record_key, amount FROM department_records WHERE source = 'vehicles'")).all())
        dates = conn.execute(text("SELECT start_date FROM department_records ORDER BY record_key")).scalars().all()
        source = conn.execute(text("SELECT file, as_of, rows, not_in_register FROM department_sources")).one()
    assert rows == {"黔J00001": 85000.0, "黔J00002": 40000.0, "黔J00003": 120000.0}  # 万元 × 10,000
    assert [str(d)[:10] for d in dates] == ["2018-06-12", "2017-04-02", "2019-03-01"]
    assert source[0] == "车辆.csv" and str(source[1])[:10] == "2020-12-31" and source[2:] == (3, 1)


def test_the_same_file_twice_changes_nothing(register_engine, tmp_path):
    path = _csv(tmp_path / "医保.csv", ("公民身份号码", "姓名", "险种类型", "参保状态"),
                [(member_id(n, k), f"王{n}之{k}", "城乡居民基本医疗保险", "参保缴费") for n in range(1, 5) for k in range(2)])
    first = import_department(register_engine, "medical", path)
    assert first.new == 8 and first.changed
    before = fingerprint(register_engine)
    again = import_department(register_engine, "medical", path)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 8) and not again.changed
    assert "无变化" in again.summary_zh()[0]
    assert fingerprint(register_engine) == before
    with register_engine.connect() as conn:
        status = conn.execute(text("SELECT DISTINCT status FROM department_records")).scalars().all()
    assert status == ["参保"]  # the mapping's spelling 参保缴费 → 参保


def test_bad_rows_are_reported_in_chinese_and_the_rest_imported(register_engine, tmp_path):
    path = _csv(tmp_path / "注销.csv", ("公民身份号码", "姓名", "注销原因", "注销日期"),
                [(member_id(1, 1), "王1之1", "死亡", "2019-03-15"),
                 (_bad_check_digit(member_id(2, 1)), "王2之1", "死亡", "2019-04-01"),
                 (member_id(3, 1), "王3之1", "死亡", "去年春天"),
                 (member_id(4, 1), "王4之1", "死亡", "")])
    r = import_department(register_engine, "deaths", path)
    assert r.new == 1 and r.rows_rejected == 3
    reasons = {(i.row, i.column): i.reason for i in r.report.errors}
    assert "校验位错误" in reasons[(3, "公民身份号码")]
    assert "应为日期" in reasons[(4, "注销日期")]
    assert reasons[(5, "注销日期")] == "不能为空"
    report = (tmp_path / "注销.csv.导入报告.csv").read_text(encoding="utf-8-sig")
    assert "校验位错误" in report and report.startswith("级别,文件")


def test_unknown_columns_are_reported_not_fatal(register_engine, tmp_path):
    path = _csv(tmp_path / "财政.csv", ("序列", "身份证号码", "姓名", "工作单位", "联系电话"),
                [(1, member_id(1, 1), "王1之1", "县医院", "13800000000")])
    r = import_department(register_engine, "payroll", path)
    assert r.new == 1 and r.unknown_columns == ["序列", "联系电话"]
    warned = [i for i in r.report.warnings if i.column == "联系电话"]
    assert warned and "未识别的列" in warned[0].reason
    assert any("未识别的列 2 个" in line for line in r.summary_zh())


def test_a_repeated_row_counts_once(register_engine, tmp_path):
    row = (member_id(1, 1), "王1之1", "G1", "中心学校", "3年级", "在校")
    path = _csv(tmp_path / "学籍.csv", ("身份证件号码", "学生姓名", "全国学籍号", "学校名称", "年级", "学籍状态"), [row, row])
    r = import_department(register_engine, "school", path)
    assert r.new == 1 and r.duplicates == 1 and "第 2 行" in r.report.warnings[0].reason


def test_a_malformed_file_is_refused_and_nothing_is_written(register_engine, tmp_path):
    before = fingerprint(register_engine)
    fake = tmp_path / "车辆.xlsx"
    fake.write_text("这不是工作簿", encoding="utf-8")
    with pytest.raises(ImportFailed, match="不是 Excel 工作簿"):
        import_department(register_engine, "vehicles", fake)
    no_id = _csv(tmp_path / "服刑.csv", ("姓名", "入监日期"), [("某人", "2019-01-01")])
    with pytest.raises(ImportFailed, match="缺少必需的列"):
        import_department(register_engine, "prison", no_id)
    empty = _csv(tmp_path / "低保.csv", ("公民身份号码", "姓名", "保障类型"), [])
    with pytest.raises(ImportFailed, match="没有数据行"):
        import_department(register_engine, "assistance", empty)
    assert fingerprint(register_engine) == before


def test_a_workbook_with_date_cells_and_a_dry_run(register_engine, tmp_path):
    path = tmp_path / "不动产.xlsx"
    write_xlsx(path, [("不动产登记信息", ("权利人", "身份证号码", "不动产权证号", "权利性质", "用途", "坐落", "登记日期"),
                       [("王1之1", member_id(1, 1), "黔(2019)第1号", "国有建设用地使用权/房屋所有权", "住宅", "城关镇", dt.date(2019, 5, 6))])])
    before = fingerprint(register_engine)
    dry = import_department(register_engine, "property", path, dry_run=True)
    assert dry.new == 1 and fingerprint(register_engine) == before
    r = import_department(register_engine, "property", path, as_of=dt.date(2020, 12, 31))
    assert r.new == 1 and r.as_of == dt.date(2020, 12, 31)
    with register_engine.connect() as conn:
        assert str(conn.execute(text("SELECT start_date FROM department_records")).scalar())[:10] == "2019-05-06"


def test_the_cli_imports_a_department_file(register_engine, tmp_path, capsys):
    url = str(register_engine.url.render_as_string(hide_password=False))
    path = _csv(tmp_path / "工商.csv", ("公民身份号码", "姓名", "统一社会信用代码", "企业名称", "人员类型", "登记状态"),
                [(member_id(1, 1), "王1之1", "91990101MA0000001", "试点县商贸有限公司", "股东", "存续"),
                 (_bad_check_digit(member_id(2, 1)), "王2之1", "91990101MA0000002", "试点县建材有限公司", "股东", "存续")])
    code = main(["import", "dept", "--source", "business", str(path), "--db", url, "--as-of", "2020-12-31"])
    out = capsys.readouterr().out
    assert code == 1 and "新增 1 条" in out and "未导入 1 行" in out and "数据截至 2020-12-31" in out
    code = main(["import", "dept", "--source", "business", str(path), "--db", url, "--dry-run"])
    assert code == 1 and "(试导入, 未写入)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["import", "dept", "--source", "weather", str(path), "--db", url])


def test_the_console_takes_a_department_file_checks_then_imports_it(register_engine, tmp_path):
    from sandbox.store.db import session_factory
    from sandbox.store.office.tables import ConsoleImport
    from sandbox.store.office.uploads import KINDS, check_job, check_upload, new_job, run_job

    assert KINDS["dept_medical"][0] == "部门数据: 医保参保"
    path = _csv(tmp_path / "医保.csv", ("公民身份号码", "姓名", "参保状态"),
                [(member_id(1, 0), "王1之0", "参保缴费"), (_bad_check_digit(member_id(1, 1)), "王1之1", "参保缴费")])
    assert check_upload("dept_medical", path.name, path.read_bytes()[:512], path.stat().st_size) == ".csv"
    with session_factory(register_engine)() as session:
        job_id = new_job(session, "dept_medical", path.name, path, path.stat().st_size, "admin").id
        session.commit()
    before = fingerprint(register_engine)
    check_job(register_engine, job_id)
    assert fingerprint(register_engine)["department_records"] == before["department_records"]
    run_job(register_engine, job_id)
    with session_factory(register_engine)() as session:
        job = session.get(ConsoleImport, job_id)
        assert job.state == "done" and '"new": 1' in job.result_summary and '"rows_rejected": 1' in job.result_summary
        assert job.report_path and "校验位错误" in open(job.report_path, encoding="utf-8-sig").read()
