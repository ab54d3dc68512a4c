"""The account cache: what it remembers, for how long, and every change that makes it forget."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import Settings, _security
from registry_api._live import LiveRegistry, LiveSupervisor
from registry_api._security import AuthUser, UserCache
from registry_api._wire import UserChanged

from ._support import UvicornServer, eventually
from .conftest import PASSWORD, auth, server_env

_async = pytest.mark.asyncio(loop_scope="session")


def _user(uid: int, role: str = "viewer") -> AuthUser:
    return AuthUser(id=uid, username=f"u{uid}", role=role)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The cache's clock, stopped: tests move it by changing ``clock[0]``."""
    now = [time.monotonic()]
    monkeypatch.setattr(_security, "_monotonic", lambda: now[0])
    return now


def test_user_cache_remembers_until_its_read_is_seconds_old(clock: list[float]) -> None:
    cache = UserCache(seconds=2)
    began = cache.begin()
    clock[0] += 0.5  # the read took a while: the entry's age counts from its start
    cache.put(_user(1), began)
    assert cache.get(1) == _user(1)
    clock[0] += 1.49
    assert cache.get(1) == _user(1)
    clock[0] += 0.01
    assert cache.get(1) is None


def test_user_cache_forget_drops_accounts_and_voids_reads_in_flight(clock: list[float]) -> None:
    cache = UserCache(seconds=60)
    cache.put(_user(1), cache.begin())
    cache.put(_user(2), cache.begin())
    cache.forget(1)
    assert cache.get(1) is None and cache.get(2) == _user(2)
    began = cache.begin()
    cache.forget(3)  # any change announced while a read is in flight ...
    cache.put(_user(4), began)
    assert cache.get(4) is None  # ... keeps that read out: it may predate the change
    cache.forget()
    assert cache.get(2) is None


def test_user_cache_zero_seconds_and_size(clock: list[float]) -> None:
    off = UserCache(seconds=0)
    off.put(_user(1), off.begin())
    assert off.get(1) is None
    small = UserCache(seconds=60, size=2)
    for uid in (1, 2, 1, 3):  # 1 is stored again after 2: 2 is the oldest when 3 comes
        small.put(_user(uid), small.begin())
    assert [small.get(uid) is not None for uid in (1, 2, 3)] == [True, False, True]


@_async
async def test_control_message_and_resubscribe_forget(clock: list[float]) -> None:
    cache = UserCache(seconds=60)
    live = LiveRegistry(cache)
    for uid in (1, 2):
        cache.put(_user(uid), cache.begin())
    await live.handle(SimpleNamespace(), UserChanged(id=1))  # no open socket: no database read
    assert cache.get(1) is None and cache.get(2) == _user(2)

    class PubSub:  # subscribes, then the supervisor stops at its first poll
        async def subscribe(self, channel: str) -> None:
            pass

        async def get_message(self, timeout: float) -> None:
            supervisor.stopped = True

        async def aclose(self) -> None:
            pass

    redis = SimpleNamespace(pubsub=lambda **_: PubSub())
    state = SimpleNamespace(db=None, redis=redis, hub=None, live=live,
                            settings=Settings(database_url=None, redis_url=None, jwt_secret="x"))  # fmt: skip
    supervisor = LiveSupervisor(state)
    await supervisor._listen_once()
    assert cache.get(2) is None  # announcements may have been missed while unsubscribed


async def _new_account(client: AsyncTestClient[Litestar], admin: str, role: str) -> tuple[int, str]:
    name = f"cache-{uuid.uuid4().hex[:10]}"
    r = await client.post("/api/v1/users", headers=auth(admin),
                          json={"username": name, "password": PASSWORD, "role": role})  # fmt: skip
    assert r.status_code == 201, r.text
    t = await client.post("/api/v1/token", json={"username": name, "password": PASSWORD})
    return int(r.json()["id"]), str(t.json()["accessToken"])


@_async
async def test_database_change_reaches_requests_within_user_cache_seconds(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], settings: Settings,
    clock: list[float],
) -> None:  # fmt: skip
    """A change written straight to the database is not announced: requests see it once the
    account read is ``USER_CACHE_SECONDS`` old."""
    uid, token = await _new_account(client, tokens["admin"], "viewer")
    assert (await client.get("/api/v1/runs", headers=auth(token))).status_code == 200
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("UPDATE users SET active = false WHERE id = $1", uid)
    finally:
        await conn.close()
    assert (await client.get("/api/v1/runs", headers=auth(token))).status_code == 200
    clock[0] += settings.user_cache_seconds
    assert (await client.get("/api/v1/runs", headers=auth(token))).status_code == 401


@_async
async def test_api_change_reaches_requests_at_once(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], clock: list[float]
) -> None:
    """With the cache's clock stopped, only forgetting can make these changes visible."""
    admin = tokens["admin"]
    uid, token = await _new_account(client, admin, "viewer")
    users = "/api/v1/users"
    assert (await client.get(users, headers=auth(token))).status_code == 403
    r = await client.patch(f"{users}/{uid}", json={"role": "admin"}, headers=auth(admin))
    assert r.status_code == 200
    assert (await client.get(users, headers=auth(token))).status_code == 200
    r = await client.patch(f"{users}/{uid}", json={"password": "a new pass 2"}, headers=auth(admin))
    assert r.status_code == 200
    r = await client.get(users, headers=auth(token))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


@pytest_asyncio.fixture(loop_scope="session")
async def remembering_server(settings: Settings) -> AsyncIterator[UvicornServer]:
    """An instance that remembers accounts for an hour: only announcements reach it."""
    server = UvicornServer(server_env(settings, USER_CACHE_SECONDS="3600"))
    try:
        yield server
    finally:
        server.stop()


@_async
@pytest.mark.xdist_group("live")
async def test_change_on_one_instance_reaches_the_others(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], remembering_server: UvicornServer
) -> None:
    uid, token = await _new_account(client, tokens["admin"], "viewer")
    async with httpx.AsyncClient(base_url=remembering_server.base) as other:

        async def runs_status() -> int:
            return (await other.get("/api/v1/runs", headers=auth(token))).status_code

        async def refused() -> bool:
            return await runs_status() == 401

        assert await runs_status() == 200  # remembered there for an hour
        r = await client.patch(f"/api/v1/users/{uid}", json={"active": False},
                               headers=auth(tokens["admin"]))  # fmt: skip
        assert r.status_code == 200
        await eventually(refused)  # the announcement, over Redis
