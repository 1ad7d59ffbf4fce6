"""Kiosk config and tour files: every problem is reported with its file, line and key, before anything starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.cli import main as cli
from sandbox.kiosk.config import load_config, parse_combo
from sandbox.kiosk.errors import ConfigError
from sandbox.kiosk.pin import hash_pin, is_pin_hash, verify_pin
from sandbox.kiosk.tour import load_tour
from tests.api_double import ApiDouble

ROOT = Path(__file__).resolve().parents[2]


def problems(path) -> list:
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    return exc.value.problems


def line_of(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in ln)


def test_shipped_default_config_and_tour_are_valid():
    loaded = load_config(ROOT / "kiosk_config" / "default.toml")
    assert loaded.config.embedded and loaded.tour is not None
    assert 150 <= loaded.tour.seconds <= 210  # "about three minutes"
    assert verify_pin("2020", loaded.config.exit.pin_hash)


def test_example_config_names_only_its_absent_token_file(tmp_path):
    src = ROOT / "kiosk_config" / "example-command-centre.toml"
    found = problems(src)
    assert [p.key for p in found] == ["api.token_file"]
    assert found[0].line == line_of(src, "token_file =")
    # with the token in place (and the tour beside it) it is valid: the video-wall geometry spans 4×2 screens
    (tmp_path / "tours").mkdir()
    (tmp_path / "tours" / "dushan-delegation.toml").write_bytes(
        (ROOT / "kiosk_config" / "tours" / "dushan-delegation.toml").read_bytes())
    (tmp_path / "display.token").write_text("sbx_test\n")
    text = src.read_text(encoding="utf-8").replace("/etc/sandbox/display.token", "display.token")
    (tmp_path / "wall.toml").write_text(text, encoding="utf-8")
    loaded = load_config(tmp_path / "wall.toml")
    assert loaded.config.screen.geometry == [0, 0, 7680, 2160] and loaded.config.watchdog.restart_daily_at == "04:30"


def test_wrong_type_names_key_and_line(write_config):
    path = write_config("""
        name = "主屏"

        [idle]
        tour_delay_seconds = 5
        timeout_seconds = "300"
    """)
    [p] = problems(path)
    assert (p.key, p.line) == ("idle.timeout_seconds", 5)
    assert "应为数字" in p.message and '"300"' in p.message
    assert str(p).startswith(f"{path} 第 5 行: idle.timeout_seconds:")


def test_unknown_key_names_key_and_line(write_config):
    path = write_config("""
        [screen]
        monitor = 1
        windowd = true
    """)
    [p] = problems(path)
    assert (p.key, p.line) == ("screen.windowd", 3) and "未知的配置项" in p.message


def test_missing_token_file_names_key_and_line(write_config):
    path = write_config("""
        [api]
        url = "http://10.0.0.5:8765"
        token_file = "secrets/display.token"
    """)
    [p] = problems(path)
    assert (p.key, p.line) == ("api.token_file", 3) and "令牌文件不存在" in p.message


def test_remote_api_without_token_file_is_an_error(write_config):
    [p] = problems(write_config('[api]\nurl = "http://10.0.0.5:8765"\n'))
    assert p.key == "api" and p.line == 1 and "token_file" in p.message


def test_several_problems_are_all_listed_with_lines(write_config):
    path = write_config("""
        [screen]
        geometry = [0, 0, 7680]

        [watchdog]
        max_restarts = 0
        restart_daily_at = "4:30"

        [privacy]
        mode = "everyone"
    """)
    found = {p.key: p.line for p in problems(path)}
    assert found == {"screen.geometry": 2, "watchdog.max_restarts": 5, "watchdog.restart_daily_at": 6,
                     "privacy.mode": 9}


def test_camera_hosts_and_the_leader_mode_are_checked(write_config):
    path = write_config("""
        [privacy]
        mode = "leader"

        [cameras]
        allowed_hosts = ["nvr.example.gov.cn", "*.video.example.gov.cn", "10.20.0.0/16",
                         "rtsp://admin:secret@10.1.1.1/live"]
    """)
    [p] = problems(path)
    assert (p.key, p.line) == ("cameras.allowed_hosts", 5) and "不要写协议" in p.message
    assert "secret" not in p.message and "***@" in p.message  # a pasted password stays out of the journal


def test_missing_exit_section_and_a_plain_pin_are_refused(write_config):
    [p] = problems(write_config("[idle]\ntimeout_seconds = 60\n", with_exit=False))
    assert p.key == "exit" and "缺少必填项" in p.message
    [p] = problems(write_config('[exit]\npin_hash = "1234"\n', with_exit=False))
    assert (p.key, p.line) == ("exit.pin_hash", 2) and "hash-pin" in p.message


def test_toml_syntax_error_names_the_line(write_config):
    [p] = problems(write_config('[idle]\ntimeout_seconds = = 3\n'))
    assert p.line == 2 and "TOML 语法错误" in p.message


def test_bad_tour_steps_are_named_by_step_key_and_line(write_config, tmp_path):
    tour = tmp_path / "tour.toml"
    tour.write_text("""title = "测试"

[[steps]]
region = "522726"
caption = "全县"

