"""The OpenAPI document tells the truth: the 422 and other error bodies as sent, every error status an
operation can answer with, region code patterns; /docs and /redoc only where configured."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.server.app import create_app
from sandbox.settings import Settings
from tests.conftest import auth


@pytest.fixture(scope="module")
def doc() -> dict:
    return create_app(create_engine("sqlite://"), Settings()).openapi()


def _operations(doc: dict):
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def _schema(doc: dict, response: dict) -> dict:
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_a_422_is_documented_as_sent(doc, api, tokens):
    for name, op in _operations(doc):
        schema = _schema(doc, op["responses"]["422"])
        assert schema["properties"]["detail"]["type"] == "string", name
        assert schema["properties"]["errors"]["type"] == "array" and schema["required"] == ["detail"], name
    body = api.get("/api/v1/regions/522726?year=abc", headers=auth(tokens["admin"])).json()
    assert isinstance(body["detail"], str) and isinstance(body["errors"], list)
    item = doc["components"]["schemas"]["ValidationError"]
    assert set(item["required"]) <= set(body["errors"][0])


def test_error_statuses_are_documented_with_the_error_schema(doc):
    for name, op in _operations(doc):
        codes = set(op["responses"])
        if op.get("security"):
            assert {"401", "403", "429"} <= codes, name
        if "{" in name:
            assert "404" in codes, name
        if "requestBody" in op:
            assert "413" in codes, name
        for code in codes - {"422"}:
            if int(code) >= 400:
                assert _schema(doc, op["responses"][code])["properties"]["detail"]["type"] == "string", (name, code)


def test_region_codes_have_the_pattern_the_api_accepts(doc):
    found = 0
    for name, op in _operations(doc):
        for p in op.get("parameters", []):
            if p["name"] in ("region", "code"):
                found += 1
                schema = p["schema"]
                patterns = [b["pattern"] for b in schema.get("anyOf", [schema]) if b.get("type") == "string"]
                assert patterns, name
                for sample in ("522726", "522726103000", "52", "5227", "522726103", "5", "522", "52272", "5227261",
                               "52272610300", "５２２７２６", "abcdef"):
                    try:
                        RegionCode.parse(sample)
                        accepted = True
                    except InvalidRegionCode:
                        accepted = False
                    assert bool(re.search(patterns[0], sample)) == accepted, (name, sample)
    assert found >= 8


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_only_where_configured(page, tmp_path):
    engine = create_engine("sqlite://")
    with TestClient(create_app(engine, Settings(data_dir=tmp_path))) as client:
        assert client.get(page).status_code == 404
        assert client.get("/openapi.json").status_code == 200  # clients and tools still get the document
    with TestClient(create_app(engine, Settings(data_dir=tmp_path, api_docs=True))) as client:
        r = client.get(page)
        assert r.status_code == 200 and "/openapi.json" in r.text
