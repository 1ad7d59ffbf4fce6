"""The wall's pixel caches: what a repaint reuses, what a change of data, indicator, year or size
renders again, and that a cached picture always shows the current data (behaviour, never timings)."""

import threading

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from sandbox.ui import map_layer
from sandbox.ui.map_layer import edge_runs
from sandbox.ui.paint_cache import WidgetCache
from sandbox.ui.state import DataError, MapState, RegionMap, RegionSeries
from sandbox.ui.theme import NO_DATA_COLOR, ramp
from tests.api_double import ApiDouble

from .conftest import COUNTY, shown_wall, town_code, village_code

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


def frame(widget) -> QImage:
    return widget.grab().toImage()


def at(img: QImage, p: QPointF) -> str:
    return QColor(img.pixel(p.toPoint())).name()


def class_colour(st: MapState, code: str) -> str:
    c = st.class_of(code)
    return NO_DATA_COLOR if c < 0 else ramp(st.classification.k, st.indicator.higher_is_better)[c]


# -- the map ----------------------------------------------------------------------------------------------

def test_hover_changes_pixels_but_renders_nothing_again(canvas, map_state):
    map_state.show_labels = False
    code = "522726104000"
    centre = canvas.region_center(code)
    before = frame(canvas)
    layer, statics = canvas._layer, canvas.cache_stats["static"]
    base_renders = layer.renders
    map_state.hovered_code = code
    lit = frame(canvas)
    assert QColor(at(lit, centre)).lightness() > QColor(at(before, centre)).lightness()
    # only the hovered region's rectangle differs
    area = map_layer.highlight_rect(layer, canvas.metrics, code).toAlignedRect().adjusted(-1, -1, 1, 1)
    far = QPoint(3, canvas.height() - 3)
    assert not area.contains(far) and lit.pixel(far) == before.pixel(far)
    other = canvas.region_center("522726101000")
    assert at(lit, other) == at(before, other)
    map_state.hovered_code = None
    assert frame(canvas) == before  # back to exactly the static picture
    assert canvas._layer is layer and layer.renders == base_renders
    assert canvas.cache_stats["static"] == statics  # the static picture was reused throughout


def test_a_kept_selection_and_hover_are_painted_once_not_on_every_frame(canvas, map_state):
    """A wall keeps the region it was last drilled from selected (and a touch leaves a region hovered)
    for hours: its settled frames blit the highlight's picture instead of painting it each time."""
    map_state.show_labels = False
    hovered, selected = "522726104000", "522726101000"
    plain = frame(canvas)
    map_state.selected_code, map_state.hovered_code = selected, hovered
    lit = frame(canvas)
    renders = canvas.cache_stats["highlight"]
    assert renders >= 1
    assert frame(canvas) == lit and frame(canvas) == lit  # settled: the same pixels, nothing painted again
    assert canvas.cache_stats["highlight"] == renders
    centre = canvas.region_center(hovered)
    assert QColor(at(lit, centre)).lightness() > QColor(at(plain, centre)).lightness()
    far = QPoint(3, canvas.height() - 3)
    assert lit.pixel(far) == plain.pixel(far)  # nothing outside the highlight moved
    map_state.hovered_code = None  # the hover goes, the selection stays: painted again, once
    only_selected = frame(canvas)
    assert canvas.cache_stats["highlight"] == renders + 1 and at(only_selected, centre) == at(plain, centre)
    map_state.selected_code = None
    assert frame(canvas) == plain


def test_hover_repaints_only_where_the_highlight_is(qtbot, canvas, map_state):
    painted = []
    canvas.update = lambda *a: painted.append(a)  # what the canvas asks Qt to repaint
    map_state.hovered_code = "522726104000"
    assert painted and all(len(a) == 1 for a in painted)  # a rectangle, not the whole widget
    rect = painted[-1][0]
    assert rect.width() < canvas.width() and rect.height() < canvas.height()


def test_an_indicator_change_renders_again_and_the_colours_follow(canvas, map_state):
    map_state.show_labels = False
    frame(canvas)
    statics, layer = canvas.cache_stats["static"], canvas._layer
    map_state.indicator_key = "housing_safe_rate"  # higher is better: the ramp flips
    img = frame(canvas)
    assert canvas.cache_stats["static"] == statics + 1 and canvas._layer is not layer
    for f in map_state.region_map.features:
        assert at(img, canvas.region_center(f.code)) == class_colour(map_state, f.code), f.name


