"""Every response carries security headers and is counted; 400s do not echo the database."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import create_app
from registry_api._edge import API_CSP, DEFAULT_SITE_CSP

from ._support import run_body
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _assert_secure(headers: Any, csp: str = API_CSP) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-request-id"]  # the access log saw it too


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [
        ("GET", "/health", None, 200),
        ("GET", "/api/v1", None, 200),
        ("GET", "/api/v1/me", None, 401),  # from the JWT middleware
        ("GET", "/api/v1/me", "garbage", 401),
        ("GET", "/api/v1/users", "vic", 403),
        ("GET", "/api/v1/runs?limit=0", "vic", 400),
        ("GET", "/api/v1/no-such-thing", "vic", 404),  # no route at all
        ("GET", "/robots.txt", None, 404),
        ("DELETE", "/api/v1/me", "vic", 405),
    ],
)
async def test_every_response_has_security_headers(
    client: AsyncTestClient[Litestar],
    tokens: dict[str, str],
    method: str,
    path: str,
    who: str | None,
    status: int,
) -> None:
    headers = {} if who is None else auth(tokens.get(who, who))
    r = await client.request(method, path, headers=headers)
    assert r.status_code == status, r.text
    _assert_secure(r.headers)


async def _count(client: AsyncTestClient[Litestar], series: str) -> float:
    text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_auth_401_and_unmatched_404_are_counted(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    app = 'app_name="quantumtime_registry"'
    unauth = f'qt_http_requests_total{{{app},method="GET",path="/api/v1/me",status_code="401"}}'
    missing = f'qt_http_requests_total{{{app},method="GET",path="<unmatched>",status_code="404"}}'
    before = await _count(client, unauth), await _count(client, missing)
    for _ in range(3):
        assert (await client.get("/api/v1/me")).status_code == 401
    randoms = [f"/api/v1/{uuid.uuid4().hex}" for _ in range(4)]
    for path in randoms:  # random paths share one series: they cannot grow the metrics
        assert (await client.get(path)).status_code == 404
    after = await _count(client, unauth), await _count(client, missing)
    assert after == (before[0] + 3, before[1] + 4)
    text = (await client.get("/metrics")).text
    assert not any(path in text for path in randoms)
    ok = f'qt_http_requests_total{{{app},method="GET",path="/api/v1/me",status_code="200"}}'
    before_ok = await _count(client, ok)
    assert (await client.get("/api/v1/me", headers=auth(tokens["vic"]))).status_code == 200
    assert await _count(client, ok) == before_ok + 1  # routed requests are counted once


async def test_routed_requests_fill_every_request_series(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    """A routed request is counted, timed, and leaves the in-progress gauge as it found it,
    labelled by route template and its own status (201 here, 400 for a refused body)."""
    labels = 'app_name="quantumtime_registry",method="POST",path="/api/v1/runs",status_code="{}"'
    series = {
        "created": f"qt_http_requests_total{{{labels.format(201)}}}",
        "refused": f"qt_http_requests_total{{{labels.format(400)}}}",
        "timed": f"qt_http_request_duration_seconds_count{{{labels.format(201)}}}",
        "running": f"qt_http_requests_in_progress{{{labels.format(200)}}}",
    }
    before = {k: await _count(client, v) for k, v in series.items()}
    body = run_body(f"metrics-{uuid.uuid4().hex[:8]}")
    assert (
        await client.post("/api/v1/runs", json=body, headers=auth(tokens["alice"]))
    ).status_code == 201
    bad = {**body, "seed": "x"}
    assert (
        await client.post("/api/v1/runs", json=bad, headers=auth(tokens["alice"]))
    ).status_code == 400
    after = {k: await _count(client, v) for k, v in series.items()}
    assert after == {**before, "created": before["created"] + 1,
                     "refused": before["refused"] + 1, "timed": before["timed"] + 1}  # fmt: skip


async def test_database_error_text_is_not_echoed(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    body = run_body(f"nul-{uuid.uuid4().hex[:8]}", results={"x": "a\u0000b"})
    r = await client.post("/api/v1/runs", json=body, headers=auth(tokens["alice"]))
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "22P05" in detail  # the SQLSTATE, for the record
    for internal in ("unsupported Unicode", "\\u0000 cannot be converted", "jsonb", "DETAIL"):
        assert internal not in detail


async def test_site_pages_get_the_site_policy(replace_settings: Any, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>qt</title>", encoding="utf-8")
    app = create_app(replace_settings(), site_dir=tmp_path)
    async with AsyncTestClient(app=app) as c:
        page = await c.get("/")
        assert page.status_code == 200
        _assert_secure(page.headers, DEFAULT_SITE_CSP)
        assert "script-src 'self'" in DEFAULT_SITE_CSP and "object-src 'none'" in DEFAULT_SITE_CSP
        api = await c.get("/api/v1")
        _assert_secure(api.headers, API_CSP)
