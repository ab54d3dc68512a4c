"""Sign-in protection: bounded password hashing, per-address and per-account throttles.

Three mechanisms, all for ``POST /api/v1/token`` (hashing also for password changes):

* :class:`HashLimiter` runs at most ``PASSWORD_HASH_CONCURRENCY`` Argon2 computations at once
  (64 MiB and ~0.1 s of a core each) with at most ``PASSWORD_HASH_QUEUE`` waiting; beyond
  that, 503 with ``Retry-After``. A guessing flood therefore costs a bounded share of the
  machine, and other requests stay fast.
* Per account (:class:`LoginThrottle`, in Redis, shared by every instance): after
  ``LOGIN_FREE_FAILURES`` consecutive failures, the account accepts one password check per
  back-off interval (1 s, doubling up to ``LOGIN_MAX_BACKOFF_SECONDS``); other attempts get
  429 with ``Retry-After`` and cost no hashing. A success resets the count; failures are
  forgotten after 15 minutes without one.
* Per client address: at most ``LOGIN_IP_FAILURES`` failed sign-ins a minute. Over the limit,
  the address may still try an account it has not failed on this minute, so a correct
  password is not refused because *others* behind the same address (a NAT, a proxy) failed.
  The address is the TCP peer: ``X-Forwarded-For`` counts only when the peer is one of
  ``TRUSTED_PROXIES`` (the uvicorn options in ``__main__.server_options``).

If Redis is unavailable the throttles are skipped (logged) rather than refusing every sign-in;
the hashing bound still holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from litestar.exceptions import HTTPException
from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["HashLimiter", "LoginThrottle", "SignInBusyError", "TooManySignInsError"]

_log = logging.getLogger("registry_api.auth")
_T = TypeVar("_T")
_ACCOUNT_MEMORY_SECONDS = 900
_IP_WINDOW_SECONDS = 60

# KEYS[1] = account hash; ARGV = now, free failures, max back-off.
# Returns seconds to wait ("0": go ahead). In back-off, a caller that may go ahead claims the
# next slot at once, so parallel guessers get one check per interval between them.
_CLAIM = """
local fails = tonumber(redis.call('HGET', KEYS[1], 'fails') or '0')
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
local now = tonumber(ARGV[1])
if nxt > now then return tostring(nxt - now) end
local free = tonumber(ARGV[2])
if fails >= free then
  local delay = math.min(2 ^ (fails - free), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'next', tostring(now + delay))
end
return '0'
"""


class SignInBusyError(HTTPException):
    """503: too many password computations are queued; retry shortly."""

    status_code = 503


class TooManySignInsError(HTTPException):
    """429: this account or address must wait ``Retry-After`` seconds."""

    status_code = 429


class HashLimiter:
    """Run blocking password hashing in threads, at most ``concurrency`` at once.

    Args:
        concurrency: Simultaneous computations.
        queue: Callers allowed to wait for a slot; more get :class:`SignInBusyError`.
    """

    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._sem: asyncio.Semaphore | None = None
        self._waiting = 0

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` in a worker thread once a slot is free."""
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.concurrency)
        if self._sem.locked() and self._waiting >= self.queue:
            raise SignInBusyError(
                detail="too many sign-ins in progress; retry shortly",
                headers={"Retry-After": "1"},
            )
        self._waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self._waiting -= 1
        try:
            return await asyncio.to_thread(fn, *args)
        finally:
            self._sem.release()


def _digest(username: str) -> str:
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginThrottle:
    """Failed-sign-in bookkeeping in Redis (see the module docstring).

    Args:
        redis: The app's Redis client.
        prefix: ``REDIS_KEY_PREFIX``.
        ip_failures: Failed sign-ins a minute per address before it is limited.
        free_failures: Consecutive failures of an account before back-off starts.
        max_backoff: Longest back-off interval, in seconds.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        ip_failures: int,
        free_failures: int,
        max_backoff: int,
    ) -> None:
        self.redis = redis
        self.prefix = prefix + "login:"
        self.ip_failures = ip_failures
        self.free_failures = free_failures
        self.max_backoff = max_backoff
        self._claim = redis.register_script(_CLAIM)

    def _keys(self, ip: str, username: str) -> tuple[str, str, str]:
        user = _digest(username)
        return (
            f"{self.prefix}ip:{ip}",
            f"{self.prefix}ipacct:{ip}:{user}",
            f"{self.prefix}acct:{user}",
        )

    async def admit(self, ip: str, username: str) -> None:
        """Allow a password check, or raise :class:`TooManySignInsError` with ``Retry-After``."""
        ip_key, pair_key, acct_key = self._keys(ip, username)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(ip_key)
                pipe.ttl(ip_key)
                pipe.exists(pair_key)
                ip_count, ip_ttl, pair_failed = await pipe.execute()
            if int(ip_count or 0) >= self.ip_failures and pair_failed:
                raise TooManySignInsError(
                    detail="too many failed sign-ins from this address; retry later",
                    headers={"Retry-After": str(max(int(ip_ttl), 1))},
                )
            wait = float(
                await self._claim(
                    keys=[acct_key], args=[time.time(), self.free_failures, self.max_backoff]
                )
            )
        except RedisError as exc:
            _log.warning("sign-in throttle unavailable", extra={"error": repr(exc)})
            return
        if wait > 0:
            raise TooManySignInsError(
                detail="too many failed sign-ins for this account; retry later",
                headers={"Retry-After": str(max(int(wait + 0.999), 1))},
            )

    async def failed(self, ip: str, username: str) -> None:
        """Record a failed sign-in of ``username`` from ``ip``."""
        ip_key, pair_key, acct_key = self._keys(ip, username)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(ip_key)
                pipe.expire(ip_key, _IP_WINDOW_SECONDS, nx=True)
                pipe.set(pair_key, b"1", ex=_IP_WINDOW_SECONDS)
                pipe.hincrby(acct_key, "fails", 1)
                pipe.expire(acct_key, _ACCOUNT_MEMORY_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            _log.warning("sign-in throttle unavailable", extra={"error": repr(exc)})

    async def succeeded(self, ip: str, username: str) -> None:
        """Forget the account's failures (and this address's failure on it)."""
        _, pair_key, acct_key = self._keys(ip, username)
        try:
            await self.redis.delete(pair_key, acct_key)
        except RedisError as exc:
            _log.warning("sign-in throttle unavailable", extra={"error": repr(exc)})
