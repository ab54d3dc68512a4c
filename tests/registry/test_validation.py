"""400s name the bad field as clients spell it (query parameters as in OpenAPI, body camelCase)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ._support import run_body
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _openapi_query_names(client: AsyncTestClient[Litestar], path: str) -> set[str]:
    schema = (await client.get("/api/schema/openapi.json")).json()
    params = schema["paths"][path]["get"].get("parameters", [])
    return {p["name"] for p in params if p["in"] == "query"}


@pytest.mark.parametrize(
    ("query", "wire", "python"),
    [
        ("minAnomaly=x", "minAnomaly", "min_anomaly"),
        ("minAnomaly=-1", "minAnomaly", "min_anomaly"),
        ("scenarioName=" + "s" * 201, "scenarioName", "scenario_name"),
        ("limit=0", "limit", None),
        ("offset=-1", "offset", None),
        ("since=yesterday", "since", None),
        ("anomalous=maybe", "anomalous", None),
        ("sort=seed", "sort", None),
    ],
)
async def test_runs_query_error_names_wire_field(
    client: AsyncTestClient[Litestar],
    tokens: dict[str, str],
    query: str,
    wire: str,
    python: str | None,
) -> None:
    r = await client.get(f"/api/v1/runs?{query}", headers=auth(tokens["vic"]))
    assert r.status_code == 400, r.text
    body = r.json()
    assert [(e["key"], e["source"]) for e in body["extra"]] == [(wire, "query")]
    assert wire in await _openapi_query_names(client, "/api/v1/runs")
    assert body["detail"] == "Validation failed for GET /api/v1/runs"  # no echoed query
    if python is not None:
        assert python not in r.text


async def test_runs_sort_error_lists_allowed_values(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    r = await client.get("/api/v1/runs?sort=seed;DROP", headers=auth(tokens["vic"]))
    assert r.status_code == 400
    message = r.json()["extra"][0]["message"]
    for key in ("createdAt", "-createdAt", "runtimeMs", "-anomalyScore", "scenarioName"):
        assert repr(key) in message


@pytest.mark.parametrize(
    ("url", "wire"),
    [
        ("/api/v1/sessions?status=closed", "status"),
        ("/api/v1/sessions?limit=999", "limit"),
        ("/api/v1/audit?limit=0", "limit"),
        ("/api/v1/audit?actor=" + "a" * 65, "actor"),
    ],
)
async def test_other_query_errors_name_field(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], url: str, wire: str
) -> None:
    r = await client.get(url, headers=auth(tokens["admin"]))
    assert r.status_code == 400, r.text
    assert [e["key"] for e in r.json()["extra"]] == [wire]
    assert wire in await _openapi_query_names(client, url.partition("?")[0])


async def test_validation_error_does_not_echo_query_token(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    token = tokens["vic"]
    r = await client.get(f"/api/v1/runs?minAnomaly=oops&token={token}")
    assert r.status_code == 400, r.text
    assert token not in r.text and "oops" not in r.json()["detail"]
    assert r.json()["extra"][0]["key"] == "minAnomaly"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"runtimeMs": -3}, "runtimeMs"),
        ({"tags": ["has space"]}, "tags[0]"),
        ({"seed": "x"}, "seed"),
    ],
)
async def test_body_error_keys_stay_camel_case(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], override: dict[str, Any], key: str
) -> None:
    r = await client.post(
        "/api/v1/runs", json=run_body("validation", **override), headers=auth(tokens["alice"])
    )
    assert r.status_code == 400, r.text
    assert [(e["key"], e["source"]) for e in r.json()["extra"]] == [(key, "body")]
