"""main.py's wall options against the real API: a region, year or indicator the API refuses is one
Chinese line and exit 2 before any window or screenshot; an API that is down is not refused."""

from __future__ import annotations

import pytest

from sandbox.app import main


@pytest.fixture(scope="module")
def served(demo_engine, tmp_path_factory):
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    token_file = tmp_path_factory.mktemp("token") / "display.token"
    token_file.write_text(new_token(demo_engine, "display"))
    yield server.url, token_file
    server.stop()


@pytest.mark.parametrize("args, says", [
    (["--region", "522726999999"], "未找到区划代码为 522726999999 的地区"),
    (["--region", "52272610"], "区划代码应为 2、4、6、9 或 12 位数字"),
    (["--year", "2031"], "年份 2031 超出数据范围 2014-2020"),
    (["--indicator", "poverty_rate"], "未知指标 'poverty_rate'"),
])
def test_what_the_api_refuses_is_one_line_and_exit_2(served, tmp_path, capsys, args, says):
    url, token_file = served
    shot = tmp_path / "wall.png"
    code = main(["--api", url, "--token-file", str(token_file), "--screenshot", str(shot), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not shot.exists()
    assert err[-1].startswith("错误: ") and says in err[-1] and "Traceback" not in "\n".join(err)


def test_the_indicator_line_lists_what_there_is(served, tmp_path, capsys):
    url, token_file = served
    assert main(["--api", url, "--token-file", str(token_file), "--screenshot", str(tmp_path / "w.png"),
                 "--indicator", "x"]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "poverty_incidence (贫困发生率)" in line and "visit_rate (月走访率)" in line


def test_an_api_that_is_down_is_not_a_refusal(demo_engine):
    from sandbox.app import _refused_view
    from sandbox.client.api import ApiClient

    client = ApiClient("http://127.0.0.1:9", "sbx_x", retries=0)
    try:
        assert _refused_view(client, "522726999999", 2031, "x") is None  # the wall comes up and says so
    finally:
        client.close()


def test_main_py_is_the_one_cli_s_wall_command(served, tmp_path, capsys):
    """`python main.py ARGS` and `sandbox wall ARGS` are one command line, parsed and answered alike."""
    from sandbox.cli import main as cli

    url, token_file = served
    shot = tmp_path / "wall.png"
    args = ["--api", url, "--token-file", str(token_file), "--screenshot", str(shot), "--region", "522726999999"]
    assert cli(["wall", *args]) == 2 and main(args) == 2 and not shot.exists()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == lines[-2] and "未找到区划代码为 522726999999 的地区" in lines[-1]


def test_the_first_level_is_asked_for_before_the_wall_imports_and_the_wall_takes_it(served, tmp_path, monkeypatch):
    from sandbox.client.api import ApiClient

    url, token_file = served
    primed: list = []
    real = ApiClient.prime_first_level

    def record(self, code, year=None):
        primed.append((self, code, year))
        real(self, code, year)

    monkeypatch.setattr(ApiClient, "prime_first_level", record)
    shot = tmp_path / "wall.png"
    assert main(["--api", url, "--token-file", str(token_file), "--screenshot", str(shot), "--size", "800x600"]) == 0
    assert shot.exists() and [(code, year) for _, code, year in primed] == [("522726000000", None)]
    assert len(primed[0][0].primed) == 0  # the screenshot's first load took both answers: none sent twice
