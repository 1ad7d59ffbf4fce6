"""The command line as a user meets it: serve over real HTTP, tokens, and clear start-up errors."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import requests

from sandbox.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_database_is_one_clear_line(capsys):
    port = _free_port()  # nothing listens there
    code = main(["token", "create", "--role", "display", "--db", f"postgresql://u:secret@127.0.0.1:{port}/x"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("错误: 无法连接数据库") and "secret" not in err


def test_malformed_database_url_is_one_clear_line(capsys):
    assert main(["token", "create", "--role", "display", "--db", "not a url"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "数据库地址" in err


def test_token_create_prints_the_token_on_its_last_line(db_url, demo_engine, capsys):
    assert main(["token", "create", "--role", "leader", "--region", "522726", "--db", db_url]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("sbx_") and len(last) > 30


def test_wrong_role_is_rejected_by_argparse(capsys):
    try:
        main(["token", "create", "--role", "king"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_serve_answers_over_http_with_the_seed_figures(demo_engine, db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        url = db_url
    else:
        # serve a copy, so the server process and the test session do not share a file
        src = db_url.removeprefix("sqlite:///")
        dst = tmp_path / "serve.db"
        with demo_engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        shutil.copy(src, dst)
        url = f"sqlite:///{dst}"
    token = subprocess.run([sys.executable, "-m", "sandbox", "token", "create", "--role", "display", "--db", url],
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--db", url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, proc.stdout.read1().decode() if proc.poll() is not None else "timeout"
            time.sleep(0.2)
        r = requests.get(f"{base}/regions/522726", params={"year": 2016},
                         headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.status_code == 200
        assert r.json()["indicators"]["poor_population"] == 46_572
        assert requests.get(f"{base}/regions/522726", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_on_a_port_in_use_says_so_before_building_anything(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        db = tmp_path / "never.db"
        code = main(["serve", "--port", str(port), "--db", f"sqlite:///{db}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("错误: 无法在 127.0.0.1:") and "端口已被占用" in err and "--port" in err
    assert not db.exists()  # the demo was not built first


def test_the_port_check_refuses_only_what_the_server_could_not_bind():
    """IPv4 and IPv6 are separate sockets to asyncio (v6-only): a port taken on 0.0.0.0 is free on ::."""
    from sandbox.cli import _check_port_free

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        if socket.has_ipv6:
            try:
                _check_port_free("::1", port)
            except ValueError as exc:
                assert "地址不可用" in str(exc)  # a machine without IPv6 on loopback
        try:
            _check_port_free("no-such-host.invalid", port)
        except ValueError as exc:
            assert "无法解析监听地址 no-such-host.invalid" in str(exc)
        else:
            raise AssertionError("an unresolvable host passed")


def test_the_supervisors_safe_mode_command_line_parses():
    from pathlib import Path

    from sandbox.cli import build_parser

    # Exactly as sandbox.app's supervisor starts it: options after the sub-command.
    args = build_parser().parse_args(["kiosk", "safe-mode", "--config", "/x/kiosk.toml", "--windowed"])
    assert args.kiosk_command == "safe-mode" and args.config == Path("/x/kiosk.toml") and args.windowed
    args = build_parser().parse_args(["kiosk", "--config", "/y.toml", "safe-mode"])
    assert args.config == Path("/y.toml") and not args.windowed
