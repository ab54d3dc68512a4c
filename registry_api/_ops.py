"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from registry_api._schemas import Health

__all__ = ["health", "ready"]


@get("/health", exclude_from_auth=True, tags=["ops"], summary="Liveness probe")
async def health() -> Health:
    """Always ``ok`` while the process serves requests."""
    return Health(status="ok")


@get("/ready", exclude_from_auth=True, tags=["ops"], summary="Readiness probe",
     responses={503: ResponseSpec(Health, description="a dependency is down")})  # fmt: skip
async def ready(state: State) -> Response[Health]:
    """``ok`` when both Postgres and Redis answer within 2 s, else 503 naming the failure."""
    checks: dict[str, str] = {}

    async def pg() -> None:
        await asyncio.wait_for(state.db.fetchval("SELECT 1"), 2)

    async def rd() -> None:
        await asyncio.wait_for(state.redis.ping(), 2)

    for name, probe in (("postgres", pg), ("redis", rd)):
        try:
            await probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"unavailable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "unavailable", checks=checks),
        status_code=200 if ok else 503,
    )
