"""Rare inputs never give a 500: deep JSON nesting, huge integers, overflowing anomaly scores."""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import Settings
from registry_api._anomaly import score_run

from ._support import run_body
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[list[logging.LogRecord]]:
    """Records written to ``registry_api.errors`` (the 500 log) during the test."""
    handler = _Collect()
    logger = logging.getLogger("registry_api.errors")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# (method, path template, token user, body with {deep} where the nesting goes)
_ENDPOINTS = [
    ("POST", "/api/v1/token", None, b'{"username": "vic", "password": {deep}}'),
    ("POST", "/api/v1/token", None, b"{deep}"),
    ("POST", "/api/v1/runs", "alice", b'{"scenarioName": "x", "results": {"a": {deep}}}'),
    ("POST", "/api/v1/users", "admin", b'{"username": "deep", "role": {deep}}'),
    ("PATCH", "/api/v1/users/{vic}", "admin", b'{"role": {deep}}'),
    ("POST", "/api/v1/sessions", "alice", b'{"title": {deep}}'),
]


@pytest.mark.parametrize(("method", "path", "who", "template"), _ENDPOINTS)
async def test_deeply_nested_json_is_400_without_traceback(
    client: AsyncTestClient[Litestar],
    tokens: dict[str, str],
    user_ids: dict[str, int],
    error_log: list[logging.LogRecord],
    method: str,
    path: str,
    who: str | None,
    template: bytes,
) -> None:
    body = template.replace(b"{deep}", _nested(970))
    assert len(body) < 2100  # the 2 KB body of the report
    headers = {"content-type": "application/json"}
    if who is not None:
        headers.update(auth(tokens[who]))
    r = await client.request(
        method, path.format(vic=user_ids["vic"]), content=body, headers=headers
    )
    assert r.status_code == 400, r.text
    assert "nested too deeply" in r.json()["detail"]
    assert error_log == []


@pytest.mark.parametrize("depth", [50, 300, 600, 900, 970, 5000])
async def test_publish_any_nesting_depth_is_never_500(
    client: AsyncTestClient[Litestar],
    tokens: dict[str, str],
    error_log: list[logging.LogRecord],
    depth: int,
) -> None:
    """Wherever the nesting first hits the recursion limit (decode, hash, scoring, storage)."""
    name = f"deep-{uuid.uuid4().hex[:8]}"
    body = json.dumps(run_body(name, results={"deep": "@"})).encode()
    body = body.replace(b'"@"', b"[" * depth + b"1" + b"]" * depth)
    headers = {"content-type": "application/json", **auth(tokens["alice"])}
    r = await client.post("/api/v1/runs", content=body, headers=headers)
    assert r.status_code in (201, 400), r.text
    assert error_log == []
    if r.status_code == 201:  # what was stored can be read back
        got = await client.get(f"/api/v1/runs/{r.json()['id']}", headers=auth(tokens["vic"]))
        assert got.status_code == 200


async def test_publish_400_digit_integer_in_results(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], error_log: list[logging.LogRecord]
) -> None:
    name = f"bigint-{uuid.uuid4().hex[:8]}"
    h = auth(tokens["alice"])
    for i in range(5):  # enough history for the run to be scored
        r = await client.post("/api/v1/runs", json=run_body(name, results={"n": i}), headers=h)
        assert r.status_code == 201, r.text
    huge = 10**400 + 7
    r = await client.post("/api/v1/runs", json=run_body(name, results={"n": huge}), headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["results"]["n"] == huge  # stored exactly, not rounded to a float
    assert body["anomalyScore"] is None or math.isfinite(body["anomalyScore"])
    assert error_log == []
    got = await client.get(f"/api/v1/runs/{body['id']}", headers=auth(tokens["vic"]))
    assert got.json()["results"]["n"] == huge


async def test_overflowing_score_is_never_stored_or_served_non_finite(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    name = f"overflow-{uuid.uuid4().hex[:8]}"
    h = auth(tokens["alice"])
    for v in (1.7e308, 1.7e308, 1.7e308, -1.7e308, -1.7e308):
        r = await client.post("/api/v1/runs", json=run_body(name, results={"x": v}), headers=h)
        assert r.status_code == 201
    r = await client.post(
        "/api/v1/runs", json=run_body(name, results={"x": -1.7e308}, runtimeMs=12.5), headers=h
    )
    body = r.json()
    assert r.status_code == 201
    # runtimeMs (all 12.5) is scored; x overflows and is named instead of poisoning the score
    assert body["anomalyScore"] == 0.0
    assert body["anomalous"] is False
    assert body["anomalyDetail"]["unscoredFields"] == ["x"]
    listed = await client.get(
        f"/api/v1/runs?scenarioName={name}&sort=-anomalyScore", headers=auth(tokens["vic"])
    )
    assert all(
        item["anomalyScore"] is None or math.isfinite(item["anomalyScore"])
        for item in listed.json()["items"]
    )


def test_score_overflow_unit() -> None:
    """x - median overflows: the field is unscored; no NaN or inf comes out."""
    history = [{"x": v} for v in (1.7e308, 1.7e308, 1.7e308, -1.7e308, -1.7e308)]
    assert score_run({"x": -1.7e308}, history) == (None, None)
    score, detail = score_run({"x": -1.7e308, "y": 1.0}, [{**h, "y": 1.0} for h in history])
    assert score == 0.0 and detail is not None
    assert detail["unscoredFields"] == ["x"]


async def test_database_refuses_non_finite_score(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE username = 'alice'")
        for bad in (math.nan, math.inf):
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(
                    "INSERT INTO runs (id, owner_id, scenario_name, scenario, seed,"
                    " qtcore_version, kernel, results, runtime_ms, content_hash, features,"
                    " anomaly_score) VALUES ($1, $2, 'n', '{}', 0, '0', 'python', '{}', 0,"
                    " $3, '{}', $4)",
                    uuid.uuid4(), owner, uuid.uuid4().hex, bad,
                )  # fmt: skip
    finally:
        await conn.close()
