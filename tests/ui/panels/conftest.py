"""Fixtures for the panels' tests: hand-made region payloads (demo 2015/2016 figures) and a fake client."""

from __future__ import annotations

import copy

import pytest

from tests.api_double import ApiDouble, Recorder

COUNTY = "522726000000"
AS_OF = "2020-12-31T00:00:00+08:00"
YEARS = list(range(2014, 2021))
INCIDENCE = {2014: 21.5, 2015: 18.6, 2016: 15.1, 2017: 9.68, 2018: 5.29, 2019: 1.8, 2020: 0.2}


def _cell(hh: int, pop: int) -> dict:
    return {"households": hh, "population": pop}


def region_2016() -> dict:
    """GET /regions/522726?year=2016 as the demo answers it (children left out)."""
    return {
        "code": COUNTY, "name": "独山县", "level": "county", "level_zh": "县", "parent_code": "522700000000",
        "year": 2016, "years": YEARS,
        "indicators": {
            "poverty_incidence": 15.1, "poor_population": 46572, "poor_households": 12918,
            "exited_population": 38301, "exits_in_year": 12888, "relapse_rate": 0.0, "income_ok_rate": 37.3,
            "housing_safe_rate": 86.89, "water_safe_rate": 90.29, "education_ok_rate": 98.23,
            "medical_ok_rate": 97.94, "help_coverage": 94.38, "visit_rate": None, "fund_arrival_rate": 92.13,
            "fund_spend_rate": 45.2, "project_start_rate": 53.33, "satisfaction_rate": 82.11,
            "registered_households": 23501, "cadres": 6406, "helpers": 6369, "rural_population": 308400,
            "first_secretary_villages": 57, "villages": 133, "poor_villages": 74, "exited_poor_villages": 40,
        },
        "breakdowns": {
            "exit_batch": {"production": _cell(5797, 20903), "relocation": _cell(1600, 5724),
                           "ecology": _cell(791, 2854), "education": _cell(784, 2833),
                           "social_security": _cell(3946, 14258)},
            "cause": {"01": _cell(3221, 11625), "02": _cell(1042, 3749), "03": _cell(880, 3200),
                      "04": _cell(384, 1400), "05": _cell(774, 2735), "06": _cell(455, 1625),
                      "07": _cell(2013, 7334), "08": _cell(1336, 4790), "09": _cell(1516, 5464),
                      "10": _cell(635, 2295), "11": _cell(519, 1833), "99": _cell(143, 522)},
            "attribute": {"general": _cell(9696, 34901), "dibao": _cell(2796, 10191), "tekun": _cell(426, 1480)},
            "status": {"poor": _cell(12918, 46572), "exited": _cell(10583, 38301)},
            "gap": {"education": _cell(110, 544), "housing": _cell(3080, 11080), "medical": _cell(485, 1688),
                    "water": _cell(2283, 8268)},  # no food_clothing row: nobody lacks it
        },
        "demo": True, "data_label": "演示数据", "as_of": AS_OF,
    }


def region_for(year: int) -> dict:
    """A region payload for any year: 2016's structure with that year's incidence and population."""
    r = region_2016()
    if year == 2016:
        return r
    r["year"] = year
    ind = r["indicators"]
    ind["poverty_incidence"] = INCIDENCE[year]
    ind["poor_population"] = round(INCIDENCE[year] * 3084)
    if year == 2015:
        ind["satisfaction_rate"] = None
        ind["exited_poor_villages"] = 22
    return r


class FakeApi(Recorder, ApiDouble):
    """The API client answering GET /trend and GET /regions; records the threads it was called on."""

    def __init__(self):
        super().__init__()
        self._init_recorder()
        self.trend_payload: dict | None = None  # overrides the generated answer

    def handle_trend(self, code: str, indicator: str, from_year: int | None = None, to_year: int | None = None) -> dict:
        self._enter("trend", code, indicator)
        if self.trend_payload is not None:
            return copy.deepcopy(self.trend_payload)
        if indicator == "poverty_incidence":
            values = INCIDENCE
        else:
            values = {y: (None if y == 2014 else 90.0 + (y - 2014)) for y in YEARS}
        return {"code": code, "indicator": indicator, "as_of": AS_OF,
                "points": [{"year": y, "value": values[y]} for y in YEARS]}

    def handle_region(self, code: str, year: int | None = None) -> dict:
        self._enter("region", code, year)
        return region_for(year or 2016)

    def trend_calls(self) -> list[tuple]:
        return [c for c in self.calls if c[0] == "trend"]


@pytest.fixture
def region() -> dict:
    return region_2016()


@pytest.fixture
def make_region():
    return region_for


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()
