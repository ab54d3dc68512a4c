"""Open live-session sockets and the changes that must reach them, on every instance.

:class:`LiveRegistry` knows this instance's open presenter and viewer sockets. Each one carries
a *verdict* future: resolving it (:meth:`LiveConn.kick`) makes the socket's handler stop and
close with the verdict's code. Verdicts come from

* the control channel, a Redis pub/sub channel (``<prefix>control``) on which any instance
  announces "account N changed" (role, active flag, password) and "session S ended";
* a periodic re-check every ``WS_RECHECK_SECONDS`` of every open socket's account (and, for
  presenters, session) in Postgres, which bounds the delay when an announcement is lost (Redis
  down) or never made (a change written straight to the database, such as ``create-user``);
* slow-viewer drops and shutdown.

The same supervisor ends idle sessions (no frame for ``SESSION_IDLE_SECONDS``) and reconciles
sessions whose end reached Redis but not Postgres.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from registry_api import _audit
from registry_api._db import Database, ServiceUnavailableError
from registry_api._pressure import FanoutPressure
from registry_api._security import AuthUser, UserCache, role_at_least
from registry_api._streams import RETRYABLE, StreamHub, with_backoff
from registry_api._wire import (
    WS_CONFLICT,
    WS_FORBIDDEN,
    WS_UNAUTHORIZED,
    Control,
    SessionEnded,
    UserChanged,
    decode_control,
    encode,
)

__all__ = [
    "LiveConn",
    "LiveRegistry",
    "LiveSupervisor",
    "StreamUnavailableError",
    "announce",
    "end_session",
]

_log = logging.getLogger("registry_api.live")
#: how often Redis's clock is read again (:meth:`FanoutPressure.sync`)
_CLOCK_SECONDS = 10.0


class StreamUnavailableError(ServiceUnavailableError):
    """503: Redis is unreachable, so the session could not be ended; nothing changed."""


@dataclass(eq=False)
class LiveConn:
    """One open socket: who, for which session, and its pending verdict."""

    user: AuthUser
    session_id: UUID
    owner_id: int
    presenter: bool
    verdict: asyncio.Future[tuple[int, str]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def kick(self, code: int, reason: str) -> None:
        """Ask the socket's handler to close with ``code`` (the first verdict wins)."""
        if not self.verdict.done():
            self.verdict.set_result((code, reason))

    def judge(self, row: Any) -> tuple[int, str] | None:
        """The close this account row calls for, or ``None`` if the socket may stay."""
        if row is None or not row["active"]:
            return WS_UNAUTHORIZED, "account deactivated or deleted"
        if row["token_version"] != self.user.token_version:
            return WS_UNAUTHORIZED, "token revoked (password changed): sign in again"
        needed = "researcher" if self.presenter else "viewer"
        if not role_at_least(row["role"], needed):
            return WS_FORBIDDEN, f"role is now {row['role']!r}; requires {needed!r}"
        if (
            self.presenter
            and row["id"] != self.owner_id
            and not role_at_least(row["role"], "admin")
        ):
            return WS_FORBIDDEN, "only the session's owner or an admin may present"
        return None


