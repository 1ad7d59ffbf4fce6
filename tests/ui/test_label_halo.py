"""Label sprites drawn before numpy is loaded (the wall's first frame) look like the ones numpy draws."""

import pytest

from sandbox.ui import label_halo

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def _pixels(img):
    import numpy as np

    h, w = img.height(), img.width()
    return np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * h).reshape(h, -1, 4)[:, :w].astype(int)


@pytest.mark.parametrize(("text", "px", "bold", "halo", "dpr"), [
    ("麻尾镇", 40, True, 7.0, 1.0),  # a town's name at 4K
    ("12.3%", 32, False, 7.0, 1.0),  # its figure
    ("百泉镇", 20, True, 3.5, 1.0),  # 1080p
    ("百泉镇", 20, True, 3.5, 2.0),  # a high-dpi screen
])
def test_a_sprite_made_with_qpainter_matches_numpy_s_within_one_level(monkeypatch, text, px, bold, halo, dpr):
    with_numpy, at = label_halo.render_line(text, px, bold, "#ffd166", halo, dpr)
    monkeypatch.setattr(label_halo, "numpy_loaded", lambda: False)
    with_qt, at_qt = label_halo.render_line(text, px, bold, "#ffd166", halo, dpr)
    assert (with_qt.size(), with_qt.devicePixelRatio(), at_qt) == (with_numpy.size(), with_numpy.devicePixelRatio(), at)
    a, b = _pixels(with_numpy), _pixels(with_qt)
    assert a[..., 3].max() == 255 and (a[..., 3] > 0).mean() > 0.2  # glyphs and their halo, not a blank
    assert abs(a - b).max() <= 1
