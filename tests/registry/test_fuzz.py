"""Property-based fuzzing of the OpenAPI schema (schemathesis): no request may cause a 5xx.

Runs against its own uvicorn instance and database, because an admin token drives the fuzzing
and random admin writes (deleting users, changing roles) must not disturb the other tests.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.generation import GenerationMode

from registry_api import Settings, create_app
from registry_api._security import ISSUER, make_jwt_auth

from ._support import UvicornServer
from .conftest import ADMIN_DSN, _create_db, _drop_db, server_env

pytestmark = pytest.mark.xdist_group("fuzz")
TOTAL_EXAMPLES = 100


@pytest.fixture(scope="module")
def fuzz_target(settings: Settings) -> Iterator[tuple[UvicornServer, dict[str, int]]]:
    """A uvicorn instance on a private database: ``(server, {username: id})``."""
    name = f"qt_test_fuzz_{secrets.token_hex(5)}"
    ids = asyncio.run(_create_db(name))
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    srv = UvicornServer(server_env(settings, DATABASE_URL=dsn))
    try:
        yield srv, ids
    finally:
        srv.stop()
        asyncio.run(_drop_db(name))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schema_fuzz_no_server_errors(
    fuzz_target: tuple[UvicornServer, dict[str, int]], settings: Settings, mode: GenerationMode
) -> None:
    srv, ids = fuzz_target
    raw = create_app(settings).openapi_schema.to_schema()
    schema = schemathesis.openapi.from_dict(raw)
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 15, [op.label for op in ops]
    jwt = make_jwt_auth(settings.jwt_secret, 900)
    headers = {
        "Authorization": "Bearer "
        + jwt.create_token(str(ids["admin"]), token_issuer=ISSUER, token_audience=ISSUER)
    }
    per_op = max(3, TOTAL_EXAMPLES // 2 // len(ops))
    failures: list[str] = []
    statuses: dict[int, int] = {}

    for op in ops:
        if op.path == "/metrics":
            continue

        @hsettings(max_examples=per_op, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=op.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            resp = case.call(base_url=srv.base, headers=headers, timeout=10)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            if resp.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} "
                                f"{str(case.body)[:200]} -> {resp.status_code} {resp.text[:200]}")  # fmt: skip

        try:
            check()
        except schemathesis.errors.SchemathesisError as exc:  # pragma: no cover - unsatisfiable
            if mode is GenerationMode.POSITIVE:
                raise
            del exc
    print(f"{mode.value}: {sum(statuses.values())} requests over {len(ops)} operations: {statuses}")
    assert sum(statuses.values()) >= len(ops)
    assert not failures, "\n".join(failures[:10])
