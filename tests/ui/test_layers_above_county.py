"""On a province's or a prefecture's map the per-item layers (projects, cameras, village check-ins) draw
nothing: hundreds of counties' markers would cover the map; the fund flow still runs from the province."""

from PySide6.QtCore import QPointF

from sandbox.ui.layers.base import MapView
from sandbox.ui.layers.cameras import CamerasLayer
from sandbox.ui.layers.checkins import CheckinLayer
from sandbox.ui.layers.funds import FundFlowLayer
from sandbox.ui.layers.projects import ProjectsLayer
from sandbox.ui.theme import metrics_for_height


def view(code: str, child_level: str) -> MapView:
    return MapView(code, 1600, 900, metrics_for_height(1080), lambda lon, lat: QPointF(lon, lat),
                   child_level=child_level)


def test_marker_layers_start_at_the_county_map_and_the_fund_flow_draws_everywhere():
    layers = [ProjectsLayer(), CamerasLayer(), CheckinLayer(), FundFlowLayer()]
    for code, child, markers in (("520000000000", "prefecture", False), ("522700000000", "county", False),
                                 ("522726000000", "town", True), ("522726101000", "village", True)):
        for layer in layers:
            layer.region = code
        active = [layer.active(view(code, child)) for layer in layers]
        assert active == [markers, markers, markers, True], (code, active)


def test_a_regions_prefix_is_its_significant_digits_at_every_level():
    from sandbox.ui.layers.checkins import region_prefix

    assert [region_prefix(c) for c in ("520000000000", "52", "522700000000", "522726000000", "522726101000",
                                       "522726101201", "")] == ["52", "52", "5227", "522726", "522726101",
                                                                 "522726101201", ""]


def test_a_live_checkin_is_kept_on_a_county_map_and_not_above_it():
    from sandbox.ui.layers.data import CheckinPoint

    c = CheckinPoint.from_api({"id": 7, "at": "2020-10-30T09:00:00", "lon": 107.5, "lat": 25.8,
                               "village_code": "522726101201"})
    for code, kept in (("520000000000", False), ("522700000000", False), ("522726000000", True)):
        layer = CheckinLayer()
        layer.set_data(code, [], {})
        assert layer.add_live(c) is kept and len(layer.points) == int(kept), code
