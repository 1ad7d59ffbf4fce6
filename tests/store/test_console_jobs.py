"""Console imports a restart left running: found at the next start, whichever process runs the others."""

from __future__ import annotations

from sqlalchemy import delete

from sandbox.store.db import session_factory
from sandbox.store.office.tables import ConsoleImport
from sandbox.store.office.uploads import INTERRUPTED_ZH, _running, settle_interrupted
from sandbox.store.tokens import utcnow


def _job(session, state: str) -> int:
    job = ConsoleImport(kind="households", filename="登记表.xlsx", stored_path="/nonexistent/登记表.xlsx", size_bytes=1,
                        uploaded_by="admin", uploaded_at=utcnow(), state=state, phase="写入数据库")
    session.add(job)
    session.flush()
    return job.id


def test_a_restart_settles_what_no_process_runs_and_leaves_a_running_job_alone(demo_engine):
    with session_factory(demo_engine)() as s:
        importing, checking, live = _job(s, "importing"), _job(s, "checking"), _job(s, "importing")
        s.commit()
    rechecked: list[int] = []
    try:
        # `live` is being imported right now by a process (on PostgreSQL possibly another worker or host)
        with _running(demo_engine, live):
            settled = settle_interrupted(demo_engine, rechecked.append)
        with session_factory(demo_engine)() as s:
            states = {j.id: (j.state, j.error) for j in s.query(ConsoleImport).filter(
                ConsoleImport.id.in_((importing, checking, live)))}
        assert states[importing] == ("checked", INTERRUPTED_ZH)
        assert states[checking][0] == "checking" and rechecked == [checking]
        if demo_engine.dialect.name == "postgresql":  # SQLite serves one process: at its start nothing runs
            assert states[live] == ("importing", None) and live not in settled
    finally:
        with session_factory(demo_engine)() as s:
            s.execute(delete(ConsoleImport).where(ConsoleImport.id.in_((importing, checking, live))))
            s.commit()
