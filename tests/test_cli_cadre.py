"""`sandbox cadre invite|devices|revoke` as an administrator types them: a one-time link (and its QR),
the phone list with last use, revocation by device or by cadre; bad input is one Chinese line, exit 2."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from sandbox.cli import main
from sandbox.server.app import create_app

LINK = re.compile(r"^https?://\S+/m/#invite=([A-Za-z0-9_-]{20,})$")


def _cadre(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT c.id FROM cadres c JOIN assignments a ON a.cadre_id = c.id "
                                "WHERE c.end_year IS NULL AND a.end_year IS NULL ORDER BY c.id DESC LIMIT 1"))


def test_invite_prints_a_link_and_its_qr_that_enrols_a_phone_once(db_url, demo_engine, capsys, tmp_path):
    import segno
    from PIL import Image

    cadre = _cadre(demo_engine)
    qr = tmp_path / "invite.png"
    assert main(["cadre", "invite", "--cadre", str(cadre), "--qr", str(qr), "--base-url", "https://sandbox.example.cn",
                 "--db", db_url]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    m = LINK.match(out[-1])
    assert m and out[-1].startswith("https://sandbox.example.cn/m/#invite=") and "72 小时" in out[0]
    # the QR is that very link
    again = tmp_path / "again.png"
    segno.make(out[-1], error="m").save(str(again), scale=8, border=4)
    assert Image.open(qr).convert("L").tobytes() == Image.open(again).convert("L").tobytes()

    client = TestClient(create_app(demo_engine), raise_server_exceptions=False)
    assert client.post("/api/v1/field/enrol", json={"invite": m.group(1)}).status_code == 200
    assert client.post("/api/v1/field/enrol", json={"invite": m.group(1)}).status_code == 410

    assert main(["cadre", "devices", "--cadre", str(cadre), "--db", db_url]) == 0
    listed = capsys.readouterr().out
    assert "有效" in listed and "testclient" in listed
    device = int(re.search(r"^(\d+)\s", listed.splitlines()[1]).group(1))
    assert client.get("/api/v1/field/me").status_code == 200
    assert main(["cadre", "revoke", str(device), "--db", db_url]) == 0
    assert "已吊销设备" in capsys.readouterr().out
    assert client.get("/api/v1/field/me").status_code == 401  # at once
    assert main(["cadre", "revoke", "--cadre", str(cadre), "--db", db_url]) == 0
    assert main(["cadre", "devices", "--cadre", str(cadre), "--db", db_url]) == 0
    assert "已吊销" in capsys.readouterr().out


def _invites(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT COUNT(*) FROM field_invites"))


def test_leader_invite_needs_a_scope_and_bad_input_is_one_chinese_line(db_url, demo_engine, capsys, tmp_path):
    assert main(["cadre", "invite", "--leader", "--region", "522726103000", "--label", "张镇长", "--db", db_url]) == 0
    assert LINK.match(capsys.readouterr().out.strip().splitlines()[-1])
    for argv, says in ((["cadre", "invite", "--leader"], "辖区"),
                       (["cadre", "invite", "--cadre", "99999999"], "不存在"),
                       (["cadre", "invite"], "--cadre"),
                       (["cadre", "revoke", "99999999"], "没有编号为"),
                       (["cadre", "revoke"], "设备编号"),
                       (["cadre", "invite", "--cadre", str(_cadre(demo_engine)), "--qr",
                         str(tmp_path / "no" / "such" / "dir.png")], "无法读写文件")):
        assert main([*argv, "--db", db_url]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and says in err, (argv, err)
    before = _invites(demo_engine)
    assert main(["cadre", "invite", "--cadre", str(_cadre(demo_engine)), "--qr", str(tmp_path), "--db", db_url]) == 2
    assert _invites(demo_engine) == before  # the QR could not be written: no invite was left behind
