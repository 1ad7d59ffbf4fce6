"""Imports by upload: the file's type checked by its bytes, the size limit, a dry run that writes nothing, the row
report in the page and as a download, a confirmation, then the import (same importer, one transaction)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from sandbox.store.db import session_factory
from sandbox.store.models import Household
from sandbox.store.office.tables import ConsoleImport
from sandbox.store.office.uploads import UploadRefused, check_upload
from tests.console.conftest import csrf_of, new_account, sign_in


@pytest.mark.parametrize("kind, name, head, says", [
    ("households", "登记表.xlsx", b"\xef\xbb\xbf\xe6\x88\xb7\xe7\xbc\x96\xe5\x8f\xb7,x\n", "不是 .xlsx 格式"),
    ("households", "登记表.csv", b"PK\x03\x04rest-of-a-zip", "不是 .csv 格式"),
    ("households", "登记表.pdf", b"%PDF-1.7", "只接受 .xlsx、.csv"),
    ("boundaries", "边界.gpkg", b"PK\x03\x04", "不是 .gpkg 格式"),
    ("boundaries", "边界.geojson", b"not json at all", "不是 .geojson 格式"),
])
def test_a_file_that_is_not_what_its_extension_says_is_refused(kind, name, head, says):
    with pytest.raises(UploadRefused, match=says):
        check_upload(kind, name, head, len(head))


def test_a_real_xlsx_and_gpkg_pass(real_county):
    register = real_county[1]
    assert check_upload("households", register.name, register.read_bytes()[:64], register.stat().st_size) == ".xlsx"


def _admin(client, engine) -> None:
    username, password = new_account(engine, "admin")
    assert sign_in(client, username, password).status_code == 303


def _upload(client, kind: str, name: str, content: bytes):
    html = client.get("/console/imports").text
    return client.post("/console/imports", data={"csrf": csrf_of(html), "kind": kind},
                       files={"file": (name, content, "application/octet-stream")})


def _settled(engine, job_id: int, timeout: float = 120.0) -> ConsoleImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_factory(engine)() as s:
            job = s.get(ConsoleImport, job_id)
            if job.state not in ("checking", "importing"):
                s.expunge(job)
                return job
        time.sleep(0.2)
    raise AssertionError(f"import {job_id} still running")


def test_the_page_says_why_a_file_is_refused(real_console, real_county):
    _admin(real_console, real_county[0])
    r = _upload(real_console, "households", "登记表.xlsx", b"just text, renamed")
    assert r.status_code == 422 and "不是 .xlsx 格式" in r.text


def test_a_file_over_the_size_limit_is_refused_in_chinese(real_console, real_county):
    _admin(real_console, real_county[0])
    real_console.app.state.console_upload_limit = 1024
    r = _upload(real_console, "households", "登记表.xlsx", b"PK\x03\x04" + b"0" * 4096)
    assert r.status_code == 422 and "超过上限" in r.text


def test_a_register_into_the_demo_says_so_and_writes_nothing(console, demo_engine, real_county):
    _admin(console, demo_engine)
    r = _upload(console, "households", "登记表.xlsx", real_county[1].read_bytes())
    job = _settled(demo_engine, int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.state == "failed" and "演示数据" in job.error


def test_check_then_confirm_imports_the_valid_rows(fresh_county, real_county):
    engine, real_console = fresh_county
    register = real_county[1]
    _admin(real_console, engine)
    with session_factory(engine)() as s:
        before = s.scalar(select(func.count()).select_from(Household))
    r = _upload(real_console, "households", register.name, register.read_bytes())
    assert r.status_code == 303
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    job = _settled(engine, job_id)
    assert job.state == "checked", job.error
    with session_factory(engine)() as s:  # the dry run wrote nothing
        assert s.scalar(select(func.count()).select_from(Household)) == before
    page = real_console.get(f"/console/imports/{job_id}")
    assert "待确认" in page.text and "证件号码" in page.text and "错误" in page.text
    assert "第 5 行" in page.text or ">5<" in page.text
    filtered = real_console.get(f"/console/imports/{job_id}", params={"q": "证件号码", "level": "错误"})
    assert filtered.text.count('class="lv-错误"') >= 1
    report = real_console.get(f"/console/imports/{job_id}/report.csv")
    assert report.status_code == 200 and "原因" in report.content.decode("utf-8-sig")
    r = real_console.post(f"/console/imports/{job_id}/confirm", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    job = _settled(engine, job_id)
    assert job.state == "done", job.error
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Household)) > before
    data = real_console.get("/console/data").text
    assert "控制台上传" in data and job.confirmed_by in data
    again = real_console.post(f"/console/imports/{job_id}/confirm", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 409  # confirmed once, imported once


def test_a_file_that_would_replace_data_needs_its_confirmation(real_console, real_county):
    engine, register = real_county[:2]
    _admin(real_console, engine)
    first = _upload(real_console, "households", register.name, register.read_bytes())
    first_id = int(first.headers["location"].rsplit("/", 1)[1])
    if _settled(engine, first_id).state == "checked":  # this file not yet imported by an earlier test
        page = real_console.get(f"/console/imports/{first_id}").text
        real_console.post(f"/console/imports/{first_id}/confirm", data={"csrf": csrf_of(page), "understood": "1"})
        assert _settled(engine, first_id).state == "done"
    r = _upload(real_console, "households", register.name, register.read_bytes())
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    job = _settled(engine, job_id)
    assert job.state == "checked" and "已有本文件的" in job.replaces
    page = real_console.get(f"/console/imports/{job_id}").text
    assert "确认后将替换" in page and 'name="understood"' in page
    r = real_console.post(f"/console/imports/{job_id}/confirm", data={"csrf": csrf_of(page)})
    assert r.status_code == 422 and "我已了解将替换的数据" in r.text
    assert _settled(engine, job_id).state == "checked"  # nothing happened
    r = real_console.post(f"/console/imports/{job_id}/confirm", data={"csrf": csrf_of(page), "understood": "1"})
    assert r.status_code == 303 and _settled(engine, job_id).state == "done"


def test_an_upload_declared_over_the_limit_is_refused_before_it_is_read(real_console, real_county):
    _admin(real_console, real_county[0])
    real_console.app.state.console_upload_limit = 1024
    r = _upload(real_console, "households", "登记表.xlsx", b"PK\x03\x04" + b"0" * (2 * 1024 * 1024))
    assert r.status_code == 413 and "超过上限" in r.text and r.headers["content-type"].startswith("text/html")


def test_the_body_limit_answers_a_browser_over_its_paths_limit_with_a_page():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from sandbox.server.bodylimit import BodyLimitMiddleware

    async def taken(request):
        return PlainTextResponse(str(len(await request.body())))

    app = Starlette(routes=[Route("/up", taken, methods=["POST"]), Route("/other", taken, methods=["POST"])])
    app.add_middleware(BodyLimitMiddleware, default=100, largest=100, paths={"/up": 1000})
    with TestClient(app) as c:
        assert c.post("/up", content=b"x" * 500).text == "500"  # its own limit, above the others'
        r = c.post("/up", content=b"x" * 2000)
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html") and "文件过大" in r.text
        r = c.post("/other", content=b"x" * 500)
        assert r.status_code == 413 and r.headers["content-type"] == "application/json"


def test_jobs_a_restart_left_running_are_checked_again_or_back_to_be_confirmed(fresh_county, real_county, tmp_path):
    from fastapi.testclient import TestClient

    from sandbox.server.app import create_app
    from sandbox.settings import Settings
    from sandbox.store.office.uploads import INTERRUPTED_ZH

    engine, real_console = fresh_county
    register = real_county[1]
    _admin(real_console, engine)
    ids = [int(_upload(real_console, "households", register.name, register.read_bytes()).headers["location"]
               .rsplit("/", 1)[1]) for _ in range(2)]
    for job_id in ids:
        assert _settled(engine, job_id).state == "checked"
    # the process died: one job in its import (one transaction, rolled back), one in its check
    with session_factory(engine)() as s:
        s.get(ConsoleImport, ids[0]).state = "importing"
        s.get(ConsoleImport, ids[1]).state, s.get(ConsoleImport, ids[1]).check_summary = "checking", None
        s.commit()
        before = s.scalar(select(func.count()).select_from(Household))
    with TestClient(create_app(engine, Settings(data_dir=tmp_path)), raise_server_exceptions=False,
                    follow_redirects=False) as restarted:  # the API's start
        imported, checked = _settled(engine, ids[0], timeout=5), _settled(engine, ids[1])
        assert imported.state == "checked" and imported.error == INTERRUPTED_ZH
        assert checked.state == "checked" and checked.check_summary and not checked.error
        _admin(restarted, engine)
        page = restarted.get(f"/console/imports/{ids[0]}").text
        assert "服务重启而中断" in page and "待确认" in page
        r = restarted.post(f"/console/imports/{ids[0]}/confirm", data={"csrf": csrf_of(page), "understood": "1"})
        assert r.status_code == 303 and _settled(engine, ids[0]).state == "done"
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Household)) > before
