"""The wall's cached series of a level is fresh for the data it was fetched with: a corrected register
imported again keeps its 数据截至 but not its 导入于, and the wall fetches the level again."""

from __future__ import annotations

from sandbox.ui.loader import _series
from tests.ui.conftest import COUNTY, region_payload


def test_a_new_import_with_the_same_register_date_is_new_data(fake_client):
    region = dict(region_payload(fake_client.fc), as_of="2020-12-31", imported_at="2021-03-05T09:00:00+08:00")
    first = _series(fake_client, COUNTY, region, None)
    assert _series(fake_client, COUNTY, region, first) is first  # the same data: no request
    calls = len(fake_client.calls)
    again = dict(region, imported_at="2021-03-06T10:00:00+08:00")  # a corrected register, same 数据截至
    second = _series(fake_client, COUNTY, again, first)
    assert second is not first and len(fake_client.calls) > calls
    # the demo (no imported_at) is keyed on its as-of time, as before
    demo = region_payload(fake_client.fc)
    cached = _series(fake_client, COUNTY, demo, None)
    assert _series(fake_client, COUNTY, demo, cached) is cached