def test_a_new_year_renders_again_and_the_colours_follow(canvas, map_state, make_fc):
    map_state.show_labels = False
    code = "522726101000"  # 2.0% in the fixture: the green class
    assert at(frame(canvas), canvas.region_center(code)) == ramp(6, False)[0]
    statics = canvas.cache_stats["static"]
    values = [32.0, 8.0, None, 14.0, 20.0, 26.0]  # the same regions, another year
    map_state.show(COUNTY, 2017, RegionMap.from_geojson(make_fc(2, 3, values, year=2017)))
    canvas.finish_transition()  # the colours cross-fade; look at where they end
    img = frame(canvas)
    assert canvas.cache_stats["static"] == statics + 1
    assert at(img, canvas.region_center(code)) == class_colour(map_state, code) == ramp(6, False)[-1]


def test_a_resize_renders_at_the_new_size(qtbot, canvas, map_state):
    map_state.show_labels = False
    frame(canvas)
    statics = canvas.cache_stats["static"]
    canvas.resize(700, 500)
    img = frame(canvas)
    assert img.width() == 700 and canvas.cache_stats["static"] == statics + 1
    for f in map_state.region_map.features:
        assert at(img, canvas.region_center(f.code)) == class_colour(map_state, f.code)


def test_labels_are_sprites_rendered_once_per_text(canvas, map_state):
    frame(canvas)
    misses = map_layer.sprite_cache_info()["misses"]
    map_state.hovered_code = "522726104000"
    frame(canvas)
    map_state.hovered_code = None
    frame(canvas)
    map_state.show_labels = False
    map_state.show_labels = True  # laid out again: the same texts
    frame(canvas)
    assert map_layer.sprite_cache_info()["misses"] == misses


def test_a_prepared_level_is_shown_without_rendering_it_again(canvas, map_state, make_fc):
    rm = RegionMap.from_geojson(make_fc(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], year=2016))
    assert canvas.prepare("522726101000", rm)
    assert not canvas.prepare("522726101000", rm)  # already there
    prepared = next(iter(canvas._prepared.values()))
    assert prepared.renders == 1
    map_state.show("522726101000", 2016, rm)
    assert canvas._layer is prepared and prepared.renders == 1


def test_a_prepared_level_is_coloured_once(canvas, map_state, make_fc, monkeypatch):
    from sandbox.ui import map_levels

    ramps: list[int] = []
    real = map_levels.ramp_qcolors
    monkeypatch.setattr(map_levels, "ramp_qcolors", lambda *a: ramps.append(1) or real(*a))
    map_state.show_labels = False  # (the colour at a region's centre, not its label's)
    rm = RegionMap.from_geojson(make_fc(2, 3, [1.0, 2.0, 3.0, 4.5, 5.0, 6.0], year=2016))
    assert canvas.prepare("522726101000", rm)
    assert len(ramps) == 1
    map_state.show("522726101000", 2016, rm)  # the drill: its colours as prepared, not made again
    assert len(ramps) == 1 and canvas._layer is next(iter(canvas._prepared.values()), canvas._layer)
    canvas.finish_transition()  # (the zoom's frames blend the two levels)
    img = frame(canvas)
    for f in rm.features:
        assert at(img, canvas.region_center(f.code)) == class_colour(map_state, f.code)
    map_state.indicator_key = next(k for k in map_state.indicators if k != map_state.indicator_key)
    assert len(ramps) == 2  # another indicator: other colours


def test_a_prepared_level_brings_its_scale_bar_so_its_drill_draws_none(canvas, map_state, make_fc):
    """Issue 19 (tenth round): the scale bar is a picture per level's scale; a level prepared ahead of its
    drill makes its own then, so the drill's frames only blit it."""
    frame(canvas)
    scale = canvas._scale_bar_length()
    rm = RegionMap.from_geojson(make_fc(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], year=2016, size=0.01))  # a town
    assert canvas.prepare("522726101000", rm)
    painted = []
    real = canvas._paint_scale_bar
    canvas._paint_scale_bar = lambda p, *a: (painted.append(a), real(p, *a))
    map_state.show("522726101000", 2016, rm)
    frame(canvas)
    canvas.finish_transition()
    frame(canvas)
    assert painted == [] and canvas._scale_bar_length() != scale


