"""The live layers' legend explains every glyph on the map: all industries, the check-in rings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter

from sandbox.ui.layers.base import MapView
from sandbox.ui.layers.checkins import POINTS_AT_MOST, CheckinLayer
from sandbox.ui.layers.data import ProjectPoint
from sandbox.ui.layers.legend import legend_rect, paint_legend
from sandbox.ui.layers.projects import INDUSTRY_STYLE, ProjectsLayer
from sandbox.ui.theme import metrics_for_height

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

ZH = {"dendrobium": "铁皮石斛", "tea": "茶叶", "livestock": "生态畜牧", "vegetables": "蔬菜", "fruit": "精品水果",
      "mushrooms": "食用菌", "herbs": "中药材", "aquaculture": "水产养殖", "solar": "光伏扶贫", "tourism": "乡村旅游",
      "ecommerce": "电商扶贫"}


class Recorder(QPainter):
    """A painter that notes every text it draws, and where."""

    def __init__(self, device):
        super().__init__(device)
        self.texts: list[tuple[str, QRectF]] = []

    def drawText(self, *args):  # noqa: N802 - Qt's name
        if len(args) >= 3 and isinstance(args[0], QRectF):
            self.texts.append((str(args[2]), QRectF(args[0])))
        return super().drawText(*args)


def _paint(overlays, height: int = 1080):
    m = metrics_for_height(height)
    w, h = int(height * 16 / 9 * 0.6), int(height * 0.7)
    view = MapView("522726000000", w, h, m, project=lambda lon, lat: QPointF(lon, lat))
    img = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = Recorder(img)
    paint_legend(p, view, overlays)
    p.end()
    return p.texts, legend_rect(w, h, m)


@pytest.mark.parametrize("height", [1080, 2160])
def test_every_industry_on_the_map_is_in_the_legend(height):
    layer = ProjectsLayer()
    layer.set_data("522726000000", [ProjectPoint(i, f"项目{i}", key, ZH[key], "522726103001", 107.5, 25.8, 1e6,
                                                 "in_progress", "实施中", 50.0)
                                    for i, key in enumerate(INDUSTRY_STYLE)])
    texts, box = _paint([layer], height)
    glyphs = {t for t, _ in texts}
    missing = [g for _, g in INDUSTRY_STYLE.values() if g not in glyphs]
    assert not missing, f"glyphs on the map the legend does not explain: {missing}"
    assert "环=进度" in glyphs
    for text, r in texts:  # and all of it inside the legend's box
        assert box.adjusted(-1, -1, 1, 1).contains(r.center()), (text, r, box)


def test_dense_checkins_have_their_rings_explained():
    import datetime as dt

    from sandbox.ui.layers.data import CheckinPoint

    layer = CheckinLayer()
    at = dt.datetime(2017, 11, 1, tzinfo=dt.UTC)
    layer.set_data("522726000000", [CheckinPoint(i, at, 107.5, 25.8, f"522726103{i % 19:03d}", i % 5 != 0)
                                    for i in range(POINTS_AT_MOST + 1)], {})
    assert layer.dense
    texts, _ = _paint([layer])
    assert any("圈=各村签到数" in t for t, _ in texts)