class LiveRegistry:
    """This instance's open live-session sockets (and the accounts it remembers).

    Args:
        users: The instance's account cache: an account change announced on the control
            channel makes it forget that account, before its sockets are re-checked.
    """

    def __init__(self, users: UserCache | None = None) -> None:
        self.conns: set[LiveConn] = set()
        self.users = users

    def open(self, user: AuthUser, session_id: UUID, owner_id: int, *, presenter: bool) -> LiveConn:
        """Register a socket that has been authenticated and authorised."""
        conn = LiveConn(user=user, session_id=session_id, owner_id=owner_id, presenter=presenter)
        self.conns.add(conn)
        return conn

    def close(self, conn: LiveConn) -> None:
        """Forget a socket (its handler is finishing)."""
        self.conns.discard(conn)

    def kick_all(self, code: int, reason: str) -> None:
        """Close every socket (shutdown)."""
        for conn in list(self.conns):
            conn.kick(code, reason)

    def session_ended(self, session_id: UUID) -> None:
        """Close the presenters of an ended session with 4409."""
        for conn in list(self.conns):
            if conn.presenter and conn.session_id == session_id:
                conn.kick(WS_CONFLICT, "session has ended")

    async def recheck(self, db: Database, user_ids: set[int] | None = None) -> None:
        """Re-read the accounts (and presenters' sessions) behind open sockets; close misfits."""
        conns = [c for c in self.conns if user_ids is None or c.user.id in user_ids]
        if not conns:
            return
        ids = sorted({c.user.id for c in conns})
        sessions = sorted({c.session_id for c in conns if c.presenter})
        async with db.connection() as pg:
            rows = await pg.fetch(
                "SELECT id, role, active, token_version FROM users WHERE id = ANY($1::bigint[])",
                ids,
            )
            ended = await pg.fetch(
                "SELECT id FROM live_sessions WHERE id = ANY($1::uuid[]) AND status = 'ended'",
                sessions,
            )
        by_id = {r["id"]: r for r in rows}
        for conn in conns:
            verdict = conn.judge(by_id.get(conn.user.id))
            if verdict is not None:
                conn.kick(*verdict)
        for r in ended:
            self.session_ended(r["id"])

    async def handle(self, db: Database, msg: Control) -> None:
        """Act on a control-channel message."""
        match msg:
            case UserChanged(id=uid):
                if self.users is not None:
                    self.users.forget(uid)
                await self.recheck(db, {uid})
            case SessionEnded(id=sid):
                self.session_ended(UUID(sid))


def _channel(prefix: str) -> str:
    return f"{prefix}control"


async def announce(state: Any, msg: Control) -> None:
    """Tell every instance (this one directly, the others over Redis pub/sub) about ``msg``.

    Best effort: if Redis is unreachable the periodic re-check catches up.
    """
    live: LiveRegistry = state.live
    with contextlib.suppress(ServiceUnavailableError):
        await live.handle(state.db, msg)
    try:
        await asyncio.wait_for(
            state.redis.publish(_channel(state.settings.redis_prefix), encode(msg)), 2
        )
    except (*RETRYABLE, RedisError, TimeoutError) as exc:
        _log.warning("control message not published", extra={"error": repr(exc)})


async def end_session(
    db: Database, hub: StreamHub, actor: AuthUser | None, session_id: UUID, *, why: str = ""
) -> bool:
    """End a session: Postgres and the stream's end marker, both or neither.

    The row is locked, marked ended and audited; the end marker is appended to the stream
    (idempotently) inside the same transaction, so if Redis is unreachable the transaction
    rolls back and the session stays open. Ending an ended session re-appends a missing end
    marker (after Redis lost its data) and changes nothing else.

    Returns:
        ``True`` if this call ended the session, ``False`` if it had already ended or does
        not exist.

    Raises:
        ServiceUnavailableError: Postgres is unreachable (nothing changed).
        StreamUnavailableError: Redis is unreachable (nothing changed).
    """
    async with db.transaction() as conn:
        status = await conn.fetchval(
            "SELECT status FROM live_sessions WHERE id = $1 FOR UPDATE", session_id
        )
        if status is None:
            return False
        if status == "open":
            await conn.execute(
                "UPDATE live_sessions SET status = 'ended', ended_at = now() WHERE id = $1",
                session_id,
            )
            detail = {"reason": why} if why else None
            await _audit.record(conn, actor, "session.end", "session", str(session_id), detail,
                                via="system")  # fmt: skip
        try:
            await hub.end(hub.key(session_id))
        except RETRYABLE as exc:
            _log.warning("could not append end marker", extra={"error": repr(exc)})
            raise StreamUnavailableError(
                detail="stream store unavailable; the session was not ended, retry later",
                headers={"Retry-After": "2"},
            ) from exc
    return bool(status == "open")


