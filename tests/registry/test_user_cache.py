"""The account cache: what it remembers, for how long, and every change that makes it forget."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

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

from ._support import UvicornServer, eventually, scrape
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


class _Reads:
    """A ``read`` for :meth:`UserCache.load` that counts calls and waits to be let go."""

    def __init__(self, answer: AuthUser | BaseException | None, *, ready: bool = False) -> None:
        self.answer = answer
        self.calls = 0
        self.go = asyncio.Event()
        if ready:  # answers at once
            self.go.set()

    async def __call__(self) -> AuthUser | None:
        self.calls += 1
        await self.go.wait()
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


async def _started(n: int, fn: Any) -> list[asyncio.Task[Any]]:
    tasks = [asyncio.ensure_future(fn()) for _ in range(n)]
    await asyncio.sleep(0)  # every task has reached its read (or joined one)
    await asyncio.sleep(0)
    return tasks


@_async
async def test_user_cache_load_shares_one_read_between_concurrent_misses(
    clock: list[float],
) -> None:
    cache = UserCache(seconds=1)
    reads = _Reads(_user(1))
    waiters = await _started(25, lambda: cache.load(1, reads))
    assert reads.calls == 1  # one read for the 25 misses, not one pooled connection each
    waiters[0].cancel()  # the request that started the read goes away: the others wait on
    reads.go.set()
    assert await asyncio.gather(*waiters[1:]) == [_user(1)] * 24
    assert cache.get(1) == _user(1)
    clock[0] += 1  # expired: the next miss reads again
    again = _Reads(_user(1), ready=True)
    assert await cache.load(1, again) == _user(1) and again.calls == 1


@_async
async def test_user_cache_load_after_forget_does_not_join_an_earlier_read(
    clock: list[float],
) -> None:
    cache = UserCache(seconds=60)
    before = _Reads(_user(1, "researcher"))
    first = await _started(3, lambda: cache.load(1, before))
    cache.forget(1)  # a change: a miss from now on must not take the earlier read's answer
    after = _Reads(_user(1, "viewer"))
    second = await _started(3, lambda: cache.load(1, after))
    assert (before.calls, after.calls) == (1, 1)
    before.go.set()
    assert {u.role for u in await asyncio.gather(*first)} == {"researcher"}
    assert cache.get(1) is None  # read before the change: not remembered
    after.go.set()
    assert {u.role for u in await asyncio.gather(*second)} == {"viewer"}
    assert cache.get(1) == _user(1, "viewer")


@_async
async def test_user_cache_load_failures_and_unknown_accounts_are_not_kept(
    clock: list[float],
) -> None:
    cache = UserCache(seconds=60)
    failing = _Reads(ConnectionError("database down"))
    waiters = await _started(4, lambda: cache.load(1, failing))
    failing.go.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert failing.calls == 1 and all(isinstance(r, ConnectionError) for r in results)
    gone = _Reads(None)  # deactivated: every waiter hears it, nothing is remembered
    waiters = await _started(4, lambda: cache.load(1, gone))
    gone.go.set()
    assert await asyncio.gather(*waiters) == [None] * 4 and gone.calls == 1
    back = _Reads(_user(1), ready=True)  # read again: the failure and the None were not kept
    assert await cache.load(1, back) == _user(1) and back.calls == 1


@_async
async def test_user_cache_load_alone_when_not_sharing_or_not_remembering(
    clock: list[float],
) -> None:
    off = UserCache(seconds=0)  # "every request reads": no request answers from another's
    reads = _Reads(_user(1))
    waiters = await _started(3, lambda: off.load(1, reads))
    assert reads.calls == 3
    reads.go.set()
    await asyncio.gather(*waiters)
    cache = UserCache(seconds=60)
    own = _Reads(_user(1))  # a request on its own connection reads on it ...
    alone = await _started(2, lambda: cache.load(1, own, share=False))
    assert own.calls == 2
    shared = _Reads(_user(1))
    first = await _started(1, lambda: cache.load(1, shared))
    joined = await _started(2, lambda: cache.load(1, own, share=False))
    assert (own.calls, shared.calls) == (2, 1)  # ... but joins a read in flight
    own.go.set()
    shared.go.set()
    assert await asyncio.gather(*alone, *first, *joined) == [_user(1)] * 5


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


@_async
async def test_concurrent_requests_that_miss_an_account_read_it_once(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], settings: Settings,
    remembering_server: UvicornServer,
) -> None:  # fmt: skip
    """Requests arriving while their account is being read wait for that read: an entry that
    expires under load costs one ``users`` read, not one pooled connection per request."""
    _, token = await _new_account(client, tokens["admin"], "viewer")
    before = (await scrape(remembering_server.base)).get("qt_account_reads_total", 0.0)
    lock = await asyncpg.connect(settings.database_url)
    try:
        async with httpx.AsyncClient(base_url=remembering_server.base, timeout=30) as other:
            tx = lock.transaction()
            await tx.start()
            await lock.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")  # reads wait
            requests = [
                asyncio.ensure_future(other.get("/api/v1/sessions", headers=auth(token)))
                for _ in range(12)
            ]

            async def blocked() -> bool:
                return bool(await lock.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"))  # fmt: skip

            await eventually(blocked)
            await asyncio.sleep(0.3)  # the other requests arrive and find the read in flight
            await tx.commit()
            replies = await asyncio.gather(*requests)
    finally:
        await lock.close()
    assert [r.status_code for r in replies] == [200] * 12
    after = (await scrape(remembering_server.base))["qt_account_reads_total"]
    assert after - before == 1
