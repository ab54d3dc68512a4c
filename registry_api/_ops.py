"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from registry_api._schemas import Health, ServiceInfo

__all__ = ["READY_TIMEOUT_S", "VERSION", "health", "ready", "service_info"]

#: Per-dependency bound of a readiness check (orchestrators often time probes out at 1-2 s).
READY_TIMEOUT_S = 1.5


#: The service's version (also the OpenAPI document's).
VERSION = "0.1.0"
_INFO = ServiceInfo(service="quantumtime-registry", api_version="v1", version=VERSION)


@get("/api/v1", exclude_from_auth=True, tags=["ops"], summary="Service description")
async def service_info() -> ServiceInfo:
    """Public, cheap and unauthenticated: the site probes it to learn whether a registry
    serves this origin (a static host answers 404 or HTML)."""
    return _INFO


@get("/health", exclude_from_auth=True, tags=["ops"], summary="Liveness probe")
async def health() -> Health:
    """Always ``ok`` while the process serves requests."""
    return Health(status="ok")


@get("/ready", exclude_from_auth=True, tags=["ops"], summary="Readiness probe",
     responses={503: ResponseSpec(Health, description="a dependency is down")})  # fmt: skip
async def ready(state: State) -> Response[Health]:
    """``ok`` when Postgres and Redis both answer within :data:`READY_TIMEOUT_S`, else 503.

    Both are checked concurrently (``SELECT 1`` through the pool, Redis ``PING``), so the
    probe answers within about ``READY_TIMEOUT_S`` even when a backend hangs; each failed
    check is named with the error's type (``unavailable: TimeoutError``).
    """

    async def probe(name: str, check: Awaitable[object]) -> tuple[str, str]:
        try:
            await asyncio.wait_for(check, READY_TIMEOUT_S)
        except Exception as exc:
            return name, f"unavailable: {type(exc).__name__}"
        return name, "ok"

    results = await asyncio.gather(
        probe("postgres", state.db.fetchval("SELECT 1")),
        probe("redis", state.redis.ping()),
    )
    checks = dict(results)
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "unavailable", checks=checks),
        status_code=200 if ok else 503,
    )