[[steps]]
region = "52272610300"
seconds = 10

[[steps]]
indicator = "happiness"
seconds = -1
""", encoding="utf-8")
    path = write_config('[tour]\nfile = "tour.toml"\n')
    found = {(p.file, p.key): p for p in problems(path)}
    assert {k for _, k in found} == {"steps[2].region", "steps[3].indicator", "steps[3].seconds"}
    assert found[(str(tour), "steps[2].region")].line == 8
    assert found[(str(tour), "steps[3].indicator")].line == 12
    assert "未知指标" in found[(str(tour), "steps[3].indicator")].message
    assert found[(str(tour), "steps[3].seconds")].line == 13


def test_missing_tour_file(write_config):
    [p] = problems(write_config('[tour]\nfile = "tours/none.toml"\n'))
    assert (p.key, p.line) == ("tour.file", 2)


def test_tour_regions_are_normalised_to_twelve_digits(tmp_path):
    t = tmp_path / "t.toml"
    t.write_text('[[steps]]\nregion = "522726"\ncaption = "县"\n', encoding="utf-8")
    assert load_tour(t).steps[0].region == "522726000000"


def test_exit_combo_needs_two_modifiers():
    assert parse_combo("Ctrl+Alt+Shift+Q") == (frozenset({"ctrl", "alt", "shift"}), "Q")
    for bad in ("Q", "Ctrl+Q", "Ctrl+Alt+Hyper+Q", "Ctrl+Alt+QQ"):
        with pytest.raises(ValueError):
            parse_combo(bad)


def test_pin_hash_and_verify():
    h = hash_pin("4321")
    assert is_pin_hash(h) and "4321" not in h
    assert verify_pin("4321", h)
    assert not verify_pin("4322", h) and not verify_pin("", h)
    assert hash_pin("4321") != h  # salted
    assert not verify_pin("4321", "scrypt$16384$8$1$AAAA$BBBB") and not verify_pin("4321", "garbage")
    for bad in ("12", "12a4", "１２３４", "1" * 13):
        with pytest.raises(ValueError):
            hash_pin(bad)


def test_cli_check_prints_every_problem_with_its_line(write_config, capsys):
    path = write_config('[idle]\ntimeout_seconds = "300"\n[screen]\nmonitr = 1\n')
    assert cli(["kiosk", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "第 2 行: idle.timeout_seconds" in err and "第 4 行: screen.monitr" in err
    assert "Traceback" not in err


def test_cli_check_accepts_the_default_config(capsys):
    assert cli(["kiosk", "check", str(ROOT / "kiosk_config" / "default.toml")]) == 0
    out = capsys.readouterr().out
    assert "配置正确" in out and "12 步" in out


def test_cli_hash_pin_from_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("8642\n"))
    assert cli(["kiosk", "hash-pin", "--stdin"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith('pin_hash = "scrypt$') and verify_pin("8642", line.split('"')[1])
    monkeypatch.setattr("sys.stdin", io.StringIO("abc\n"))
    assert cli(["kiosk", "hash-pin", "--stdin"]) == 2


def test_kiosk_with_a_bad_config_never_starts_the_wall(write_config, capsys, monkeypatch):
    import sandbox.app as app

    shown = []
    monkeypatch.setattr(app, "show_config_errors", lambda path, **kw: shown.append(path) or False)
    path = write_config('[cursor]\nhide_after_seconds = "soon"\n')
    # with a screen: the problems go on it (the config-error screen, closed here without a fix)
    monkeypatch.setattr(app, "_has_display", lambda: True)
    assert app.run_kiosk(path) == 2 and shown == [path]
    err = capsys.readouterr().err
    assert "未启动" in err and "第 2 行: cursor.hide_after_seconds" in err
    # without one: the message on stderr (the journal) only
    monkeypatch.setattr(app, "_has_display", lambda: False)
    assert app.run_kiosk(path) == 2 and shown == [path]


def test_main_without_arguments_runs_the_supervised_kiosk_on_the_default_config(monkeypatch):
    import sandbox.app as app

    calls = []
    monkeypatch.setattr(app, "run_kiosk", lambda path, **kw: calls.append((Path(path), kw)) or 0)
    assert app.main([]) == 0
    assert calls == [(ROOT / "kiosk_config" / "default.toml", {"supervised": True, "windowed": False})]
    calls.clear()
    assert app.main(["--config", "x.toml", "--no-supervisor"]) == 0
    assert calls == [(Path("x.toml"), {"supervised": False, "windowed": False})]


def test_a_tour_of_another_county_or_of_the_demo_is_replaced_by_one_that_fits_any():
    """The shipped tour tells Dushan's story with the demo's figures: over another county (`--county`) or
    over real records (imported, even Dushan's) it would caption the wrong numbers. A generic tour over
    the data's own years takes its place."""
    from sandbox.kiosk.tour import county_tour, written_for

    dushan = load_tour(ROOT / "kiosk_config" / "tours" / "dushan-delegation.toml")
    assert dushan.demo_only
    assert written_for(dushan, "522726000000", demo=True)
    assert not written_for(dushan, "350128000000", demo=True)
    assert not written_for(dushan, "522726000000", demo=False)  # Dushan's own registers imported
    imported_years = [2016, 2017, 2018]
    generic = county_tour(imported_years)
    assert written_for(generic, "350128000000", demo=False)
    assert {s.year for s in generic.steps} == set(imported_years)  # no year the API would refuse
    assert [s.year for s in generic.steps] == sorted(s.year for s in generic.steps)
    assert all(s.region is None for s in generic.steps)  # every step on the wall's own county
    text = "".join(s.title + s.caption for s in generic.steps)
    assert set(re.findall(r"\d+", text)) <= {"2016", "2017", "2018", "3"}  # years and the 3 % exit line
    assert not any(w in text for w in ("独山", "黔", "降至", "全部脱贫", "低于"))  # no place, no outcome
    assert 30 <= generic.seconds <= 210
    assert county_tour([]) is None


class _Api(ApiDouble):
    """What _tour_for asks of the API: is the data the demo's, and which years it holds."""

    def __init__(self, demo: bool, years: list[int]):
        super().__init__()
        self.demo, self.years = demo, years

    def handle_health(self) -> dict:
        return {"demo": self.demo, "root_region": "522726000000"}

    def handle_region(self, code: str, year: int | None = None) -> dict:
        return {"code": code, "years": self.years}


def test_the_kiosk_keeps_the_demo_tour_only_over_the_demo():
    from sandbox.app import _tour_for

    dushan = load_tour(ROOT / "kiosk_config" / "tours" / "dushan-delegation.toml")
    assert _tour_for(dushan, _Api(True, list(range(2014, 2021))), "522726000000") is dushan
    real = _tour_for(dushan, _Api(False, [2019, 2020]), "522726000000")
    assert real is not dushan and {s.year for s in real.steps} == {2019, 2020}
    assert _tour_for(dushan, _Api(True, [2017]), "350128000000") is not dushan


def test_root_region_lets_a_wall_boot_without_its_api_at_any_level(write_config):
    """A province's, a prefecture's, a county's, a town's or a village's code, normalised to 12 digits as
    the API normalises it; anything else refused in Chinese with its key and line."""
    for given, kept in (("52", "520000000000"), ("5227", "522700000000"), ("522726", "522726000000"),
                        ("522726103", "522726103000"), ("522726103201", "522726103201")):
        ok = write_config(f"""
            [api]
            root_region = "{given}"
        """, name=f"ok{given}.toml")
        assert load_config(ok).config.api.root_region == kept
    for bad_code in ("5", "522", "52272610", "5227261032011", "５２", "52 27", "", "abc"):
        bad = write_config(f"""
            [api]
            root_region = "{bad_code}"
        """, name="bad.toml")
        (p,) = problems(bad)
        assert p.key == "api.root_region" and p.line == 2, bad_code
        assert "区划代码应为 2、4、6、9 或 12 位数字" in p.message and bad_code in p.message
    (p,) = problems(write_config("[api]\nroot_region = 52\n", name="int.toml"))
    assert p.key == "api.root_region" and "带引号" in p.message


def test_tour_steps_take_any_level_and_fit_a_province_wall(tmp_path):
    from sandbox.kiosk.tour import county_tour, written_for

    t = tmp_path / "t.toml"
    t.write_text('[[steps]]\nregion = "52"\n[[steps]]\nregion = "5227"\n[[steps]]\nregion = "522726103"\n'
                 '[[steps]]\nregion = "5227"\nseconds = 5\n', encoding="utf-8")
    tour = load_tour(t)
    assert [s.region for s in tour.steps] == ["520000000000", "522700000000", "522726103000", "522700000000"]
    assert written_for(tour, "520000000000", demo=True)  # a province's wall plays a tour of its own province
    assert not written_for(tour, "522726000000", demo=True)  # a county's wall does not play the province's
    assert not written_for(tour, "350000000000", demo=True)
    assert "全省各地" in county_tour([2019, 2020], "province").steps[0].caption
    assert "全县各地" in county_tour([2019, 2020]).steps[0].caption


def test_the_video_wall_layout_is_read_and_checked_with_line_and_key(write_config):
    loaded = load_config(write_config("""
        [display]
        layout = "wide"
        panels = "4x2"
        bezel_px = 12
        beside_map = ["cameras"]
    """))
    d = loaded.config.display
    assert (d.layout, d.grid, d.bezel_px, d.beside_map) == ("wide", (4, 2), 12, ["cameras"])
    assert load_config(write_config("[idle]\ntimeout_seconds = 60\n")).config.display.grid is None
    path = write_config("""
        [display]
        layout = "tall"
        panels = "4 by 2"
        bezel_px = -3
        beside_map = ["cameras", "weather"]
        seams = true
    """)
    got = {p.key: p for p in problems(path)}
    assert set(got) >= {"display.layout", "display.panels", "display.bezel_px", "display.seams"}, got
    assert got["display.panels"].line == 3 and "4x2" in got["display.panels"].message
    assert got["display.bezel_px"].line == 4 and got["display.layout"].line == 2
    assert any(k.startswith("display.beside_map") for k in got)
