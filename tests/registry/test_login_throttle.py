"""Sign-in protection: per-account back-off, per-address limit, bounded password hashing."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app
from registry_api._login import HashLimiter, SignInBusyError
from registry_api._security import hash_password

from ._support import eventually, start_in_process

pytestmark = pytest.mark.asyncio(loop_scope="session")

GOOD = "the right password"


@asynccontextmanager
async def _own_app(replace_settings: Any, **changes: Any) -> AsyncIterator[Any]:
    """A client of an app with its own Redis prefix (its throttles touch no other test)."""
    settings = replace_settings(redis_prefix=f"qt_test_{secrets.token_hex(6)}:", **changes)
    async with AsyncTestClient(app=create_app(settings)) as c:
        yield c


@pytest_asyncio.fixture(loop_scope="session")
async def login_client(replace_settings: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Default sign-in limits, fresh counters."""
    async with _own_app(replace_settings) as c:
        yield c


@pytest_asyncio.fixture(loop_scope="session")
async def live_login(replace_settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A real server (the in-process client runs requests one after the other), own prefix."""
    settings = replace_settings(redis_prefix=f"qt_test_{secrets.token_hex(6)}:")
    server, task, port = await start_in_process(create_app(settings))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            yield c
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(loop_scope="session")
async def tight_client(replace_settings: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Six failed sign-ins a minute per address."""
    async with _own_app(replace_settings, login_ip_failures=6) as c:
        yield c


async def _new_user(settings: Settings) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'viewer')",
            name,
            await hash_password(GOOD),
        )
    finally:
        await conn.close()
    return name


async def _login(c: Any, user: str, password: str) -> Any:
    return await c.post("/api/v1/token", json={"username": user, "password": password})


async def test_account_backs_off_after_five_failures(
    live_login: httpx.AsyncClient, settings: Settings
) -> None:
    user = await _new_user(settings)
    for _ in range(5):
        assert (await _login(live_login, user, "wrong guess")).status_code == 401
    # in back-off, parallel guesses get one check per interval between them: one claims the
    # slot (and is checked: 401), the others wait without costing a hash (429)
    burst = await asyncio.gather(*(_login(live_login, user, "wrong") for _ in range(4)))
    assert sorted(r.status_code for r in burst) == [401, 429, 429, 429], [r.text for r in burst]
    limited = next(r for r in burst if r.status_code == 429)
    assert "account" in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) >= 1
    # once the interval has passed, the right password gets through and resets the count
    ok = await eventually(
        lambda: _status_is(live_login, user, GOOD, 200), timeout=30, interval=0.25
    )
    assert ok
    assert (await _login(live_login, user, "wrong guess")).status_code == 401


async def _status_is(c: Any, user: str, pw: str, code: int) -> bool:
    return bool((await _login(c, user, pw)).status_code == code)


async def test_address_limit_does_not_refuse_a_correct_password_of_others(
    tight_client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    """Six failures from one address (on six accounts) limit that address's guesses only.

    Pre-fix the per-address limit counted every request, so the 31st sign-in from an
    address got 429 whatever the password.
    """
    victims = [f"nobody{uuid.uuid4().hex[:8]}" for _ in range(6)]
    for name in victims:
        assert (await _login(tight_client, name, "guess")).status_code == 401
    again = await _login(tight_client, victims[0], "guess 2")
    assert again.status_code == 429 and "address" in again.json()["detail"]
    # someone else behind the same address signs in with the right password
    user = await _new_user(settings)
    for _ in range(3):
        assert (await _login(tight_client, user, GOOD)).status_code == 200


async def test_token_response_is_not_cached(login_client: AsyncTestClient[Litestar]) -> None:
    r = await _login(login_client, "admin", "correct horse battery")
    assert r.status_code == 200
    assert "no-store" in r.headers["cache-control"]


async def test_hash_limiter_bounds_concurrency_and_queue() -> None:
    limiter = HashLimiter(concurrency=1, queue=2)
    release = threading.Event()
    running, peak = 0, 0
    lock = threading.Lock()

    def work() -> float:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(10)
        with lock:
            running -= 1
        return time.monotonic()

    tasks = [asyncio.create_task(limiter.run(work)) for _ in range(3)]
    await eventually(lambda: running == 1)
    await asyncio.sleep(0)  # the other two are queued
    with pytest.raises(SignInBusyError) as busy:
        await limiter.run(work)  # a fourth finds the queue full
    assert busy.value.headers == {"Retry-After": "1"}
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 1
