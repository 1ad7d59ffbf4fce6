"""Token life cycle: `sandbox token list / revoke / create --expires`, revocation effective on the next
request, expired tokens refused, unknown regions and cadres refused at creation, the migration."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from sandbox.cli import main
from sandbox.server import deps
from sandbox.server.runtime import new_token
from sandbox.store.migrate import upgrade
from sandbox.store.models import ApiToken
from sandbox.store.tokens import hash_token, parse_expiry, utcnow
from tests.conftest import auth

CHINESE = re.compile(r"[\u4e00-\u9fff]")
REGION = "/api/v1/regions/522726"


def _label() -> str:
    return f"测试-{uuid.uuid4().hex[:8]}"


def _create(capsys, *args) -> str:
    assert main(["token", "create", *args]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def _row(engine, label: str) -> ApiToken:
    with Session(engine) as session:
        return session.scalars(select(ApiToken).where(ApiToken.label == label)).one()


@pytest.mark.parametrize("args,words", [
    (["--role", "leader", "--region", "522726999000"], "522726999000"),
    (["--role", "leader", "--region", "522799"], "522799"),
    (["--role", "cadre", "--label", "cadre:99999999"], "99999999"),
    (["--role", "cadre", "--label", "王明"], "cadre:"),
    (["--role", "display", "--expires", "tomorrow"], "tomorrow"),
    (["--role", "display", "--expires", "2001-01-01"], "已经过去"),
])
def test_create_refuses_unknown_regions_cadres_and_bad_expiry_in_one_chinese_line(db_url, demo_engine, capsys,
                                                                                  args, words):
    with demo_engine.connect() as conn:
        before = conn.scalar(text("SELECT count(*) FROM api_tokens"))
    assert main(["token", "create", *args, "--db", db_url]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误: ") and words in err, err
    assert "sbx_" not in captured.out
    with demo_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM api_tokens")) == before


def test_a_cadre_token_for_an_existing_cadre_is_created(db_url, demo_engine, capsys):
    with demo_engine.connect() as conn:
        cadre = conn.scalar(text("SELECT min(id) FROM cadres"))
    assert _create(capsys, "--role", "cadre", "--label", f"cadre:{cadre} 测试", "--db", db_url).startswith("sbx_")


def test_list_shows_what_a_token_is_never_the_token(db_url, demo_engine, api, capsys):
    label = _label()
    token = _create(capsys, "--role", "leader", "--region", "522726103000", "--label", label,
                    "--expires", "30d", "--db", db_url)
    assert api.get("/api/v1/regions/522726103000", headers=auth(token)).status_code == 200
    deadline = time.monotonic() + 30  # a loaded machine may take seconds; the loop ends as soon as it is written
    while _row(demo_engine, label).last_used_at is None and time.monotonic() < deadline:
        time.sleep(0.05)  # written off the request's path
    assert main(["token", "list", "--db", db_url]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if label in l)
    row = _row(demo_engine, label)
    assert token not in out and hash_token(token) not in out and "sbx_" not in out
    assert "leader" in line and "522726103000" in line and "有效" in line
    assert (row.expires_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") in line
    assert row.last_used_at is not None
    assert (row.last_used_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") in line
    assert abs((row.expires_at - utcnow()) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)


def test_a_revoked_token_is_refused_on_the_very_next_request(db_url, demo_engine, api, capsys):
    label = _label()
    token = _create(capsys, "--role", "display", "--label", label, "--db", db_url)
    for _ in range(3):  # warm: the API now holds the token in its cache
        assert api.get(REGION, headers=auth(token)).status_code == 200
    assert main(["token", "revoke", str(_row(demo_engine, label).id), "--db", db_url]) == 0
    assert "已吊销" in capsys.readouterr().out
    r = api.get(REGION, headers=auth(token))
    assert r.status_code == 401 and CHINESE.search(r.json()["detail"])
    # revoking again changes nothing and says so
    assert main(["token", "revoke", str(_row(demo_engine, label).id), "--db", db_url]) == 0
    assert "无变化" in capsys.readouterr().out
    assert main(["token", "list", "--db", db_url]) == 0
    assert "已吊销" in next(l for l in capsys.readouterr().out.splitlines() if label in l)


def test_revoke_by_label_revokes_every_token_with_it(db_url, api, capsys):
    label = _label()
    tokens = [_create(capsys, "--role", "display", "--label", label, "--db", db_url) for _ in range(2)]
    other = _create(capsys, "--role", "display", "--label", label + "-别的", "--db", db_url)
    for t in (*tokens, other):
        assert api.get(REGION, headers=auth(t)).status_code == 200
    assert main(["token", "revoke", "--label", label, "--db", db_url]) == 0
    capsys.readouterr()
    assert [api.get(REGION, headers=auth(t)).status_code for t in tokens] == [401, 401]
    assert api.get(REGION, headers=auth(other)).status_code == 200


@pytest.mark.parametrize("args", [["999999999"], ["--label", "没有这个标签"], []])
def test_revoke_of_nothing_is_one_chinese_line(db_url, capsys, args):
    assert main(["token", "revoke", *args, "--db", db_url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误: ") and CHINESE.search(err[3:])


def test_an_expired_token_is_refused_with_a_chinese_reason(demo_engine, api, monkeypatch):
    past = new_token(demo_engine, "display", expires_at=utcnow() - dt.timedelta(minutes=1))
    r = api.get(REGION, headers=auth(past))
    assert r.status_code == 401 and "过期" in r.json()["detail"]
    soon = new_token(demo_engine, "display", expires_at=utcnow() + dt.timedelta(minutes=10))
    assert api.get(REGION, headers=auth(soon)).status_code == 200  # now cached
    # its end passes while the API holds it: the API's clock moved on (a real 1.5 s token raced a busy machine)
    later = utcnow() + dt.timedelta(minutes=11)
    monkeypatch.setattr(deps, "utcnow", lambda: later)
    r = api.get(REGION, headers=auth(soon))
    assert r.status_code == 401 and "过期" in r.json()["detail"]


def test_parse_expiry_takes_durations_and_dates():
    now = dt.datetime(2027, 1, 1, 0, 0)
    assert parse_expiry("30d", now) == now + dt.timedelta(days=30)
    assert parse_expiry("12h", now) == now + dt.timedelta(hours=12)
    assert parse_expiry("2w", now) == now + dt.timedelta(weeks=2)
    # a date: to the end of that day in Beijing (16:00 UTC)
    assert parse_expiry("2027-06-30", now) == dt.datetime(2027, 6, 30, 16, 0)
    assert parse_expiry("2027-06-30T12:00:00+08:00", now) == dt.datetime(2027, 6, 30, 4, 0)
    for bad in ("0d", "soon", "2026-12-31", "30x"):
        with pytest.raises(ValueError, match=r"[\u4e00-\u9fff]"):
            parse_expiry(bad, now)


def test_the_migration_adds_the_columns_and_keeps_old_tokens(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO api_tokens (token_hash, role, created_at) VALUES (:h, 'admin', :c)"),
                     {"h": hash_token("sbx_old"), "c": dt.datetime(2026, 1, 1)})
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("api_tokens")}
    assert {"expires_at", "last_used_at"} <= columns
    with Session(engine) as session:
        old = session.scalars(select(ApiToken)).one()
        assert old.role == "admin" and old.expires_at is None and old.revoked_at is None
    engine.dispose()


def test_a_deleted_token_row_is_refused_on_the_very_next_request(demo_engine, api):
    token = new_token(demo_engine, "display")
    assert api.get(REGION, headers=auth(token)).status_code == 200  # cached now
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM api_tokens WHERE token_hash = :h"), {"h": hash_token(token)})
    r = api.get(REGION, headers=auth(token))
    assert r.status_code == 401 and CHINESE.search(r.json()["detail"])


def test_an_edit_in_place_counts_once_the_cache_entry_is_old(demo_engine, api):
    """A role or expiry changed by hand moves no fingerprint: the entry's age is the backstop."""
    from sandbox.server import deps

    token = new_token(demo_engine, "admin")
    assert api.get("/api/v1/households?region=522726", headers=auth(token)).status_code == 200
    with demo_engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET role = 'delegation' WHERE token_hash = :h"), {"h": hash_token(token)})
    known = api.app.state.callers[token]
    known.looked_up_at -= deps.CACHE_TTL_S - 5  # still young: the cached role holds
    assert api.get("/api/v1/households?region=522726", headers=auth(token)).status_code == 200
    known.looked_up_at -= 10  # older than the backstop: looked up again
    assert api.get("/api/v1/households?region=522726", headers=auth(token)).status_code == 403
    assert 10 <= deps.CACHE_TTL_S <= 60
