"""GET /indicators serves the policy rules (sandbox.domain.rules) beside each indicator: added
fields, the registry's own fields unchanged."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sandbox.domain import rules
from sandbox.domain.indicators import REGISTRY
from sandbox.server.app import create_app
from sandbox.settings import Settings
from tests.conftest import auth


def _by_key(client, token) -> dict[str, dict]:
    r = client.get("/api/v1/indicators", headers=auth(token))
    assert r.status_code == 200, r.text
    return {i["key"]: i for i in r.json()}


def test_the_registry_carries_the_exit_line_and_the_rules(api, tokens):
    got = _by_key(api, tokens["delegation"])
    assert list(got) == [i.key for i in REGISTRY]
    for i in REGISTRY:  # compatible: every field the contract had, as it was
        assert {k: got[i.key][k] for k in i.as_dict()} == i.as_dict()
    assert got["poverty_incidence"]["exit_line"] == rules.EXIT_INCIDENCE_PCT == 3.0
    assert got["poverty_incidence"]["thresholds"] == {"exit_line": 3.0}
    assert got["fund_spend_rate"]["thresholds"] == {"idle_months": 12, "overpaid_tolerance_yuan": 1.0}
    assert got["visit_rate"]["thresholds"] == {"effective_distance_m": 500.0}
    assert got["poor_population"]["exit_line"] is None and got["poor_population"]["thresholds"] == {}


def test_the_visit_distance_is_the_deployments_setting(demo_engine, tokens, tmp_path):
    app = create_app(demo_engine, Settings(data_dir=tmp_path, checkin_effective_m=300.0))
    with TestClient(app) as client:
        assert _by_key(client, tokens["display"])["visit_rate"]["thresholds"] == {"effective_distance_m": 300.0}


def test_the_openapi_document_describes_the_added_fields(api):
    schema = api.get("/openapi.json").json()["components"]["schemas"]["IndicatorOut"]
    assert {"exit_line", "thresholds"} <= set(schema["properties"])
    assert set(schema.get("required", [])) == {"key", "label_zh", "unit", "formula", "higher_is_better", "classification"}
