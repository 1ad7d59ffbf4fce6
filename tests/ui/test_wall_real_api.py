"""End to end: the wall drilled county → town → village against the real API over HTTP (embedded server)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from sandbox.client.api import ApiClient
from sandbox.ui.theme import NO_DATA_COLOR, ramp
from sandbox.ui.village import DELEGATION_NOTE
from tests.ui.conftest import settle, shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

COUNTY = "522726000000"


@pytest.fixture
def make_wall(qtbot):
    def make(client, **kw):
        # The choropleth alone: these tests read fill colours at region centres, where the live
        # layers (tests/ui/test_layers_real_api.py) would put markers.
        kw.setdefault("layers", False)
        w = shown_wall(qtbot, client, region=COUNTY, **kw)
        return settle(qtbot, w)
    return make


def click(qtbot, wall, code, signal):
    with qtbot.waitSignal(signal, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.region_center(code).toPoint())
    return settle(qtbot, wall)


def fill(wall, code) -> str:
    wall.state.map.hovered_code = None
    wall.state.map.show_labels = False
    try:
        return QColor(wall.canvas.grab().toImage().pixel(wall.canvas.region_center(code).toPoint())).name()
    finally:
        wall.state.map.show_labels = True


def test_drill_county_town_village_and_back_on_the_real_api(qtbot, make_wall, real_client):
    wall = make_wall(real_client)
    st = wall.state
    assert wall.breadcrumb.text() == "独山县" and len(st.map.region_map.features) == 8
    assert st.years == list(range(2014, 2021)) and wall.timeline.slider.year == 2020
    # 2020: every town is under the 3% exit line, so the whole county is the green class
    assert {fill(wall, f.code) for f in st.map.region_map.features} == {ramp(6, False)[0]}

    town = st.map.region_map.features[0]
    click(qtbot, wall, town.code, wall.dataApplied)
    assert wall.breadcrumb.text() == f"独山县 › {town.name}"
    villages = st.map.region_map.features
    assert villages and all(f.level == "village" and f.code.startswith(town.code[:9]) for f in villages)
    for f in villages:  # pixels: each village is filled with its class colour
        c = st.map.class_of(f.code)
        assert fill(wall, f.code) == (NO_DATA_COLOR if c < 0 else ramp(st.map.classification.k, False)[c])

    village = next(f for f in villages if f.is_poor_village)
    click(qtbot, wall, village.code, wall.villageApplied)
    panel = wall.village_panel
    assert panel.isVisible() and panel.name_label.text() == village.name
    assert panel.tag_label.text().startswith("贫困村")
    rows = panel.cell_texts()
    assert rows and all("*" in r[0] and "*" in r[1] for r in rows)  # masked by the server for `display`
    assert wall.breadcrumb.text() == f"独山县 › {town.name} › {village.name}"

    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert not panel.isVisible() and wall.breadcrumb.text() == f"独山县 › {town.name}"
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    settle(qtbot, wall)
    assert wall.breadcrumb.text() == "独山县" and st.map.region_code == COUNTY


def test_a_prefetched_town_has_its_panels_painted_before_the_click(qtbot, make_wall, real_client):
    """While the county is on screen the wall paints the prefetched towns' counters, charts, header,
    path and legend ahead, leaving the county's on screen; the drill's first frame blits them (nothing is painted
    anew), and they are the town's pictures."""
    wall = make_wall(real_client, prefetch=True)
    bars = {"header": wall.header, "breadcrumb": wall.breadcrumb, "legend": wall.legend}
    county = {k: w.grab().toImage() for k, w in bars.items()}
    town = wall.state.map.region_map.features[1]
    year = wall.state.map.year
    qtbot.waitUntil(lambda: all(wall.prefetcher.get(f.code, year) for f in wall.state.map.region_map.features)
                    and not wall.preparing, timeout=60000)
    assert {k: w.grab().toImage() for k, w in bars.items()} == county  # painting ahead shows nothing
    assert wall.breadcrumb.text() == "独山县" and wall.header.title_label.text().startswith("独山县")
    charts = [p.chart for p in (wall.panels.exit_batch, wall.panels.causes, wall.panels.guarantee)]
    cards = list(wall.kpis.cards.values())
    assert all(c.pixels.kept() >= 2 for c in charts)  # the county's and towns' pictures
    assert wall.header.graphicsEffect().kept() >= 9 and wall.breadcrumb.graphicsEffect().kept() >= 9
    assert wall.legend.graphicsEffect().kept() >= 2  # towns with the same classes and counts share one

    def made():
        return ([c.pixels.renders for c in charts], [c.still_pixels.renders + c.pixels.renders for c in cards],
                {k: w.graphicsEffect().renders for k, w in bars.items()})
    before = made()
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=wall.canvas.drill_point(town.code).toPoint())
    assert wall.kpis.animating  # counting up from the county's figures
    shown = [c.grab().toImage() for c in charts]  # the drill's first frame
    shown_bars = {k: w.grab().toImage() for k, w in bars.items()}
    assert made() == before
    assert wall.breadcrumb.text() == f"独山县 › {town.name}" and wall.header.title_label.text().startswith(town.name)
    assert sum(n for _c, _label, n in wall.legend.entries()) == len(wall.state.map.region_map.features)
    for chart, img in zip(charts, shown):  # what was painted ahead is what the town's data paint now
        chart.pixels.clear()
        assert chart.grab().toImage() == img
    for k, w in bars.items():
        w.graphicsEffect().invalidate()
        assert w.grab().toImage() == shown_bars[k], k


