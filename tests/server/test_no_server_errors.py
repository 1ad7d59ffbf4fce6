"""Every GET parameter of the OpenAPI document, given hostile values one at a time: never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import auth

# Streams never end on their own; their parameters are covered by their own tests.
SKIP = ("/api/v1/events", "/api/v1/demo/streams/{camera_id}.mjpeg", "/api/v1/demo/streams/{camera_id}/sub.mjpeg")

# A valid value per parameter name, so each request is wrong in one place only.
VALID = {"code": "522726", "region": "522726", "year": "2017", "indicator": "poverty_incidence",
         "from": "2015", "to": "2019", "page": "1", "status": "poor", "household_id": "1", "project_id": "1",
         "project": "1", "through": "2017", "since": "2017-11-01T00:00:00", "until": "2017-12-01T00:00:00",
         "month": "2017-11", "name": "0123456789abcdef0123456789abcdef.jpg",
         "limit": "10", "offset": "0", "state": "open", "kind": "notice", "instruction_id": "1", "notice_id": "1",
         "finding_id": "1", "complaint_id": "1", "n": "1", "town": "522726103000", "overdue": "true",
         "rule": "funds.duplicate_voucher", "family": "funds", "case": "open", "active": "true", "hit_id": "1",
         "as_of": "2017"}

HOSTILE = [
    "", " ", "0", "-1", "9" * 25, "-" + "9" * 25, "1e309", "NaN", "inf", "abc", "1.5", "true", "null",
    "\uff15\uff12\uff12\uff17\uff12\uff16",  # full-width 522726
    "\u0665\u0662\u0662\u0667\u0662\u0666",  # Arabic-Indic 522726
    "\uff12\uff10\uff11\uff17-\uff11\uff11",  # full-width 2017-11
    "\x00", "'; DROP TABLE regions; --", "%", "_", "😀", "x" * 5000, "5227261030001", "522726103000 ",
    "2017-13", "2017-02-30", "2017-11-01T25:00:00", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00",
    "2017-11-01T00:00:00+99:00",
]


def _get_operations(api) -> list[tuple[str, list[str]]]:
    spec = api.get("/openapi.json").json()
    ops = []
    for path, methods in spec["paths"].items():
        if "get" in methods and path not in SKIP:
            ops.append((path, [p["name"] for p in methods["get"].get("parameters", []) if p["in"] in ("path", "query")]))
    return ops


def _url(path: str, params: dict[str, str]) -> str:
    query = []
    for name, value in params.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", quote(value, safe=""))
        else:
            query.append(f"{quote(name)}={quote(value, safe='')}")
    return path + ("?" + "&".join(query) if query else "")


def test_every_get_parameter_is_covered():
    """A new parameter needs a valid value here, or the test below would not really try it."""
    from sqlalchemy import create_engine

    from sandbox.server.app import create_app

    spec = create_app(create_engine("sqlite://")).openapi()
    names = {p["name"] for path, m in spec["paths"].items() if "get" in m and path not in SKIP
             for p in m["get"].get("parameters", []) if p["in"] in ("path", "query")}
    assert names <= set(VALID), names - set(VALID)


@pytest.mark.parametrize("role", ["admin", "display"])
def test_hostile_values_in_any_parameter_are_never_a_server_error(api, tokens, role):
    h = auth(tokens[role])
    failures = []
    for path, names in _get_operations(api):
        base = {n: VALID[n] for n in names}
        assert api.get(_url(path, base), headers=h).status_code < 500, path
        for name in names:
            for value in HOSTILE:
                url = _url(path, base | {name: value})
                r = api.get(url, headers=h)
                if r.status_code >= 500:
                    failures.append(f"{r.status_code} {url[:160]}")
                elif r.status_code >= 400:
                    detail = r.json().get("detail")
                    if not detail:
                        failures.append(f"{r.status_code} without a detail: {url[:160]}")
    assert not failures, "\n".join(failures[:30])
