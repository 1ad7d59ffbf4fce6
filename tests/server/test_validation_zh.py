"""A 422 tells its problem in Chinese: the parameter's name, then what it should be — no pydantic English."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.server.validation_zh import problem_zh
from tests.conftest import auth

ENGLISH_WORDS = re.compile(r"\b(Input|should|valid|field|required|parse|string)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(demo_engine):
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(("path", "told"), [
    ("/api/v1/regions/522726?year=abc", "参数 year 无效: 应为整数"),
    ("/api/v1/regions/522726?year=99999", "参数 year 无效: 应不大于"),
    ("/api/v1/households?region=522726&page=0", "参数 page 无效: 应不小于 1"),
])
def test_a_bad_query_parameter_is_told_in_chinese(client, tokens, path, told):
    r = client.get(path, headers=auth(tokens["admin"]))
    assert r.status_code == 422, r.text[:300]
    assert told in r.json()["detail"] and not ENGLISH_WORDS.search(r.json()["detail"]), r.json()["detail"]


def test_a_body_that_is_not_json_names_the_body_not_an_empty_parameter(client, tokens):
    r = client.post("/api/v1/checkins", content=b"{not json", headers={**auth(tokens["admin"]),
                                                                       "Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    detail = r.json()["detail"]
    assert "参数  " not in detail and "请求体" in detail and "JSON" in detail, detail


def test_the_kinds_without_a_parameter_and_the_validators_own_words():
    assert problem_zh({"type": "missing", "loc": ("body", "household_id"), "msg": "Field required"}) \
        == "缺少参数 household_id"
    assert problem_zh({"type": "value_error", "loc": ("body", "note"), "msg": "Value error, 不能含 NUL 字符"}) \
        == "参数 note 无效: 不能含 NUL 字符"
    assert problem_zh({"type": "literal_error", "loc": ("query", "kind"), "msg": "x",
                       "ctx": {"expected": "'notice' or 'guide'"}}) == "参数 kind 无效: 应为以下之一: 'notice' or 'guide'"
    # a type we have no words for keeps pydantic's, rather than saying nothing
    assert problem_zh({"type": "something_new", "loc": ("query", "q"), "msg": "odd"}) == "参数 q 无效: odd"
