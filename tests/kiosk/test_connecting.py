"""The connecting screen of a wall booted without its API: calm, retrying, and gone at the first answer."""

from __future__ import annotations

from functools import partial

import pytest

from sandbox.client.api import ApiError, ApiUnavailable

pytestmark = [pytest.mark.qt]


def test_it_retries_until_the_api_answers_and_names_a_refusal(qtbot, themed, pin_hash):
    from sandbox.kiosk.pin import verify_pin
    from sandbox.ui.kiosk.connecting import ConnectingScreen

    answers = [ApiUnavailable("down"), ApiError(401, "令牌无效"), "522726000000"]

    def probe():
        a = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(a, Exception):
            raise a
        return a

    screen = ConnectingScreen(probe=probe, retry_seconds=1, verify_pin=partial(verify_pin, stored=pin_hash))
    qtbot.addWidget(screen)
    screen.resize(960, 540)
    screen.show()
    lines = screen.lines()
    assert lines["title"] == "正在连接中心数据接口" and "每 1 秒自动重试" in lines["retry"]
    screen.try_now()
    qtbot.waitUntil(lambda: screen.attempts == 1 and not screen.probing, timeout=5000)
    assert screen.lines()["error"] == ""  # no answer at all: nothing to name
    qtbot.waitUntil(lambda: screen.problem == "令牌无效", timeout=5000)
    assert screen.lines()["error"] == "数据接口答复: 令牌无效"
    with qtbot.waitSignal(screen.connected, timeout=5000) as got:
        pass
    assert got.args == ["522726000000"] and screen.attempts == 3
    screen._exiting = True
    screen.close()
