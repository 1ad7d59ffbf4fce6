"""The map's chips (风险, 督办, 走访) never cover each other, a label or a project's/camera's marker: the
lower-priority chip moves beside its label or gives way, and its region then shows "+N"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter, QPainterPath

from sandbox.ui.layers.base import MapView
from sandbox.ui.layers.checkins import CheckinLayer
from sandbox.ui.layers.chips import ChipPlacer
from sandbox.ui.layers.data import ProjectPoint
from sandbox.ui.layers.projects import ProjectsLayer
from sandbox.ui.layers.risk import RiskLayer
from sandbox.ui.risk import RiskBoard, RiskCounts
from sandbox.ui.theme import metrics_for_height

pytestmark = pytest.mark.qt

COUNTY = "522726000000"
# Three towns in a row, each a 300 × 300 px square; their labels sit 60 px apart vertically at the
# squares' centres. A's and B's labels are close side by side: their chips cannot both sit on one row.
TOWNS = {f"5227261{i:02d}000": (i * 300.0, 0.0) for i in range(3)}
A, B, C = list(TOWNS)


def _view(width: int = 900, height: int = 300, *, crowded: bool = True) -> MapView:
    paths, labels = {}, {}
    for code, (x, y) in TOWNS.items():
        path = QPainterPath()
        path.addRect(QRectF(x, y, 300, 300))
        paths[code] = path
        labels[code] = QRectF(x + 110, 140, 80, 22)
    if crowded:  # A's and B's labels nearly touch across their border
        labels[A] = QRectF(225, 140, 70, 22)
        labels[B] = QRectF(305, 140, 70, 22)
    return MapView(COUNTY, width, height, metrics_for_height(1080), lambda lon, lat: QPointF(lon, lat),
                   label_rects=labels, paths=paths, names={c: c for c in TOWNS}, bounds=QRectF(0, 0, width, height),
                   child_level="town", key=("test", width, height, crowded))


def _risk(counts: dict[str, int]) -> RiskLayer:
    layer = RiskLayer()
    layer.visible = True
    layer.set_board(RiskBoard(COUNTY, "独山县", (), RiskCounts(sum(counts.values())),
                              {c: RiskCounts(n) for c, n in counts.items()}, {}))
    return layer


def _checkins(rates: dict[str, float]) -> CheckinLayer:
    layer = CheckinLayer()
    layer.set_data(COUNTY, [], {"total": {"checkins": 40},
                                "children": [{"code": c, "visit_rate": r} for c, r in rates.items()]})
    return layer


def _projects(at: list[tuple[float, float]]) -> ProjectsLayer:
    layer = ProjectsLayer()
    layer.set_data(COUNTY, [ProjectPoint(i, f"项目{i}", "tea", "茶叶", A, x, y, 100.0, "in_progress", "实施中", 50.0)
                            for i, (x, y) in enumerate(at)])
    return layer


def _placed(view, *layers):
    for layer in layers:
        layer.ensure_layout(view)
    return {layer.name: layer.chips() for layer in layers if hasattr(layer, "chips")}


def _no_overlaps(view, chips, markers=()):
    boxes = [b for b, _ in chips]
    for i, a in enumerate(boxes):
        assert QRectF(0, 0, view.width, view.height).contains(a)
        assert not any(a.intersects(b) for b in boxes[i + 1:]), chips
        assert not any(a.intersects(lr) for lr in view.label_rects.values()), chips
        assert not any(a.intersects(m) for m in markers), chips


def _shared(*layers, markers=()):
    placer = ChipPlacer()
    for layer in layers:
        placer.add_chips(layer)
    placer.add_markers(*markers)
    return placer


def test_chips_of_two_layers_never_cover_each_other(qapp):
    view = _view(crowded=False)
    risk, visits = _risk({A: 3, B: 12, C: 1}), _checkins({A: 95.0, B: 40.0, C: 70.0})
    _shared(risk, visits)
    chips = _placed(view, risk, visits)
    assert len(chips["risk"]) == 3 and len(chips["checkins"]) == 3  # room for all: each its own side
    _no_overlaps(view, chips["risk"] + chips["checkins"])
    for (box, _), code in zip(sorted(chips["risk"], key=lambda c: c[0].x()), TOWNS):
        assert box.bottom() <= view.label_rects[code].top()  # 风险 above the name
    for (box, _), code in zip(sorted(chips["checkins"], key=lambda c: c[0].x()), TOWNS):
        assert box.top() >= view.label_rects[code].bottom()  # 走访 below it


def test_crowded_chips_move_aside_or_give_way_with_a_count(qapp):
    """A's and B's labels nearly touch: their chips cannot sit side by side over them."""
    view = _view(width=900, height=300)
    risk, visits = _risk({A: 5, B: 12}), _checkins({A: 80.0, B: 40.0, C: 99.0})
    placer = _shared(risk, visits)
    chips = _placed(view, risk, visits)
    everything = chips["risk"] + chips["checkins"]
    _no_overlaps(view, everything)
    texts = [t for _, t in everything]
    # every chip is on the map, or counted in a "+N" of its region
    shown = sum(1 for t in texts if not t.startswith("+"))
    more = sum(int(t[1:]) for t in texts if t.startswith("+"))
    assert shown + more == 5 and more == placer.dropped
    # the higher priority went first: both 风险 chips are shown
    assert sorted(t for t in texts if t.startswith("线索")) == ["线索 12", "线索 5"]
    # a chip moved aside stays inside its own region (it says whose it is)
    of = {"线索 5": A, "线索 12": B}
    for box, text in chips["risk"]:
        assert view.paths[of[text]].contains(box.center()), text


def test_a_project_marker_over_a_chips_place_moves_the_chip(qapp):
    view = _view(crowded=False)
    lr = view.label_rects[A]
    above = QPointF(lr.center().x(), lr.top() - 12)  # exactly where A's 风险 chip goes
    below = QPointF(lr.center().x(), lr.bottom() + 12)  # and where its 走访 chip goes
    risk, visits, projects = _risk({A: 4}), _checkins({A: 50.0}), _projects([(above.x(), above.y()),
                                                                             (below.x(), below.y())])
    projects.ensure_layout(view)
    markers = projects.obstacles()
    assert len(markers) == 2 and markers[0].contains(above)
    _shared(risk, visits, markers=(projects,))
    chips = _placed(view, risk, visits)
    _no_overlaps(view, chips["risk"] + chips["checkins"], markers)
    assert [t for _, t in chips["risk"]] == ["线索 4"]  # moved, not lost: room to the side of the label
    assert [t for _, t in chips["checkins"]] == ["走访 50%"]


def test_without_room_for_a_chip_its_region_shows_plus_n(qapp):
    """Markers all around A's and B's labels: no chip of theirs fits; a small "+N" does, left of A's name."""
    view = _view(width=900, height=300, crowded=True)
    spots = [(x, y) for x in range(180, 430, 14) for y in (112, 124, 176, 188, 200)] + \
            [(x, 151) for x in (160, 395, 410, 430)]
    risk, visits, projects = _risk({A: 2, B: 3}), _checkins({A: 70.0, B: 60.0}), _projects(spots)
    projects.radius, projects.ring = 6.0, 2.0
    placer = _shared(risk, visits, markers=(projects,))
    chips = _placed(view, risk, visits)
    everything = chips["risk"] + chips["checkins"]
    markers = projects.obstacles()
    _no_overlaps(view, everything, markers)
    texts = [t for _, t in everything]
    assert not [t for t in texts if not t.startswith("+")]  # no chip found room
    assert placer.dropped == 4
    badge = [(box, t) for box, t in everything if t == "+2"]  # A's 风险 and 走访 chips, counted
    assert len(badge) == 1 and view.paths[A].contains(badge[0][0].center())
    assert badge[0][0].right() <= view.label_rects[A].left()


