"""asyncpg pool, plain-SQL migrations and the "database unavailable" mapping.

Migrations are the ``migrations/NNNN_name.sql`` files in this package, applied in name order,
each in its own transaction, and recorded (with a SHA-256 of the file) in ``schema_migrations``.
A session-level advisory lock makes concurrent start-ups of several instances safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import asyncpg
from litestar.exceptions import HTTPException

__all__ = [
    "Database",
    "FairGate",
    "ServiceUnavailableError",
    "apply_migrations",
    "list_migrations",
]

_log = logging.getLogger("registry_api.db")
_MIGRATION_LOCK = 0x5154_4D49  # "QTMI"

#: Exceptions that mean "Postgres is unreachable or going away", as opposed to a bad query.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


class ServiceUnavailableError(HTTPException):
    """503: a backing service (Postgres or Redis) is unavailable; nothing was written."""

    status_code = 503


def _unavailable(exc: BaseException, *, written: bool | None) -> ServiceUnavailableError:
    """The 503 for ``exc``; ``written=None`` when the change may have been committed."""
    _log.warning("database unavailable", extra={"error": repr(exc)})
    if written is False:
        detail = "database unavailable; nothing was written, retry later"
    else:
        detail = (
            "database unavailable or too slow; the change may or may not have been stored:"
            " read it back, or retry (publishing the same run again is safe)"
        )
    return ServiceUnavailableError(detail=detail, headers={"Retry-After": "2"})


def list_migrations() -> list[tuple[str, str]]:
    """Return ``(version, sql)`` for every migration file shipped in the package, in order."""
    folder = resources.files("registry_api") / "migrations"
    out = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".sql"):
            out.append((entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    return out


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations on ``conn``.

    Args:
        conn: An open connection (not in a transaction).

    Returns:
        The versions applied by this call (empty when the schema was up to date).

    Raises:
        RuntimeError: If an applied migration's file changed since it was applied.
    """
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        applied = {r["version"]: r["checksum"] for r in rows}
        done: list[str] = []
        for version, sql in list_migrations():
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in applied:
                if applied[version] != checksum:
                    raise RuntimeError(
                        f"migration {version} was edited after being applied "
                        f"(recorded {applied[version][:12]}, file {checksum[:12]}); "
                        "add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    version,
                    checksum,
                )
            _log.info("applied migration", extra={"version": version})
            done.append(version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def _init_connection(conn: asyncpg.Connection) -> None:
    import msgspec

    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: msgspec.json.encode(v).decode(),
        decoder=msgspec.json.decode,
        schema="pg_catalog",
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool ``reset`` hook: return a connection to the pool without a reset query.

    asyncpg's default reset sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release: one more round trip per request (two for an authenticated
    write, whose user read and work use a connection each). The registry leaves no session
    state on a pooled connection (no ``SET``, ``LISTEN`` or ``WITH HOLD`` cursor; the
    migration lock is released by :func:`apply_migrations` itself), and asyncpg still rolls
    back a transaction left open before it calls this hook.
    """


class FairGate:
    """At most ``slots`` holders, admitted strictly in arrival order.

    asyncpg's pool is not fair: a released connection wakes the longest waiter, but any task
    that asks before that waiter runs takes the connection, and the waiter goes to the back
    of the queue. Under load some requests lose again and again (publish p99 ~1 s while p50
    was ~20 ms, 50 clients on a 10-connection pool). Here a leaving holder hands its slot to
    the first waiter directly, so a newcomer cannot take it, and a pool of the same size
    behind the gate always has a connection free.

    Args:
        slots: How many may hold a slot at once.
    """

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self, timeout: float) -> None:
        """Take a slot, waiting at most ``timeout`` seconds behind earlier arrivals.

        Raises:
            TimeoutError: No slot in time (the caller holds none).
        """
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        slot = asyncio.get_running_loop().create_future()
        self._waiters.append(slot)
        try:
            await asyncio.wait_for(asyncio.shield(slot), timeout)
        except BaseException:
            if slot.done() and not slot.cancelled():
                self.leave()  # handed a slot as we gave up: pass it on
            else:
                slot.cancel()  # leave() skips it
            raise

    def leave(self) -> None:
        """Give the slot back: to the first waiter still waiting, or to the free count."""
        while self._waiters:
            slot = self._waiters.popleft()
            if not slot.done():
                slot.set_result(None)
                return
        self._free += 1


class Database:
    """Owns the asyncpg pool and turns connectivity failures into 503s.

    Connections are taken through a :class:`FairGate` as large as the pool, in arrival order.

    Args:
        dsn: asyncpg connection string.
        min_size: Pool minimum size.
        max_size: Pool maximum size.
    """

    def __init__(self, dsn: str, *, min_size: int = 2, max_size: int = 10) -> None:
        self.dsn = dsn
        self._min = min_size
        self._max = max_size
        self._pool: asyncpg.Pool | None = None
        self._bound: asyncpg.Connection | None = None
        self._gate = FairGate(max_size)

    def bind(self, conn: asyncpg.Connection) -> Database:
        """This database, with :meth:`connection` and :meth:`transaction` on ``conn``.

        For one request that already holds a pooled connection (see
        :data:`registry_api._security.HOLD_CONNECTION`): its statements run on that
        connection instead of taking a second one from the pool. The caller releases ``conn``.
        """
        bound = copy.copy(self)  # the same pool and gate; one request's connection
        bound._bound = conn
        return bound

    async def connect(self) -> None:
        """Create the pool (connections are opened lazily after the first ones)."""
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=self._min,
            max_size=self._max,
            command_timeout=10,
            timeout=5,
            init=_init_connection,
            reset=_keep_session,
            max_inactive_connection_lifetime=60,
        )

    async def close(self) -> None:
        """Close the pool, waiting briefly for in-flight queries."""
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), 5)
            except TimeoutError:
                self._pool.terminate()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        """The live pool.

        Raises:
            ServiceUnavailableError: Before :meth:`connect` or after :meth:`close`.
        """
        if self._pool is None:
            raise ServiceUnavailableError(detail="database pool is not open")
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """Yield a pooled connection; connectivity failures become :class:`ServiceUnavailableError`.

        The 503 says "nothing was written" only when that is known: the pool gave no
        connection, or a transaction (see :meth:`transaction`) was rolled back. A statement
        outside a transaction that fails in flight (a timeout, a dropped connection) may have
        committed, and the reply says so. A failure while *returning* the connection to the
        pool, after the work succeeded, is logged and not turned into an error.
        """
        if self._bound is not None:  # the request's connection: its holder releases it
            try:
                yield self._bound
            except UNAVAILABLE_ERRORS as exc:
                raise _unavailable(exc, written=None) from exc
            return
        pool = self.pool
        try:
            await self._gate.enter(timeout=5)
        except TimeoutError as exc:
            raise _unavailable(exc, written=False) from exc
        try:
            try:
                conn = await pool.acquire(timeout=5)
            except UNAVAILABLE_ERRORS as exc:
                raise _unavailable(exc, written=False) from exc
            try:
                yield conn
            except UNAVAILABLE_ERRORS as exc:
                raise _unavailable(exc, written=None) from exc
            finally:
                try:
                    await pool.release(conn)
                except UNAVAILABLE_ERRORS as exc:  # the work is done; the pool drops the conn
                    _log.warning("connection release failed", extra={"error": repr(exc)})
        finally:
            self._gate.leave()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """Yield a connection inside a transaction (rolled back on any error).

        A connectivity failure before ``COMMIT`` is a 503 "nothing was written"; one during
        ``COMMIT`` is a 503 that says the change may or may not have been stored.
        """
        async with self.connection() as conn:
            tx = conn.transaction()
            await tx.start()
            try:
                yield conn
            except BaseException as exc:
                # the server rolls back a transaction whose connection is gone
                with contextlib.suppress(*UNAVAILABLE_ERRORS):
                    await tx.rollback()
                if isinstance(exc, UNAVAILABLE_ERRORS):
                    raise _unavailable(exc, written=False) from exc
                raise
            try:
                await tx.commit()
            except UNAVAILABLE_ERRORS as exc:
                raise _unavailable(exc, written=None) from exc

    async def fetchval(self, query: str, *args: Any) -> Any:
        """Run ``query`` and return the first column of the first row."""
        async with self.connection() as conn:
            return await conn.fetchval(query, *args)
