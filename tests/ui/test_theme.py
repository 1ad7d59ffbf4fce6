"""Theme: ramps (bad end always red), metrics scaling with height, the stylesheet."""

import pytest
from PySide6.QtGui import QColor

from sandbox.ui.theme import (
    NO_DATA_COLOR,
    SINGLE_CLASS_COLOR,
    metrics_for_height,
    ramp,
    stylesheet,
)


def redness(hex_colour: str) -> int:
    c = QColor(hex_colour)
    return c.red() - c.green()


@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_bad_end_is_red_and_good_end_green(k):
    lower_better = ramp(k, higher_is_better=False)
    higher_better = ramp(k, higher_is_better=True)
    assert higher_better == lower_better[::-1]
    assert redness(lower_better[-1]) > 100 and redness(lower_better[0]) < -50  # high value = bad = red
    assert redness(higher_better[0]) > 100  # low value of a "higher is better" rate = red
    assert NO_DATA_COLOR not in lower_better and len(set(lower_better)) == k


def test_a_single_class_is_neutral():
    assert ramp(1, False) == ramp(1, True) == [SINGLE_CLASS_COLOR]
    assert ramp(0, False) == []


def test_metrics_scale_with_window_height():
    hd, uhd = metrics_for_height(1080), metrics_for_height(2160)
    assert uhd.title_px == 2 * hd.title_px and uhd.map_label_px == 2 * hd.map_label_px
    assert metrics_for_height(200).body_px >= 13  # clamped: tiny windows stay legible
    assert hd.map_label_px >= 20  # readable from three metres on a 1080p wall


def test_stylesheet_has_no_unfilled_placeholders():
    qss = stylesheet(metrics_for_height(2160))
    assert qss and "$" not in qss
    assert "font-size: 80px" in qss  # the title at 4K


@pytest.mark.qt
def test_big_bold_text_stays_bold(qtbot, themed_app):
    from PySide6.QtWidgets import QLabel

    from sandbox.ui.theme import ui_font
    from sandbox.ui.widgets import StrongLabel

    def ink(label) -> int:
        qtbot.addWidget(label)
        label.setStyleSheet("color: white; background: black;")
        label.resize(700, 120)
        img = label.grab().toImage()
        return sum(1 for x in range(0, 700, 2) for y in range(0, 120, 2) if QColor(img.pixel(x, y)).lightness() > 128)

    regular, strong = QLabel("独山县脱贫攻坚"), StrongLabel("独山县脱贫攻坚")
    regular.setFont(ui_font(80))
    strong.setFont(ui_font(80, bold=True))
    assert ink(strong) > ink(regular) * 1.15