def test_the_shared_placement_paints_each_layers_chips(qapp):
    view = _view(crowded=False)
    risk, visits = _risk({A: 3}), _checkins({A: 30.0})
    _shared(risk, visits)
    img = QImage(view.width, view.height, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = QPainter(img)
    try:
        for layer in (risk, visits):
            layer.ensure_layout(view)
            layer.paint_static(p, view)
    finally:
        p.end()
    for box, _ in risk.chips() + visits.chips():
        assert img.pixelColor(box.center().toPoint()).alpha() > 0  # a chip drawn there


def test_on_the_canvas_the_placer_paints_every_chip_over_the_layers(qapp):
    """On the wall the chips go over flow lines and check-in dots: the placer paints them, the layers do not."""
    view = _view(crowded=False)
    risk, visits = _risk({A: 3}), _checkins({A: 30.0})
    placer = _shared(risk, visits)
    placer.on_canvas = True
    assert placer.active(view)
    for layer in (risk, visits):
        layer.ensure_layout(view)
    boxes = [b for b, _ in risk.chips() + visits.chips()]
    alone = QImage(view.width, view.height, QImage.Format.Format_ARGB32_Premultiplied)
    alone.fill(0)
    p = QPainter(alone)
    try:
        visits.paint_static(p, view)  # no chip of its own now
    finally:
        p.end()
    assert all(alone.pixelColor(b.center().toPoint()).alpha() == 0 for b in boxes)
    img = QImage(view.width, view.height, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = QPainter(img)
    try:
        placer.paint_static(p, view)
    finally:
        p.end()
    assert len(boxes) == 2 and all(img.pixelColor(b.center().toPoint()).alpha() > 0 for b in boxes)


def test_a_chip_never_goes_under_the_maps_legend(qapp):
    """The legend box in the map's corner (the wall's canvas reserves it) is an obstacle like a marker: a chip
    whose place beside its label is under it moves, and moves again when the legend does."""
    view = _view(crowded=False)
    lr = view.label_rects[C]
    legend = QRectF(lr.left() - 40, lr.top() - 60, 200, 56)  # over the place of C's 风险 chip, above its name
    risk = _risk({C: 7})
    placer = _shared(risk)
    chips = _placed(view, risk)["risk"]
    assert len(chips) == 1 and chips[0][0].intersects(legend)  # without the legend known, the chip goes there
    placer.keep_clear = lambda: [legend]
    chips = _placed(view, risk)["risk"]
    assert [t for _, t in chips] == ["线索 7"] and not chips[0][0].intersects(legend)
    _no_overlaps(view, chips, [legend])
    placer.keep_clear = lambda: [legend.translated(0, 200)]  # the legend moved away: the chip comes back
    assert _placed(view, risk)["risk"][0][0].intersects(legend)