def test_edges_shared_by_two_regions_are_drawn_once_and_get_no_glow():
    left = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    right = [(1, 0), (2, 0), (2, 1), (1, 1), (1, 0)]
    outer, borders = edge_runs([left, right])
    seg = lambda runs: {frozenset(((a), (b))) for pts, closed in runs  # noqa: E731
                        for a, b in zip(pts, pts[1:] + (pts[:1] if closed else []))}
    shared = frozenset(((1, 0), (1, 1)))
    assert shared not in seg(outer) and shared in seg(borders)
    assert len(seg(borders)) == 7 and len(seg(outer)) == 6


# -- the year series ------------------------------------------------------------------------------------

def test_a_series_builds_any_year_from_one_map(make_fc):
    base = RegionMap.from_geojson(make_fc(1, 2, [10.0, 20.0], year=2016))
    codes = [f.code for f in base.features]
    payload = {"code": COUNTY, "years": [2015, 2016], "as_of": "x", "children": {
        codes[0]: {"2015": {"poverty_incidence": 30.0}, "2016": {"poverty_incidence": 10.0}},
        codes[1]: {"2015": {"poverty_incidence": None}, "2016": {"poverty_incidence": 20.0}},
    }}
    s = RegionSeries.from_api(COUNTY, base, payload)
    assert s.years == [2015, 2016] and s.map_for(2016) is base
    m = s.map_for(2015)
    assert [f.value("poverty_incidence") for f in m.features] == [30.0, None]
    assert all(a.polygons is b.polygons for a, b in zip(m.features, base.features))  # geometry shared
    assert sorted(v for v in s.pool("poverty_incidence") if v is not None) == [10.0, 20.0, 30.0]
    with pytest.raises(DataError):
        RegionSeries.from_api(COUNTY, base, {"children": [1, 2]})


# -- the wall -------------------------------------------------------------------------------------------

class _PanelsClient(ApiDouble):
    """The side panels' own client, so the map's calls can be counted alone."""

    def handle_region(self, code, year=None):
        raise LookupError("not needed here")

    def handle_trend(self, code, indicator, from_year=None, to_year=None):
        return {"indicator": indicator, "points": []}


@pytest.fixture
def make_wall(qtbot):
    def make(client, **kw):
        kw.setdefault("region", COUNTY)
        kw.setdefault("panels_client", _PanelsClient())
        kw.setdefault("prefetch", False)
        kw.setdefault("preload", False)
        kw.setdefault("layers", False)  # the map and its panels alone: the layers' legend rows come a turn later
        w = shown_wall(qtbot, client, **kw)
        qtbot.waitUntil(lambda: w.state.has_data and not w.state.loading and not w.canvas.animating, timeout=15000)
        return w
    return make


def test_a_repaint_of_a_settled_wall_renders_nothing_again(qtbot, make_wall, county_client):
    wall = make_wall(county_client, animate=False)
    wall.kpis.finish_animations()
    wall.grab()
    effects = [w.graphicsEffect() for w in (wall.header, wall.breadcrumb, wall.timeline, wall.indicator_picker,
                                            wall.legend, wall.summary, wall.fund_panel)]
    counts = ([e.renders for e in effects], wall.canvas.cache_stats["static"],
              [c.pixels.renders for c in wall.kpis.cards.values()])
    first = wall.grab().toImage()
    assert wall.grab().toImage() == first
    assert counts == ([e.renders for e in effects], wall.canvas.cache_stats["static"],
                      [c.pixels.renders for c in wall.kpis.cards.values()])


