"""Fixtures for the registry tests (real Postgres at 127.0.0.1:5432, real Redis at :6379).

Each pytest process (so each xdist worker) creates its own throwaway database
``qt_test_<random>`` and uses its own Redis key prefix, and removes both at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app
from registry_api._db import apply_migrations
from registry_api._security import ISSUER, hash_password, make_jwt_auth

from ._support import UvicornServer

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery"
USERS = {
    "admin": "admin",
    "alice": "researcher",
    "bob": "researcher",
    "vic": "viewer",
    "ghost": "viewer",  # deactivated below
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``registry``."""
    for item in items:
        if "tests/registry" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.registry)


async def _create_db(name: str) -> dict[str, int]:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}")
    try:
        await apply_migrations(conn)
        hashed = await hash_password(PASSWORD)
        ids = {}
        for username, role in USERS.items():
            ids[username] = await conn.fetchval(
                "INSERT INTO users (username, password_hash, role, active)"
                " VALUES ($1, $2, $3, $4) RETURNING id",
                username,
                hashed,
                role,
                username != "ghost",
            )
        return ids
    finally:
        await conn.close()


async def _drop_db(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database() -> Iterator[tuple[str, dict[str, int]]]:
    """A fresh migrated database with the users in :data:`USERS`: ``(dsn, {name: id})``."""
    name = f"qt_test_{secrets.token_hex(6)}"
    ids = asyncio.run(_create_db(name))
    try:
        yield ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}", ids
    finally:
        asyncio.run(_drop_db(name))


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix unique to this test process; its keys are deleted afterwards."""
    prefix = f"qt_test_{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def settings(
    database: tuple[str, dict[str, int]], redis_prefix: str, tmp_path_factory: Any
) -> Settings:
    """Settings pointing at the throwaway database and prefix."""
    return Settings(
        database_url=database[0],
        redis_url=REDIS_URL,
        jwt_secret=secrets.token_urlsafe(32),
        max_body_bytes=64 * 1024,
        max_frame_bytes=4096,
        data_dir=tmp_path_factory.mktemp("qtdata"),
        pool_min=1,
        pool_max=5,
        redis_prefix=redis_prefix,
        max_open_sessions=10_000,  # the suite's shared accounts open many; limits are tested apart
    )


@pytest.fixture(scope="session")
def user_ids(database: tuple[str, dict[str, int]]) -> dict[str, int]:
    """``{username: id}`` of the seeded users."""
    return database[1]


@pytest.fixture(scope="session")
def tokens(settings: Settings, user_ids: dict[str, int]) -> dict[str, str]:
    """A valid bearer token per seeded user."""
    auth = make_jwt_auth(settings.jwt_secret, settings.token_ttl_seconds)
    return {
        name: auth.create_token(
            identifier=str(uid),
            token_issuer=ISSUER,
            token_audience=ISSUER,
            token_expiration=timedelta(hours=1),
        )
        for name, uid in user_ids.items()
    }


def auth(token: str) -> dict[str, str]:
    """Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    """The app bound to the test database (shared by the session's in-process tests)."""
    return create_app(settings)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An in-process client (runs the app's lifespan once per test session).

    Test modules using it declare ``pytestmark = pytest.mark.asyncio(loop_scope="session")``.
    """
    async with AsyncTestClient(app=app) as c:
        yield c


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a uvicorn instance equivalent to ``settings``."""
    env = {
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "JWT_SECRET": settings.jwt_secret,
        "REDIS_KEY_PREFIX": settings.redis_prefix,
        "MAX_FRAME_BYTES": str(settings.max_frame_bytes),
        "MAX_BODY_BYTES": str(settings.max_body_bytes),
        "QT_DATA_DIR": str(settings.data_dir),
        "DB_POOL_MIN": "1",
        "MAX_OPEN_SESSIONS": str(settings.max_open_sessions),
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def servers(settings: Settings) -> Iterator[tuple[UvicornServer, UvicornServer]]:
    """Two uvicorn instances sharing this session's Postgres database and Redis prefix."""
    a = UvicornServer(server_env(settings))
    try:
        b = UvicornServer(server_env(settings))
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def replace_settings(settings: Settings) -> Any:
    """``replace_settings(**changes)`` -> a modified copy of the session settings."""
    return lambda **kw: dataclasses.replace(settings, **kw)
