"""A database migrated by a program this one does not know is refused in one Chinese line, untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from sandbox.cli import main
from sandbox.store.migrate import UnknownSchemaVersion, upgrade


def _stamped_by_another_branch(path) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    upgrade(engine, "0002_token_lifecycle")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz_other_branch'"))
    engine.dispose()
    return url


def test_an_unknown_revision_is_refused_and_nothing_changes(tmp_path):
    url = _stamped_by_another_branch(tmp_path / "other.db")
    engine = create_engine(url)
    before = set(inspect(engine).get_table_names())
    with pytest.raises(UnknownSchemaVersion, match="zz_other_branch.*不是本程序所知的版本.*数据未改动"):
        upgrade(engine)
    assert set(inspect(engine).get_table_names()) == before  # no table of a later migration made
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "zz_other_branch"
    engine.dispose()


def test_the_command_line_says_it_in_one_line_without_a_traceback(tmp_path, monkeypatch, capsys):
    url = _stamped_by_another_branch(tmp_path / "other.db")
    monkeypatch.setenv("SANDBOX_DATABASE_URL", url)
    assert main(["token", "list"]) == 2
    err = capsys.readouterr().err
    assert "zz_other_branch" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_complaints_from_before_deadlines_get_one_by_the_same_rule(tmp_path):
    import datetime as dt

    from sqlalchemy import text

    from sandbox.domain.complaints import reply_deadline
    from sandbox.store.db import make_engine
    from sandbox.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013_department")
    with engine.begin() as conn:  # one received on a Friday evening in Beijing (Friday, UTC), one with its deadline
        for i, (created, deadline) in enumerate(((dt.datetime(2019, 9, 27, 13, 30), None),
                                                 (dt.datetime(2019, 9, 2, 1, 0), dt.date(2019, 9, 5)))):
            conn.execute(text("INSERT INTO complaints (reference, submission_id, slug, kind, subject_id, subject_name, "
                              "text, created_at, status, deadline) VALUES (:r, :s, 'x', 'household', 1, '王*', '问题', "
                              ":c, 'new', :d)"), {"r": f"TS{i}", "s": f"n{i}", "c": created, "d": deadline})
    upgrade(engine)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT reference, deadline FROM complaints")).all())
    engine.dispose()
    # 21:30 Beijing on Friday 27 September 2019: the days count from Saturday, across the National Day holiday
    assert str(got["TS0"]) == str(reply_deadline(dt.date(2019, 9, 27))) and str(got["TS1"]) == "2019-09-05"
    assert str(got["TS0"]) > "2019-10-07"