def test_timeline_turns_the_real_county_from_red_to_green(qtbot, make_wall, real_client):
    wall = make_wall(real_client)
    worst = max(wall.state.map.region_map.features, key=lambda f: f.value("poverty_incidence"))
    wall.set_year(2014)
    settle(qtbot, wall)
    assert wall.state.map.value_of(worst.code) > 20  # 2014: over a fifth of the rural people poor
    red = fill(wall, worst.code)
    assert QColor(red).red() - QColor(red).green() > 100
    wall.set_year(2020)
    settle(qtbot, wall)
    assert fill(wall, worst.code) == ramp(6, False)[0]


def test_delegation_token_gets_the_map_but_no_households(qtbot, make_wall, real_api):
    server, tokens = real_api
    client = ApiClient(server.url, tokens["delegation"])
    try:
        wall = make_wall(client)
        town = wall.state.map.region_map.features[1]
        click(qtbot, wall, town.code, wall.dataApplied)
        village = wall.state.map.region_map.features[0]
        click(qtbot, wall, village.code, wall.villageApplied)
        panel = wall.village_panel
        assert panel.isVisible() and panel.note_label.text() == DELEGATION_NOTE and panel.cell_texts() == []
        assert not wall.banner.isVisible()
    finally:
        client.close()


def test_a_village_s_list_and_its_tile_count_the_same_households(qtbot, make_wall, real_client, demo_engine):
    """The leader's list said 189 户 where the tile said 185: closed households were counted and listed."""
    from sqlalchemy import func, select

    from sandbox.store.models import Household, HouseholdYear

    with demo_engine.connect() as conn:
        village, closed = conn.execute(
            select(Household.village_code, func.count()).join(HouseholdYear, HouseholdYear.household_id == Household.id)
            .where(HouseholdYear.year == 2017, HouseholdYear.status == "closed")
            .group_by(Household.village_code).order_by(func.count().desc())).first()
    wall = make_wall(real_client)
    with qtbot.waitSignal(wall.dataApplied, timeout=30000):
        wall.load(village, 2017)  # a village's code: its town's map with its panel open
    settle(qtbot, wall)
    panel = wall.village_panel
    qtbot.waitUntil(lambda: panel.isVisible() and bool(panel.cell_texts()), timeout=30000)
    tile = panel._tile_values["registered_households"].text()  # e.g. "185户"
    title = panel.households_title.text()
    assert f"共 {tile.rstrip('户')} 户" in title, (tile, title)
    assert f"另有销户 {closed} 户" in title
    assert all(row[3] != "销户" for row in panel.cell_texts())  # 状态 column: none closed on the list