class LiveSupervisor:
    """Background work of one instance: control channel, re-checks, idle sessions.

    Args:
        state: The app state (``db``, ``redis``, ``hub``, ``live``, ``settings``).
    """

    def __init__(self, state: Any) -> None:
        self.state = state
        self.db: Database = state.db
        self.redis: Redis = state.redis
        self.hub: StreamHub = state.hub
        self.live: LiveRegistry = state.live
        self.fanout: FanoutPressure | None = getattr(state, "fanout", None)
        self.recheck_every = float(state.settings.ws_recheck_seconds)
        self.idle = float(state.settings.session_idle_seconds)
        self._tasks: list[asyncio.Task[None]] = []
        self.stopped = False

    def start(self) -> None:
        """Start the listener, the re-check loop and the idle-session reaper."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="live:control"),
            asyncio.create_task(
                self._every(self.recheck_every, self._recheck), name="live:recheck"
            ),
            asyncio.create_task(
                self._every(min(60.0, max(0.5, self.idle / 4)), self.reap), name="live:reaper"
            ),
        ]
        if self.fanout is not None:  # Redis's clock, which stream ids are on (publishes wait
            # for late live frames): read now, then every 10 s
            self._tasks.append(asyncio.create_task(
                self._every(_CLOCK_SECONDS, self._sync_clock, at_once=True), name="live:clock"
            ))  # fmt: skip

    async def stop(self) -> None:
        """Cancel the background tasks."""
        self.stopped = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _every(self, seconds: float, job: Any, *, at_once: bool = False) -> None:
        wait = not at_once
        while not self.stopped:
            if wait:
                await asyncio.sleep(seconds)
            wait = True
            try:
                await job()
            except (ServiceUnavailableError, *RETRYABLE, RedisError) as exc:
                _log.warning("live supervisor job failed", extra={"job": job.__name__,
                                                                   "error": repr(exc)})  # fmt: skip
            except Exception:  # keep the loop: it bounds revocation and idle sessions
                _log.exception("live supervisor job failed", extra={"job": job.__name__})

    async def _sync_clock(self) -> None:
        assert self.fanout is not None
        await self.fanout.sync(self.redis)  # failed: nothing counts as late until it succeeds

    async def _recheck(self) -> None:
        await self.live.recheck(self.db)

    async def _listen(self) -> None:
        while not self.stopped:
            try:
                await with_backoff(
                    self._listen_once,
                    retry_for=None,
                    retry_on=(*RETRYABLE, RedisError),
                    give_up=lambda: self.stopped,
                    what="control channel",
                )
            except (*RETRYABLE, RedisError):
                return  # stopped
            except Exception:
                _log.exception("control channel failed; resubscribing")
                await asyncio.sleep(1.0)

    async def _listen_once(self) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(_channel(self.state.settings.redis_prefix))
            if self.live.users is not None:  # announcements may have been missed while away
                self.live.users.forget()
            with contextlib.suppress(ServiceUnavailableError):
                await self.live.recheck(self.db)  # catch up on what was missed while away
            while not self.stopped:
                msg = await pubsub.get_message(timeout=1.0)
                if msg is None or msg.get("type") != "message":
                    continue
                try:
                    control = decode_control(msg["data"])
                except msgspec.DecodeError:
                    _log.warning("bad control message", extra={"data": repr(msg["data"])[:200]})
                    continue
                with contextlib.suppress(ServiceUnavailableError):
                    await self.live.handle(self.db, control)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def reap(self) -> None:
        """End open sessions idle for ``SESSION_IDLE_SECONDS`` (and reconcile half-ended ones)."""
        async with self.db.connection() as pg:
            rows = await pg.fetch(
                "SELECT id FROM live_sessions WHERE status = 'open'"
                " AND created_at < now() - make_interval(secs => $1)",
                self.idle,
            )
        if not rows:
            return
        now_s, now_us = await self.redis.time()
        now_ms = now_s * 1000 + now_us // 1000
        for row in rows:
            sid: UUID = row["id"]
            key = self.hub.key(sid)
            if await self.hub.is_ended(key):
                why = "ended in the stream store"
            else:
                last = await self.hub.last_entry(key)
                if last is not None and now_ms - last.key[0] < self.idle * 1000:
                    continue
                why = "idle"
            if await end_session(self.db, self.hub, None, sid, why=why):
                _log.info("session ended by the registry", extra={"session": str(sid), "why": why})
                await announce(self.state, SessionEnded(id=str(sid)))