def test_the_backdrop_keeps_no_window_sized_picture_and_cards_show_it_seamlessly(qtbot, make_wall, county_client):
    """Issue 19 (the start): the backdrop is painted where exposed, not kept as a picture of the whole
    window (at 4K a fresh 33 MB image made, filled and blitted in the first frame); a card that paints
    it under itself shows the very pixels the backdrop paints there."""
    wall = make_wall(county_client, animate=False)
    wall.kpis.finish_animations()
    wall.grab()
    backdrop = wall._backdrop
    kept = [v for v in vars(backdrop).values() if isinstance(v, (QImage, WidgetCache))]
    assert kept == []
    # what the backdrop paints itself, the covered children hidden from it
    covered, backdrop.covered = backdrop.covered, []
    try:
        alone = QImage(backdrop.size(), QImage.Format.Format_RGB32)
        alone.fill(0)
        p = QPainter(alone)
        backdrop._paint(p, backdrop.rect())
        p.end()
    finally:
        backdrop.covered = covered
    card = next(iter(wall.kpis.cards.values()))
    under = QImage(card.size(), QImage.Format.Format_RGB32)
    under.fill(0)
    p = QPainter(under)
    backdrop.paint_under(p, card)
    p.end()
    o = card.mapTo(backdrop, QPoint(0, 0))
    assert under == alone.copy(o.x(), o.y(), card.width(), card.height())
    assert QColor(under.pixel(0, under.height() - 1)) != QColor(under.pixel(0, 0)) or card.height() < 4


class _CountingPainter:
    """A QPainter stand-in that counts the pixels each fill covers, then fills them."""

    def __init__(self, p: QPainter):
        self.p, self.filled = p, 0

    def fillRect(self, rect, brush) -> None:  # noqa: N802 - QPainter's name
        r = rect.toRect() if hasattr(rect, "toRect") else rect
        self.filled += max(r.width(), 0) * max(r.height(), 0)
        self.p.fillRect(rect, brush)

    def __getattr__(self, name):
        return getattr(self.p, name)


def test_the_backdrop_fills_each_pixel_once(qtbot, make_wall, county_client):
    """Issue 19 (seventh round): the navy went under the header's band and the body's gradient too, a second
    fill of nearly every exposed pixel in every frame (≈ 1.5 ms of a 4K repaint); now each pixel is filled
    once (the header's 2-px accent rule over its band aside), and the pixels are the same."""
    wall = make_wall(county_client, animate=False)
    backdrop = wall._backdrop
    rect = backdrop.rect()
    img = QImage(backdrop.size(), QImage.Format.Format_RGB32)
    img.fill(0)
    p = QPainter(img)
    counting = _CountingPainter(p)
    backdrop._paint(counting, rect)
    p.end()
    rule = backdrop.header.width() * backdrop.metrics.px(2)
    assert rect.width() * rect.height() <= counting.filled <= rect.width() * rect.height() + rule
    body = backdrop.body.geometry()
    assert QColor(img.pixel(body.center())) not in (QColor(0, 0, 0), QColor(img.pixel(0, 0)))


def test_a_panel_painted_from_a_snapshot_shows_its_new_text(qtbot, make_wall, county_client):
    wall = make_wall(county_client, animate=False)
    effect = wall.summary.graphicsEffect()
    before = wall.side.grab().toImage()
    renders = effect.renders
    wall.summary.heading.setText("另一个 区域概况")  # no event-loop turn in between
    after = wall.side.grab().toImage()
    assert after != before and effect.renders == renders + 1
    wall.summary.heading.setText("独山县 区域概况")
    assert wall.side.grab().toImage() == before


def test_a_hidden_label_is_not_part_of_a_snapshot(qtbot, make_wall, county_client):
    """What a hidden child last said or where it last was does not make a panel's picture new (the
    path keeps hidden crumbs for reuse: their old texts would make each level's picture differ)."""
    wall = make_wall(county_client, animate=False)
    effect = wall.summary.graphicsEffect()
    wall.summary.heading.hide()
    shown = wall.side.grab().toImage()
    renders = effect.renders
    wall.summary.heading.setText("另一个 区域概况")
    wall.summary.heading.setGeometry(1, 2, 30, 40)
    assert wall.side.grab().toImage() == shown and effect.renders == renders
    wall.summary.heading.show()
    assert wall.side.grab().toImage() != shown and effect.renders == renders + 1


