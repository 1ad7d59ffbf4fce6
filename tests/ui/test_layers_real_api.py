"""The live map layers on the real API (embedded server): project markers and card, fund chain and its
anomalies, check-ins, and a check-in POSTed to the server arriving through GET /events as a point and a pulse."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from sqlalchemy import func, select

from sandbox.client.api import ApiClient
from sandbox.ui.layers.checkins import PULSE_S
from sandbox.ui.layers.projects import INDUSTRY_STYLE
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

COUNTY = "522726000000"
JISHENG = "济生铁皮石斛产业园"


@pytest.fixture(scope="module")
def layers_api(demo_engine):
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    server.server.config.app.state.sse_heartbeat_s = 1.0  # a dead stream shows up fast in tests
    yield server, {role: new_token(demo_engine, role) for role in ("display", "admin")}
    server.stop()


@pytest.fixture
def wall(qtbot, layers_api):
    server, tokens = layers_api
    client = ApiClient(server.url, tokens["display"])
    w = shown_wall(qtbot, client, region=COUNTY, animate=False, prefetch=False, preload=False)
    qtbot.waitUntil(lambda: w.state.has_data and not w.state.loading, timeout=60000)
    qtbot.waitUntil(lambda: w.layers is not None and w.layers.region == w.state.map.region_code, timeout=60000)
    yield w
    w.close()
    client.close()


def _grab(wall):
    wall.state.map.hovered_code = None
    return wall.canvas.grab().toImage()


def _near(a: QColor, b: QColor, tol: int = 40) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tol


def _free_of_labels(wall, pos: QPointF, reach: float) -> bool:
    v = wall.canvas.view()
    box = (pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach)
    r = QRectF(*box)
    return not any(r.intersects(lr) for lr in v.label_rects.values()) and not any(
        r.intersects(g) for g, _ in wall.flow_layer.glyphs())


def test_project_markers_are_painted_in_their_industry_colour(wall):
    layer = wall.projects_layer
    assert len(layer.projects) >= 30 and JISHENG in {p.name for p in layer.projects}
    img = _grab(wall)
    checked = 0
    for proj in layer.projects:
        pos = layer.position(proj.id)
        if not _free_of_labels(wall, pos, layer.reach() + 2) or any(
                q.id != proj.id and (layer.position(q.id) - pos).manhattanLength() < 3 * layer.reach()
                for q in layer.projects):
            continue  # under a label (labels stay on top) or next to another marker
        fill = QColor(INDUSTRY_STYLE[proj.industry][0])
        # the disc's rim: inside the fill, outside the glyph
        hits = sum(_near(QColor(img.pixel((pos + QPointF(dx, dy) * layer.radius * 0.8).toPoint())), fill)
                   for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (0.7, 0.7), (-0.7, -0.7)))
        assert hits >= 3, f"{proj.name}: marker not in {fill.name()}"
        checked += 1
    assert checked >= 5


def test_clicking_a_marker_opens_the_project_card(qtbot, wall):
    layer = wall.projects_layer
    proj = next(p for p in layer.projects if p.name == JISHENG)
    pos = layer.position(proj.id).toPoint()
    qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=pos)
    card = wall.project_card
    assert card.isVisible() and card.title.text() == JISHENG
    qtbot.waitUntil(lambda: card.detail is not None, timeout=30000)
    f = card.field_texts()
    assert f["budget"] == "预算 1,200.0 万元"
    assert f["stage"] == "handed_over" and "移交" in f["progress"] and "100%" in f["progress"]
    assert "铁皮石斛" in f["subtitle"]
    assert f["beneficiaries"].startswith(f"带动贫困户 {proj.beneficiaries} 户")
    assert "3 路" in f["cameras"]
    assert len(card.history.points) >= 5 and card.history.points[-1][1] == 100.0
    assert card.funds.amounts()["allocated"] == pytest.approx(12_000_000, abs=1)
    assert card.camera_slot.count() >= 1
    assert layer.selected == proj.id
    # the slot the camera tiles go in
    from PySide6.QtWidgets import QLabel

    tile = QLabel("camera")
    card.set_camera_widget(tile)
    assert card.camera_slot.indexOf(tile) >= 0 and not card.camera_placeholder.isVisible()
    wall.go_up()  # Esc closes the card first, the map stays
    assert not card.isVisible() and layer.selected is None and wall.state.map.region_code == COUNTY


def test_drill_point_is_free_of_markers_and_drills(qtbot, wall):
    """A region whose label point lies under a project marker: its drill point is inside the region and
    off every marker, and a click there drills instead of opening a card."""
    canvas = wall.canvas
    covered = [c["code"] for c in wall.state.region["children"]
               if canvas.overlay_at(canvas.region_center(c["code"])) is not None]
    assert covered, "no town's label point is under a marker: the test needs a layout with one"
    code = covered[0]
    pos = canvas.drill_point(code)
    assert canvas.region_at(pos) == code and canvas.overlay_at(pos) is None
    with qtbot.waitSignal(wall.dataApplied, timeout=60000):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos.toPoint())
    assert wall.state.map.region_code == code and not wall.project_card.isVisible()


def test_fund_chain_reconciles_with_the_payments_table(wall, demo_engine):
    from sandbox.store.models import FundAllocation, FundPayment

    with demo_engine.connect() as conn:
        paid = conn.scalar(select(func.sum(FundPayment.amount)).join(
            FundAllocation, FundAllocation.id == FundPayment.allocation_id).where(FundAllocation.year <= 2020))
        arrived, allocated = conn.execute(select(func.sum(FundAllocation.arrived), func.sum(FundAllocation.allocated))
                                          .where(FundAllocation.year <= 2020)).one()
    shown = wall.fund_panel.bars.amounts()
    assert shown["paid"] == pytest.approx(paid, abs=0.01)
    assert shown["arrived"] == pytest.approx(arrived, abs=0.01)
    assert shown["allocated"] == pytest.approx(allocated, abs=0.01)
    # cumulative through the year, and said so: the KPI strip's rate is the year's alone
    assert wall.fund_panel.rates.text().startswith(f"累计到位率 {100 * arrived / allocated:.1f}%")
    assert wall.kpis.cards["fund_arrival_rate"].figure.label == "当年资金到位率"
    # the flows: one per town, their amounts add up to the county's
    flows = wall.flow_layer.flows
    assert len(flows) == 8 and sum(f.amount for f in flows) == pytest.approx(allocated, abs=1)
    assert wall.canvas._tick.isActive()  # flows animate while the layer is on


def test_flow_dots_ride_their_curves_and_move_each_phase(wall):
    """The dots of every animation phase sit on a flow's curve (within half a pixel of Qt's own
    arc-length point), one dot spacing apart, and shift along the curve from phase to phase."""
    from sandbox.ui.layers.funds import PHASES, _arc_sampler

    layer = wall.flow_layer
    flow = max(layer.flows, key=lambda f: f.path.length())
    at = _arc_sampler(flow.path)
    for s in range(0, int(flow.path.length()), 7):
        q = flow.path.pointAtPercent(flow.path.percentAtLength(s))
        x, y = at(s)
        assert abs(q.x() - x) < 0.5 and abs(q.y() - y) < 0.5, s
    first, later = layer._frame(0), layer._frame(PHASES // 2)
    assert len(first) >= len(layer.flows) and first != later
    assert layer._frame(0) is first  # made once per layout


def test_the_fund_panel_snapshot_follows_its_bars(qtbot, wall):
    """The fund chain's bars are painted, not labels: their amounts are part of the panel's snapshot
    state, so new amounts under the same texts are never shown from an older (kept) picture."""
    panel, bars = wall.fund_panel, wall.fund_panel.bars
    assert panel.isVisible() and bars.height() > 20
    steps = [dict(s) for s in bars.steps]
    first = panel.grab().toImage()
    renders = panel.graphicsEffect().renders
    bars.set_steps([dict(s, amount=float(s.get("amount") or 0) / 3) if i else s for i, s in enumerate(steps)])
    assert panel.grab().toImage() != first and panel.graphicsEffect().renders == renders + 1
    bars.set_steps(steps)
    assert panel.grab().toImage() == first


def test_the_planted_mismatches_are_flagged_on_the_map_and_explained(qtbot, wall):
    kinds = {a["kind"] for a in wall.layers.anomalies()}
    assert kinds == {"overpaid", "idle", "paid_no_progress"}
    title = wall.fund_panel.anomaly_title.text()
    assert "支付超过到位资金" in title and "闲置" in title and "零进度" in title
    # the worst one is explained from the start
    assert "超出" in wall.fund_panel.explanation.text()
    glyphs = wall.flow_layer.glyphs()
    towns = {a["region_code"][:9] + "000" for a in wall.layers.anomalies()}
    assert {info["target"] for _, info in glyphs} == towns
    # red triangles where the chain does not reconcile
    img = _grab(wall)
    box, info = glyphs[0]
    c = box.center() + QPointF(0, box.height() * 0.3)
    assert any(_near(QColor(img.pixel((c + QPointF(dx, 0)).toPoint())), QColor("#ff4d4f"), 60) for dx in (-3, 3))
    # clicking one explains that town's anomalies in the panel
    overpaid = next(a for a in wall.layers.anomalies() if a["kind"] == "overpaid")
    box, info = next((b, i) for b, i in glyphs if i["target"][:9] == overpaid["region_code"][:9])
    qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert overpaid["explanation_zh"] in wall.fund_panel.explanation_full  # shown cut with "…" if no room
    assert wall.canvas.note() and "资金链异常" in wall.canvas.note()
    # the layer off: no glyphs drawn, no panel, no animation
    statics = wall.canvas.cache_stats["static"]
    wall.set_layer_visible("funds", False)
    assert not wall.fund_panel.isVisible() and not wall.layer_bar.is_on("funds")
    img = _grab(wall)
    assert not _near(QColor(img.pixel(box.center().toPoint())), QColor("#ff4d4f"), 60)
    assert not wall.canvas._tick.isActive()
    assert wall.canvas.cache_stats["static"] == statics  # the choropleth's cache was never invalidated


def test_checkins_of_the_last_30_days_and_visit_rates(wall):
    layer = wall.checkin_layer
    start, end = wall.layers.window
    assert end == dt.datetime(2021, 1, 1, tzinfo=end.tzinfo) and (end - start).days == 30
    assert layer.points and all(start <= c.at < end for c in layer.points)
    rates = layer.visit_rates()
    assert set(rates) == {f.code for f in wall.state.map.region_map.features}
    assert wall.layers.visits["month"] == "2020-12"
    assert any(text.startswith("走访 ") for _, text in layer.chips())
    # the legend's box is where no chip goes (an obstacle to their placement, as a marker is)
    legend = wall.canvas.legend_rect()
    assert legend in wall.layers_ctl.chips.keep_clear()
    assert not any(box.intersects(legend) for box, _ in layer.chips())


def test_a_checkin_posted_to_the_server_arrives_as_a_point_and_a_pulse(qtbot, wall, layers_api, demo_engine):
    from sandbox.store.checkins import CHINA_TZ, active_pairs
    from sandbox.store.db import session_factory

    server, tokens = layers_api
    qtbot.waitUntil(lambda: wall.live is not None and wall.live.connected, timeout=30000)
    from sandbox.domain.masking import coarse_point

    # A household whose point (as the display role gets it, to 0.01°) is clear of labels and visit-rate
    # chips: they are drawn over points by design, and would hide the pixels checked below.
    layer = wall.checkin_layer
    chips = [box for box, _ in layer.chips()]
    with session_factory(demo_engine)() as session:
        pairs = active_pairs(session)  # every pair (the default, 5,000): a random 500 can miss every clear point

    def clear(pair) -> bool:
        pos = wall.canvas.view().project(*coarse_point(pair[3], pair[4]))
        near = QRectF(pos.x() - 40, pos.y() - 40, 80, 80)
        return wall.canvas.rect().contains(near.toRect()) and _free_of_labels(wall, pos, 40) and not any(
            near.intersects(b) for b in chips)

    cadre, household, village, lon, lat = next(p for p in pairs if clear(p))
    body = {"point": {"lon": lon, "lat": lat, "crs": "WGS-84"}, "accuracy_m": 8.0,
            "at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"), "household_id": household,
            "cadre_id": cadre, "note": "测试走访", "photos": []}
    with qtbot.waitSignal(wall.checkinArrived, timeout=30000) as sig:
        r = requests.post(f"{server.url}/api/v1/checkins", json=body,
                          headers={"Authorization": f"Bearer {tokens['admin']}"}, timeout=30)
        assert r.status_code == 201, r.text
    c = sig.args[0]
    assert c.id == r.json()["id"] and c.village_code == village
    assert any(p.id == c.id for p in layer.points) and layer.live == 1
    assert c.id in layer.pulses and layer.animating(wall.canvas.clock())
    assert wall.canvas._tick.isActive()
    pos = layer.position(c.id)
    assert wall.canvas.rect().contains(pos.toPoint())
    # the pulse: a white ring around the point while it lasts
    # only the pulse moves on this frame, and nothing else is drawn over the point (a project marker
    # or a camera glyph can sit where a random household's check-in lands)
    for name in ("funds", "projects", "cameras"):
        wall.set_layer_visible(name, False)
    t0 = layer.pulses[c.id]
    wall.canvas.clock = lambda: t0 + PULSE_S * 0.3
    img = _grab(wall)
    a = 0.3 - 0.0
    radius = layer._pulse_r  # within the ring's sweep at 30 %: somewhere between the core and the max radius
    ring = [QColor(img.pixel((pos + QPointF(rr, 0)).toPoint())) for rr in range(int(radius * 0.2), int(radius))]
    assert any(px.red() > 200 and px.green() > 200 and px.blue() > 200 for px in ring), a
    # after the pulse: the point stays, the timer stops
    wall.canvas.clock = lambda: t0 + PULSE_S + 1
    assert not layer.animating(wall.canvas.clock())
    img = _grab(wall)
    near = [QColor(img.pixel((pos + QPointF(dx, dy)).toPoint())) for dx in (-2, 0, 2) for dy in (-2, 0, 2)]
    assert any(px.blue() > 150 and px.green() > 150 for px in near)  # the cyan point itself
    assert "实时 1 次" in layer.summary_zh()
    for name in ("funds", "projects", "cameras"):  # the module's wall is shared
        wall.set_layer_visible(name, True)


def test_a_month_without_any_checkin_shows_no_visit_rates_rather_than_zeros(qtbot, wall):
    # The demo's check-ins start in May 2017: December 2016 has no records at all.
    with qtbot.waitSignal(wall.layersApplied, timeout=30000):
        wall.set_year(2016)
    assert wall.layers.visits["month"] == "2016-12"
    assert wall.layers.visits["total"]["checkins"] == 0
    _grab(wall)
    assert wall.checkin_layer.visit_rates() == {} and wall.checkin_layer.chips() == []
    with qtbot.waitSignal(wall.layersApplied, timeout=30000):
        wall.set_year(2020)
    qtbot.waitUntil(lambda: _grab(wall) is not None and bool(wall.checkin_layer.chips()), timeout=15000)
    # the module's wall is shared: leave it settled on 2020 for whatever runs next
    qtbot.waitUntil(lambda: not wall.state.loading and not wall.canvas.animating, timeout=15000)


def test_a_past_year_shows_its_last_thirty_days_of_checkins(layers_api):
    """The demo's 2017 check-ins run May–November (the article is of 6 December): 2017 on the wall shows
    November's, and the visit rates of November (the month the KPI's 月走访率 is for), not an empty December."""
    from sandbox.ui.layers.data import CHINA_TZ, fetch_layers

    server, tokens = layers_api
    client = ApiClient(server.url, tokens["display"])
    try:
        out = fetch_layers(client, COUNTY, 2017, now=dt.datetime(2026, 11, 29, tzinfo=CHINA_TZ))
    finally:
        client.close()
    start, end = out.window
    assert end == dt.datetime(2017, 12, 1, tzinfo=CHINA_TZ) and end - start == dt.timedelta(days=30)
    assert out.checkins and all(start <= c.at < end for c in out.checkins)
    assert out.visits.get("month") == "2017-11", out.visits.keys()


def _region_pixels_changed(wall, img_on, img_off, step: int = 3) -> dict[str, float]:
    """For each region on the map: the share of its pixels (on a grid, outside labels and chips) that the
    check-in layer changes."""
    v = wall.canvas.view()
    skip = list(v.label_rects.values()) + [b for b, _ in wall.checkin_layer.chips()]
    out = {}
    for code, path in v.paths.items():
        r = path.boundingRect()
        seen = changed = 0
        for x in range(int(r.left()), int(r.right()), step):
            for y in range(int(r.top()), int(r.bottom()), step):
                pt = QPointF(x, y)
                if not path.contains(pt) or any(s.contains(pt) for s in skip):
                    continue
                seen += 1
                changed += not _near(QColor(img_on.pixel(x, y)), QColor(img_off.pixel(x, y)), 60)
        out[v.names.get(code, code)] = changed / seen if seen else 0.0
    return out


def test_dense_checkins_leave_the_choropleth_readable_in_every_tour_step(qtbot, wall):
    """5,000 check-ins in 30 days turned the county solid cyan: at county and town level they are drawn
    as per-village rings, and no region has more than a quarter of its colour hidden, in every tour view."""
    from pathlib import Path

    from sandbox.kiosk.tour import load_tour

    tour = load_tour(Path(__file__).resolve().parents[2] / "kiosk_config" / "tours" / "dushan-delegation.toml")
    views, year = [], None
    for s in tour.steps:
        year = s.year or year
        code = s.region or COUNTY
        code = code if code.endswith("000") else code[:9] + "000"  # a village's step shows its town's map
        if (code, year) not in views:
            views.append((code, year))
    for name in ("funds", "projects", "cameras"):
        wall.set_layer_visible(name, False)
    try:
        for code, year in views:
            wall.load(code, year)
            qtbot.waitUntil(lambda: wall.layers is not None and (wall.layers.region, wall.layers.year)
                            == (code, year) and not wall.state.loading and not wall.canvas.animating, timeout=60000)
            layer = wall.checkin_layer
            wall.set_layer_visible("checkins", True)
            on = _grab(wall)
            wall.set_layer_visible("checkins", False)
            off = _grab(wall)
            wall.set_layer_visible("checkins", True)
            worst = max(_region_pixels_changed(wall, on, off).items(), key=lambda kv: kv[1])
            assert worst[1] <= 0.2, f"{code} {year}: {worst[0]} has {worst[1]:.0%} of its colour hidden"
            if len(layer.points) > 150:
                assert layer.dense and layer.bubbles()
    finally:
        for name in ("funds", "projects", "cameras", "checkins"):
            wall.set_layer_visible(name, True)
        wall.load(COUNTY, 2020)
        qtbot.waitUntil(lambda: wall.layers is not None and wall.layers.year == 2020 and not wall.state.loading,
                        timeout=60000)


def test_poor_villages_are_outlined_on_a_town_map_and_tagged_in_the_year_they_exit(qtbot, wall):
    from sandbox.ui.poor_villages import EXIT_TAG, EXITED_COLOUR, POOR_COLOUR

    town = "522726103000"  # 基长镇: 9 poor villages of 19
    try:
        for year in (2018, 2019, 2020):
            wall.load(town, year)
            qtbot.waitUntil(lambda: wall.state.map.region_code == town and wall.state.map.year == year
                            and not wall.state.loading and not wall.canvas.animating, timeout=60000)
            rm = wall.state.map.region_map
            poor = {f.code: f.properties.get("poor_village_exit_year") for f in rm.features if f.is_poor_village}
            assert len(poor) == 9
            labels = {lab.code: [t for t, *_ in lab.lines] for lab in wall.canvas._layer.labels if len(lab.lines) > 1}
            for code, lines in labels.items():  # labels with their value line: tagged in the exit year only
                assert any(EXIT_TAG in t for t in lines) == (poor.get(code) == year), (year, code, lines)
            wall.set_layer_visible("checkins", False)  # nothing over the edges sampled below
            img = _grab(wall)
            v = wall.canvas.view()
            for code, exit_year in poor.items():
                want = QColor(POOR_COLOUR if exit_year is None or exit_year > year else EXITED_COLOUR)
                path = v.paths[code]
                # just inside the village's edge, somewhere along it: the dashed band's colour
                edge = [path.pointAtPercent(t / 40) for t in range(40)]
                centre = path.boundingRect().center()
                inside = [e + (centre - e) * (3.0 / max(1.0, ((centre - e).x() ** 2 + (centre - e).y() ** 2) ** 0.5))
                          for e in edge]
                assert any(_near(QColor(img.pixel(q.toPoint())), want, 60) for q in inside), (year, code)
            text = wall.legend.poor.text()
            out = sum(1 for y in poor.values() if y is not None and y <= year)
            assert f"贫困村 {len(poor) - out} 个" in text and f"已出列 {out} 个" in text, text
        assert any(y == 2019 or y == 2020 for y in poor.values())  # the story: they all exit by 2020
    finally:
        wall.set_layer_visible("checkins", True)
        wall.load(COUNTY, 2020)
        qtbot.waitUntil(lambda: wall.state.map.region_code == COUNTY and not wall.state.loading, timeout=60000)


def test_the_project_card_of_a_past_year_is_opaque_uncut_and_as_of_that_year(qtbot, wall):
    town = "522726103000"
    wall.load(town, 2017)
    qtbot.waitUntil(lambda: wall.layers is not None and (wall.layers.region, wall.layers.year) == (town, 2017)
                    and not wall.state.loading and not wall.canvas.animating, timeout=60000)
    card = wall.project_card
    try:
        wall.open_project(1, JISHENG)
        qtbot.waitUntil(lambda: card.detail is not None, timeout=30000)
        f = card.field_texts()
        assert f["stage"] != "handed_over" and "移交" not in f["progress"]  # 2017: not yet handed over
        assert "2017 年底" in f["as_of"]
        tile = card.camera_widget
        assert tile is not None
        name = tile.display_texts()[:2]  # full name, shown name
        assert name[0] == name[1] and "…" not in name[1]  # the camera's name is not cut
        # opaque: whatever the map draws under the card (layers, their legend) never shows through it
        qtbot.waitUntil(lambda: not wall.canvas.animating, timeout=10000)
        rect = card.geometry()

        def under_card():
            return wall.canvas.grab().toImage().copy(rect.adjusted(4, 4, -4, -4))

        on = under_card()
        for name_ in ("projects", "funds", "checkins", "cameras"):
            wall.set_layer_visible(name_, False)
        assert under_card() == on
    finally:
        for name_ in ("projects", "funds", "checkins", "cameras"):
            wall.set_layer_visible(name_, True)
        wall.close_project()
        wall.load(COUNTY, 2020)
        qtbot.waitUntil(lambda: wall.state.map.region_code == COUNTY and not wall.state.loading, timeout=60000)
