"""A wrong kiosk config shows what is wrong on the wall (never a blank screen) and starts once it is fixed."""

from __future__ import annotations

import pytest

from sandbox.app import _config_problems
from sandbox.ui.kiosk.config_error import ConfigErrorScreen

pytestmark = [pytest.mark.qt]


def test_the_problems_are_on_screen_until_the_file_is_fixed(qtbot, themed, write_config, tmp_path):
    path = write_config('[idle]\ntimeout_seconds = "300"\n\n[screen]\nmonitor = -1\n')
    problems = _config_problems(path)
    assert len(problems) == 2
    screen = ConfigErrorScreen(path, problems, recheck=lambda: _config_problems(path), recheck_seconds=0.2)
    qtbot.addWidget(screen)
    screen.resize(1920, 1080)
    screen.show()
    lines = screen.lines()
    assert lines["title"] == "大屏配置有误"
    assert "第 2 行" in lines["error"] and "idle.timeout_seconds" in lines["error"]
    assert "screen.monitor" in lines["error"] and str(path) in lines["retry"]
    assert lines["error"].startswith("第 ") and str(path) not in lines["error"]  # the file is named once
    img = screen.grab().toImage()
    assert img.pixelColor(960, 540) != img.pixelColor(5, 5) or img.pixelColor(960, 250) != img.pixelColor(5, 5)
    screen.grab().save(str(tmp_path / "config-error.png"))

    path.write_text(path.read_text(encoding="utf-8").replace('"300"', "300").replace("-1", "0"), encoding="utf-8")
    with qtbot.waitSignal(screen.fixed, timeout=10000):
        pass
    assert screen.problems == []


def test_more_problems_than_fit_point_to_the_journal(qtbot, themed, tmp_path):
    screen = ConfigErrorScreen(tmp_path / "k.toml", [f"k.toml 第 {i} 行: x{i}: 错误" for i in range(1, 6)],
                               recheck=lambda: ["still"], recheck_seconds=60)
    qtbot.addWidget(screen)
    assert screen.lines()["error"].endswith("另有 2 处, 见系统日志")