def test_a_drill_makes_each_panel_image_once_and_complete(qtbot, make_wall, county_client):
    """The breadcrumb and legend are laid out before the drill's first frame: that frame shows the whole
    path (not a crumb still hidden until the next turn) and no panel is made again a turn later."""
    wall = make_wall(county_client)
    effects = {"breadcrumb": wall.breadcrumb.graphicsEffect(), "legend": wall.legend.graphicsEffect(),
               "picker": wall.indicator_picker.graphicsEffect()}
    before = {k: e.renders for k, e in effects.items()}
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.region_center(town_code(0)).toPoint())
    wall.grab()  # the drill's first frame, before any event-loop turn
    crumbs = wall.breadcrumb.crumb_buttons()
    assert [b.text() for b in crumbs] == ["独山县", "百泉镇"]
    assert all(b.isVisible() and b.width() >= b.sizeHint().width() for b in crumbs)
    first = {k: e.renders - before[k] for k, e in effects.items()}
    assert first == {"breadcrumb": 1, "legend": 1, "picker": 0}
    qtbot.waitUntil(lambda: not wall.canvas.animating, timeout=10000)
    wall.grab()
    assert {k: e.renders - before[k] for k, e in effects.items()} == first


def test_going_back_a_level_blits_the_panels_of_the_level_before(qtbot, make_wall, county_client):
    """Header and legend keep the pictures of the last levels: Esc back to the county makes them
    none anew, and they are the county's pictures (the same pixels as before the drill)."""
    wall = make_wall(county_client, animate=False)
    panels = {"header": wall.header, "breadcrumb": wall.breadcrumb, "legend": wall.legend}
    county = {k: w.grab().toImage() for k, w in panels.items()}
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.region_center(town_code(0)).toPoint())
    town = {k: w.grab().toImage() for k, w in panels.items()}
    assert all(town[k] != county[k] for k in panels)
    renders = {k: w.graphicsEffect().renders for k, w in panels.items()}
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert wall.state.map.region_code == COUNTY
    assert {k: w.grab().toImage() for k, w in panels.items()} == county
    made = {k: w.graphicsEffect().renders - renders[k] for k, w in panels.items()}
    # the path keeps the town's crumb hidden for reuse: a state of its own, made once
    assert made == {"header": 0, "breadcrumb": 1, "legend": 0}


def test_the_first_frame_of_a_drill_already_shows_the_new_level(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    town = town_code(0)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        pos = wall.canvas.region_center(town).toPoint()
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=pos)
    canvas = wall.canvas
    assert canvas.animating
    canvas._anim.pause()  # hold the zoom at its first frame
    canvas._progress = 0.0
    img = frame(canvas)
    view = canvas._zoom.new_view(0.0)  # where the villages are drawn now: inside the town
    for j in range(4):
        code = village_code(0, j)
        c = canvas.region_center(code)
        x, y = view.apply(c.x(), c.y())
        assert at(img, QPointF(x, y)) == class_colour(wall.state.map, code)
    canvas.finish_transition()


def test_the_first_frame_of_a_drill_is_the_level_left_as_it_was_with_the_new_one_in_its_region(
        qtbot, make_wall, county_client):
    """The zoom starts from the picture that was on screen (one blit): the level left is not drawn again,
    only the new level inside the clicked town, and the map's furniture is the new level's alone."""
    wall = make_wall(county_client)
    canvas, town = wall.canvas, town_code(0)
    before = frame(canvas)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.region_center(town).toPoint())
    assert canvas.animating
    canvas._anim.pause()  # hold the zoom at its first frame
    canvas._progress = 0.0
    drawn = []
    paint_cached = canvas._paint_cached
    canvas._paint_cached = lambda p, layer, *a, **k: (drawn.append(layer), paint_cached(p, layer, *a, **k))
    first = frame(canvas)
    assert drawn == [canvas._layer]  # the new level only: the level left is its picture
    elsewhere = canvas._old.paths[town_code(1)].boundingRect().center()  # another town: as it was
    assert at(first, elsewhere) == at(before, elsewhere)
    view = canvas._zoom.new_view(0.0)
    c = canvas.region_center(village_code(0, 0))
    assert at(first, QPointF(*view.apply(c.x(), c.y()))) == class_colour(wall.state.map, village_code(0, 0))
    left, canvas._left_image = canvas._left_image, None  # the same frame drawn from both levels' pixels
    drawn.clear()
    redrawn = frame(canvas)
    assert canvas._old in drawn
    chrome = [QRectF(r.x, r.y, r.w, r.h) for r in (canvas._north_arrow_rect(), canvas._scale_bar_rect())]
    for r in [*chrome, canvas.demo_mark_rect() or QRectF()]:  # the scale bar, north arrow and demo mark: the new level's, once
        r = r.toAlignedRect()
        assert first.copy(r) == redrawn.copy(r)
    assert left is not None
    canvas.finish_transition()
    assert canvas._left_image is None  # not kept past the zoom


