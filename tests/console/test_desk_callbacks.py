"""The desk's 满意度回访 workbench: the month's call list as the CLI makes it (within the region, logged), the filled
list uploaded back (checked first: nothing written; then confirmed), the region limit on its rows, bad files, CSRF,
whose check it is, and the month's outcomes and 群众认可度 per town."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from sandbox.store.command.callbacks import Callback, call_list
from sandbox.store.db import session_factory
from sandbox.store.importers.callbacks import HEADER, import_callbacks
from sandbox.store.models import Region
from sandbox.store.office.tables import AccessLogEntry
from tests.console.conftest import TOWN, csrf_of

OTHER_TOWN = "522726100000"
URL = "/console/command/callbacks"
MONTH = "2021-02"  # after the demo's call-backs (2016-01 … 2020-12): nothing on record yet
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def clean(demo_engine):
    """Removes the calls recorded for MONTH afterwards (the demo's figures stay as they were)."""
    yield
    with session_factory(demo_engine)() as s:
        s.execute(delete(Callback).where(Callback.month == MONTH))
        s.commit()


def _calls(demo_engine) -> list[Callback]:
    with session_factory(demo_engine)() as s:
        return list(s.scalars(select(Callback).where(Callback.month == MONTH).order_by(Callback.id)))


def _logged(demo_engine, what: str, username: str) -> list[AccessLogEntry]:
    with session_factory(demo_engine)() as s:
        return list(s.scalars(select(AccessLogEntry).where(AccessLogEntry.what == what,
                                                           AccessLogEntry.actor.contains(username))))


def _fill(content: bytes, answers: list[tuple], extra: list[tuple] = ()) -> bytes:
    """The call list with (通话结果, 满意度, 不满意原因) written into its first rows, and `extra` rows appended."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cols = [header.index(h) + 1 for h in ("通话结果", "满意度", "不满意原因")]
    for n, values in enumerate(answers, start=2):
        for col, value in zip(cols, values):
            sheet.cell(row=n, column=col, value=value)
    for row in extra:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(console, name: str, content: bytes, csrf: str | None = None):
    csrf = csrf or csrf_of(console.get(f"{URL}?month={MONTH}").text)
    return console.post(f"{URL}/upload", data={"csrf": csrf, "month": MONTH}, files={"file": (name, content, XLSX)})


def test_the_call_list_is_the_clis_for_the_clerks_town_and_is_logged(console, signed_in, demo_engine):
    username = signed_in("leader", TOWN)
    r = console.get(f"{URL}/list.xlsx?month={MONTH}")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" in r.headers["content-disposition"] and r.headers["cache-control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0] == HEADER
    with demo_engine.connect() as conn:
        expected = call_list(conn, MONTH, prefix=TOWN[:9])
    with session_factory(demo_engine)() as s:
        town = s.get(Region, TOWN).name
    assert [row[3] for row in rows[1:]] == [c.household_number for c in expected] and len(expected) >= 10
    assert {row[1] for row in rows[1:]} == {town} and {row[0] for row in rows[1:]} == {MONTH}
    logged = _logged(demo_engine, "call_list", username)
    assert len(logged) == 1 and logged[0].subject == f"{MONTH} 回访名单 {len(expected)} 户"
    assert logged[0].region_code == TOWN
    bad = console.get(f"{URL}/list.xlsx?month=2021-13")
    assert bad.status_code == 422 and "月份格式不对" in bad.text
    refused = console.get(f"{URL}/list.xlsx?month={MONTH}&town={OTHER_TOWN}")
    assert refused.status_code == 403 and "仅限 基长镇 辖区" in refused.text


def test_upload_is_checked_first_then_imported_on_confirmation(console, signed_in, demo_engine, clean):
    username = signed_in("leader", TOWN)
    listed = console.get(f"{URL}/list.xlsx?month={MONTH}").content
    filled = _fill(listed, [("接通", "满意", None), ("接通", "不满意", "帮扶干部来得少"), ("未接通", None, None),
                            ("打不通", None, None)])
    r = _upload(console, "回访名单_已填.xlsx", filled)
    assert r.status_code == 303 and re.fullmatch(rf"{URL}/checks/[0-9a-f]{{16}}", r.headers["location"])
    check = r.headers["location"]
    page = console.get(check)
    assert page.status_code == 200 and "待确认" in page.text and 'id="confirm"' in page.text
    assert "确认后将导入 (新增或更新) 3 条" in page.text and "有错误未导入 1 行" in page.text
    report = re.search(r'<table class="grid" id="report">.*?</table>', page.text, re.S).group()
    assert "通话结果" in report and "打不通" in report and "<td class=\"num\">5</td>" in report
    assert _calls(demo_engine) == []  # the check wrote nothing
    assert console.get(f"{check}/report.csv").status_code == 200
    assert console.get(f"{check}?q=打不通").text.count('class="lv-错误"') == 1

    r = console.post(f"{check}/confirm", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    page = console.get(check)
    assert "已导入" in page.text and "新增或更新 3 条" in page.text and 'id="confirm"' not in page.text
    calls = _calls(demo_engine)
    assert [(c.outcome, c.satisfaction, c.reason) for c in calls] == [
        ("connected", "satisfied", None), ("connected", "dissatisfied", "帮扶干部来得少"), ("no_answer", None, None)]
    assert all(c.village_code.startswith(TOWN[:9]) for c in calls)
    logged = _logged(demo_engine, "callbacks", username)
    assert len(logged) == 1 and logged[0].action == "change" and "新增或更新 3 条" in logged[0].detail
    again = console.post(f"{check}/confirm", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 409 and "已导入" in again.text and len(_calls(demo_engine)) == 3

    outcomes = console.get(f"{URL}?month={MONTH}")
    table = re.search(r'<table class="grid" id="outcomes">.*?</table>', outcomes.text, re.S).group()
    town_row = re.search(r"<tr><td>基长镇</td>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)', town_row)
    # 回访 3: 接通 2, 未接通 1, 拒访 0; 满意 1, 基本满意 0, 不满意 1; this month 50 %; the year 2021: 1 of 2
    assert cells[:7] == ["3", "2", "1", "0", "1", "0", "1"] and cells[7].strip() == "50.0 %"
    assert cells[8].startswith("50.00 %")
    assert "帮扶干部来得少" in outcomes.text  # the reasons of the dissatisfied, for the town to follow up


def test_a_clerk_cannot_import_another_towns_households(console, signed_in, demo_engine, clean):
    with demo_engine.connect() as conn:
        theirs = call_list(conn, MONTH, prefix=OTHER_TOWN[:9])[0]
    signed_in("leader", TOWN)
    listed = console.get(f"{URL}/list.xlsx?month={MONTH}").content
    filled = _fill(listed, [("接通", "满意", None)],
                   extra=[(MONTH, "", "", theirs.household_number, "", "", "", "接通", "满意", None, None, None)])
    check = _upload(console, "calls.xlsx", filled).headers["location"]
    page = console.get(check)
    assert "不在您的辖区 (522726103000) 内" in page.text and "有错误未导入 1 行" in page.text
    console.post(f"{check}/confirm", data={"csrf": csrf_of(page.text)})
    calls = _calls(demo_engine)
    assert len(calls) == 1 and calls[0].village_code.startswith(TOWN[:9])


def test_files_that_are_not_a_call_list_are_refused_with_a_reason(console, signed_in, demo_engine):
    signed_in("leader", TOWN)
    for name, content, reason in (("calls.txt", b"a,b", "只接受 .xlsx 或 .csv"),
                                  ("calls.xlsx", "月份,户编号\n".encode(), "不是 .xlsx 格式"),
                                  ("calls.csv", b"PK\x03\x04 zipped", "不是 .csv 格式"),
                                  ("calls.xlsx", b"", "是空的")):
        r = _upload(console, name, content)
        assert r.status_code == 422 and reason in r.text, name
    r = console.post(f"{URL}/upload", data={"csrf": csrf_of(console.get(URL).text)})
    assert r.status_code == 422 and "请选择要上传的回访名单文件" in r.text
    book, out = Workbook(), io.BytesIO()
    book.active.append(["姓名", "电话"])
    book.active.append(["张三", "13900001111"])
    book.save(out)
    page = console.get(_upload(console, "other.xlsx", out.getvalue()).headers["location"])
    assert "未导入" in page.text and "找不到表头" in page.text and 'id="confirm"' not in page.text
    assert "/tmp" not in page.text and "console_callbacks" not in page.text  # never a server path
    big = b"PK\x03\x04" + b"0" * (9 * 1024 * 1024 + 512 * 1024)
    r = _upload(console, "big.xlsx", big)
    assert r.status_code == 413 and "超过上限 8 MB" in r.text
    assert _calls(demo_engine) == []


def test_forms_without_their_csrf_token_do_nothing(console, signed_in, demo_engine, clean):
    signed_in("leader", TOWN)
    filled = _fill(console.get(f"{URL}/list.xlsx?month={MONTH}").content, [("接通", "满意", None)])
    r = _upload(console, "calls.xlsx", filled, csrf="forged")
    assert r.status_code == 403 and "表单已失效" in r.text
    check = _upload(console, "calls.xlsx", filled).headers["location"]
    r = console.post(f"{check}/confirm", data={"csrf": "forged"})
    assert r.status_code == 403 and _calls(demo_engine) == []


def test_a_check_is_its_uploaders_or_an_admins(console, signed_in, demo_engine, clean):
    signed_in("leader", TOWN)
    filled = _fill(console.get(f"{URL}/list.xlsx?month={MONTH}").content, [("拒访", None, None)])
    check = _upload(console, "calls.xlsx", filled).headers["location"]
    console.cookies.clear()
    signed_in("leader", TOWN)
    r = console.get(check)
    assert r.status_code == 403 and "只有上传人或管理员" in r.text
    r = console.post(f"{check}/confirm", data={"csrf": csrf_of(console.get(URL).text)})
    assert r.status_code == 403 and _calls(demo_engine) == []
    for bad in ("../../etc", "0123456789abcdef", "ZZZZ"):
        r = console.get(f"{URL}/checks/{bad}")
        assert r.status_code == 404 and "Traceback" not in r.text
    console.cookies.clear()
    signed_in("admin")
    assert console.get(check).status_code == 200


def test_display_accounts_are_refused(console, signed_in):
    signed_in("display")
    for path in (URL, f"{URL}/list.xlsx?month={MONTH}"):
        r = console.get(path)
        assert r.status_code == 403 and "仅限管理员和领导" in r.text, path


def test_the_month_page_refuses_a_bad_month_or_town(console, signed_in):
    signed_in("leader", TOWN)
    assert console.get(f"{URL}?month=2020-12").status_code == 200
    r = console.get(f"{URL}?month=12/2020")
    assert r.status_code == 422 and "月份格式不对" in r.text
    assert console.get(f"{URL}?town={OTHER_TOWN}").status_code == 403


def test_the_importers_dry_run_writes_nothing_and_counts_what_the_import_would(demo_engine, tmp_path, clean):
    with demo_engine.connect() as conn:
        rows = call_list(conn, MONTH, prefix=TOWN[:9])[:4]
    book = Workbook()
    book.active.append(list(HEADER))
    for n, r in enumerate(rows):
        book.active.append([MONTH, "", "", r.household_number, "", "", "", "接通", "基本满意" if n % 2 else "满意",
                            None, None, None])
    book.save(tmp_path / "calls.xlsx")
    dry = import_callbacks(demo_engine, tmp_path / "calls.xlsx", dry_run=True)
    assert (dry.imported, dry.unchanged, dry.rejected) == (4, 0, 0) and _calls(demo_engine) == []
    assert dry.villages == {r.village_code for r in rows}
    limited = import_callbacks(demo_engine, tmp_path / "calls.xlsx", dry_run=True, region=OTHER_TOWN[:9])
    assert limited.rejected == 4 and limited.imported == 0
    done = import_callbacks(demo_engine, tmp_path / "calls.xlsx")
    assert done.imported == 4 and len(_calls(demo_engine)) == 4
    again = import_callbacks(demo_engine, tmp_path / "calls.xlsx", dry_run=True)
    assert (again.imported, again.unchanged) == (0, 4)
    with session_factory(demo_engine)() as s:
        assert s.scalar(select(func.count()).select_from(Callback).where(Callback.month == MONTH)) == 4


def test_the_counties_total_is_its_towns_added_up_and_matches_the_call_records(console, signed_in, demo_engine):
    from sandbox.store.command.callbacks import satisfaction_by_year

    signed_in("admin")
    page = console.get(f"{URL}?month=2020-06")
    table = re.search(r'<table class="grid" id="outcomes">.*?</table>', page.text, re.S).group()
    total = re.findall(r'<td class="num">([^<]*)', re.search(r'<tr class="total">(.*?)</tr>', table, re.S).group(1))
    with demo_engine.connect() as conn:
        a, n = satisfaction_by_year(conn, "")[2020]
        month = conn.execute(select(func.count()).select_from(Callback).where(Callback.month == "2020-06")).scalar()
    assert total[0] == str(month) and total[8].startswith(f"{100 * a / n:.2f} %")  # 98.17 % in the demo
    assert table.count("<tr>") == 8 + 1  # eight towns (the header row has no class either)