def test_opening_a_village_never_grows_the_window(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    width = wall.width()
    town = town_code(0)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.drill(town)
    qtbot.waitUntil(lambda: not wall.canvas.animating, timeout=5000)
    for j in range(2):
        with qtbot.waitSignal(wall.villageApplied, timeout=10000):
            wall.open_village(village_code(0, j))
        assert wall.village_panel.isVisible() and wall.width() == width
        wall.close_village()
        assert wall.width() == width


def test_a_drill_into_a_town_is_one_round_trip_and_a_new_year_costs_the_region(qtbot, make_wall, county_client):
    wall = make_wall(county_client)
    county_client.calls.clear()
    town = town_code(1)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.drill(town)
    assert sorted(c[0] for c in county_client.calls if c[1:2] == (town,)) == \
        ["children_geojson", "children_series", "region"]
    assert threading.main_thread().name not in county_client.threads
    qtbot.waitUntil(lambda: not wall.canvas.animating, timeout=5000)
    county_client.calls.clear()
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        wall.set_year(2016)
    assert [c for c in county_client.calls if c[1:2] == (town,)] == [("region", town, 2016)]


def test_theme_colours_are_the_palette_s():
    from sandbox.ui import palette, theme

    assert theme.Colors is palette.Colors and theme.ramp is palette.ramp
    assert theme.NO_DATA_COLOR == palette.NO_DATA_COLOR and theme.SINGLE_CLASS_COLOR == palette.SINGLE_CLASS_COLOR


def _max_difference(a: QImage, b: QImage) -> int:
    a, b = a.convertToFormat(QImage.Format.Format_RGB32), b.convertToFormat(QImage.Format.Format_RGB32)
    worst = 0
    for y in range(a.height()):
        for x in range(a.width()):
            pa, pb = a.pixelColor(x, y), b.pixelColor(x, y)
            worst = max(worst, abs(pa.red() - pb.red()), abs(pa.green() - pb.green()), abs(pa.blue() - pb.blue()))
    return worst


def test_the_maps_furniture_is_painted_once_not_in_every_frame_of_a_drill(qtbot, make_wall, county_client):
    """Issue 19 (tenth round): every frame of a drill drew the north arrow, the scale bar and the demo
    mark afresh (a polygon, lines, texts); they are pictures now, painted once per size and scale and
    blitted by every frame, and look as they did painted in place."""
    wall = make_wall(county_client)
    canvas, town = wall.canvas, town_code(0)
    with qtbot.waitSignal(wall.dataApplied, timeout=10000):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.region_center(town).toPoint())
    assert canvas.animating
    canvas._anim.pause()
    canvas._chrome.clear()
    painted = []
    for name in ("_paint_north_arrow", "_paint_scale_bar", "_paint_demo_mark"):
        real = getattr(canvas, name)
        setattr(canvas, name, lambda p, *a, real=real, name=name: (painted.append(name), real(p, *a)))
    frames = []
    for progress in (0.0, 0.3, 0.6):  # the zoom's first frame, then two of its moving ones
        canvas._progress = progress
        frames.append(frame(canvas))
    assert sorted(painted) == ["_paint_demo_mark", "_paint_north_arrow", "_paint_scale_bar"]  # once each
    canvas._paint_chrome = lambda p: (canvas._paint_north_arrow(p), canvas._paint_scale_bar(p),
                                      canvas._paint_demo_mark(p))  # painted in place, as before
    in_place = frame(canvas)
    for pos, img in canvas._chrome_pictures(1.0):
        r = img.rect().translated(pos.toPoint())
        assert _max_difference(frames[-1].copy(r), in_place.copy(r)) <= 2
    canvas.finish_transition()
