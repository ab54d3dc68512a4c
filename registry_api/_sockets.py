"""The presenter and viewer WebSockets of live sessions (see PROTOCOL.md).

Each open socket is registered in the instance's :class:`~registry_api._live.LiveRegistry`;
its handler races its work against the socket's verdict, so a revoked account, an ended
session, a viewer that fell behind or a shutdown closes it whatever it is blocked on (a send
to a client that stopped reading included).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import asyncpg
from litestar import WebSocket, websocket
from litestar.exceptions import NotAuthorizedException, WebSocketDisconnect
from litestar.params import FromPath, FromQuery

from registry_api._db import Database, ServiceUnavailableError
from registry_api._live import LiveRegistry, announce, end_session
from registry_api._metrics import (
    ACTIVE_PRESENTERS,
    ACTIVE_VIEWERS,
    FRAMES_IN,
    FRAMES_OUT,
    STREAM_LAG,
    VIEWER_DROPS,
)
from registry_api._security import AuthUser, authenticate_token, role_at_least
from registry_api._sessions import SESSION_SELECT, validate_frame
from registry_api._streams import (
    CLOSED,
    OVERFLOW,
    RETRYABLE,
    SEQ_LEASE,
    SessionEndedError,
    StreamHub,
)
from registry_api._wire import (
    WS_BAD_REQUEST,
    WS_CONFLICT,
    WS_ENDED,
    WS_FORBIDDEN,
    WS_GOING_AWAY,
    WS_INTERNAL,
    WS_NOT_FOUND,
    WS_TRY_AGAIN_LATER,
    WS_UNAUTHORIZED,
    WS_UNAVAILABLE,
    Ack,
    End,
    EndEntry,
    Entry,
    Error,
    FrameEntry,
    FrameMeta,
    SessionEnded,
    decode_message,
    encode,
    parse_stream_id,
)

if TYPE_CHECKING:
    from registry_api._pressure import FanoutPressure

__all__ = ["present", "watch"]

_log = logging.getLogger("registry_api.sockets")
#: How long a close may wait for a client that stopped reading to drain what was sent.
_CLOSE_WAIT = 60.0
Socket = WebSocket[Any, Any, Any]
Close = tuple[int, str]

# What sending to a client that already hung up raises: uvicorn's ClientDisconnected, or
# Litestar's WebSocketDisconnect.
_GONE: tuple[type[BaseException], ...] = (WebSocketDisconnect,)
try:
    from uvicorn.protocols.utils import ClientDisconnected

    _GONE = (WebSocketDisconnect, ClientDisconnected)
except ImportError:  # another ASGI server
    pass


async def _close(socket: Socket, close: Close | None) -> None:
    """Send the close frame, waiting at most :data:`_CLOSE_WAIT` for the send buffer."""
    if close is None:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(close[0], close[1][:120]), _CLOSE_WAIT)


async def _ws_auth(socket: Socket, token: str | None, needed: str) -> AuthUser | None:
    header = socket.headers.get("authorization", "")
    encoded = header.partition(" ")[2] if header.lower().startswith("bearer ") else token
    if not encoded:
        await socket.close(WS_UNAUTHORIZED, "token required (?token= or Authorization header)")
        return None
    try:
        user = await authenticate_token(socket.app.state.jwt_auth, encoded, socket)
    except NotAuthorizedException as exc:
        await socket.close(WS_UNAUTHORIZED, str(exc.detail)[:120])
        return None
    except ServiceUnavailableError:
        await socket.close(WS_UNAVAILABLE, "database unavailable")
        return None
    if not role_at_least(user.role, needed):
        await socket.close(WS_FORBIDDEN, f"role {user.role!r} may not; requires {needed!r}")
        return None
    return user


async def _load_session(socket: Socket, session_id: UUID) -> asyncpg.Record | None:
    db: Database = socket.app.state.db
    try:
        async with db.connection() as conn:
            row = await conn.fetchrow(f"{SESSION_SELECT} WHERE s.id = $1", session_id)
    except ServiceUnavailableError:
        await socket.close(WS_UNAVAILABLE, "database unavailable")
        return None
    if row is None:
        await socket.close(WS_NOT_FOUND, f"session {session_id} not found")
    return row


async def _stop(*tasks: asyncio.Task[Any]) -> None:
    """Cancel ``tasks`` and wait until they have finished.

    A cancellation that lands while a task's inner await has just completed can be swallowed
    on its way up (redis-py, ``wait_for`` before 3.12); such a task would run on, and a
    handler that awaited it once would hang with it. So ask again until each one is done.
    """
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: not "never retrieved" noise


def _outcome(task: asyncio.Task[Close | None]) -> Close | None:
    """The close a finished handler task asks for (``None``: the client is gone)."""
    try:
        return task.result()
    except _GONE:
        return None
    except RETRYABLE:
        return WS_TRY_AGAIN_LATER, "stream store unavailable; reconnect with last_id"
    except ServiceUnavailableError:
        return WS_UNAVAILABLE, "database unavailable; reconnect"
    except Exception:
        _log.exception("live socket failed")
        return WS_INTERNAL, "internal error; reconnect with last_id"


class _Presenting:
    """What a presenter's loop leaves behind: whether it ended the session."""

    ended = False


async def _present_loop(
    socket: Socket, session_id: UUID, user: AuthUser, out: _Presenting
) -> Close | None:
    """Store binary frames, answer ``ack``/``error``; returns the close to send."""
    state = socket.app.state
    hub: StreamHub = state.hub
    db: Database = state.db
    max_frame: int = state.settings.max_frame_bytes
    key = hub.key(session_id)

    async def lease(next_seq: int) -> int | None:
        async with db.connection() as conn:
            upper: int | None = await conn.fetchval(
                "UPDATE live_sessions SET seq_lease = GREATEST(seq_lease, $2) + $3"
                " WHERE id = $1 AND status = 'open' RETURNING seq_lease",
                session_id,
                next_seq,
                SEQ_LEASE,
            )
        return upper

    while True:
        event = await socket.receive()
        if event["type"] == "websocket.disconnect":
            if event.get("code", 1000) == 1000:  # closing normally ends the session
                with contextlib.suppress(Exception):
                    out.ended = await end_session(db, hub, user, session_id)
            return None
        data = cast("bytes | None", event.get("bytes"))
        if data is not None:
            problem = validate_frame(data, max_frame)
            if problem is not None:
                await socket.send_text(encode(Error(code="bad_frame", message=problem)))
                continue
            try:
                sid, seq = await hub.append_frame(key, data, lease)
            except SessionEndedError:
                return WS_CONFLICT, "session has ended"
            FRAMES_IN.inc()
            await socket.send_text(encode(Ack(id=sid, seq=seq)))
            continue
        try:
            msg = decode_message(cast("str", event.get("text") or ""))
        except ValueError as exc:
            await socket.send_text(encode(Error(code="bad_message", message=str(exc)[:300])))
            continue
        match msg:
            case End():
                try:
                    out.ended = await end_session(db, hub, user, session_id)
                except ServiceUnavailableError as exc:  # Postgres or Redis: nothing changed
                    return WS_UNAVAILABLE, str(exc.detail)
                return WS_ENDED, "session ended"
            case _:
                await socket.send_text(encode(Error(
                    code="bad_message",
                    message='presenters send only {"type": "end"} as text; frames are binary',
                )))  # fmt: skip


@websocket("/api/v1/sessions/{session_id:uuid}/present", exclude_from_auth=True)
async def present(
    socket: Socket,
    session_id: FromPath[UUID],
    token: FromQuery[str | None] = None,
) -> None:
    """Presenter socket: binary frames in, ``ack``/``error`` JSON out (see PROTOCOL.md)."""
    await socket.accept()
    user = await _ws_auth(socket, token, "researcher")
    if user is None:
        return
    row = await _load_session(socket, session_id)
    if row is None:
        return
    if row["owner_id"] != user.id and not role_at_least(user.role, "admin"):
        await socket.close(WS_FORBIDDEN, "only the session's owner may present")
        return
    if row["status"] != "open":
        await socket.close(WS_CONFLICT, "session has ended")
        return
    live: LiveRegistry = socket.app.state.live
    conn = live.open(user, session_id, row["owner_id"], presenter=True)
    ACTIVE_PRESENTERS.inc()
    out = _Presenting()
    work = asyncio.create_task(_present_loop(socket, session_id, user, out))
    try:
        waiting: set[asyncio.Future[Any]] = {work, conn.verdict}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        close = _outcome(work) if work.done() else conn.verdict.result()
    finally:
        await _stop(work)
        ACTIVE_PRESENTERS.dec()
        live.close(conn)
    await _close(socket, close)
    if out.ended:  # after live.close(conn): the announcement closes *other* presenters
        await announce(socket.app.state, SessionEnded(id=str(session_id)))


class _Stalled(Exception):
    """The viewer accepted nothing for ``VIEWER_STALL_SECONDS``."""


async def _send_entry(socket: Socket, entry: Entry, stall: float, clock: FanoutPressure) -> None:
    try:
        async with asyncio.timeout(stall):  # a client that stops reading blocks this send
            match entry:
                case EndEntry():
                    await socket.send_text(encode(End()))
                case FrameEntry(id=sid, seq=seq, data=data):
                    await socket.send_text(encode(FrameMeta(id=sid, seq=seq)))
                    await socket.send_bytes(data)
    except TimeoutError:
        raise _Stalled from None
    if isinstance(entry, FrameEntry):
        FRAMES_OUT.inc()
        STREAM_LAG.observe(max(0.0, clock.lag(entry.key[0])))  # on Redis's clock


async def _pump(
    socket: Socket, hub: StreamHub, key: str, last_id: str, ended_in_db: bool, dropped: Any
) -> Close:
    """Replay from ``last_id`` page by page, then follow the live queue."""
    stall = float(socket.app.state.settings.viewer_stall_seconds)
    fanout: FanoutPressure = socket.app.state.fanout
    sub = await hub.subscribe(key, on_overflow=dropped)
    try:
        last = parse_stream_id(last_id)
        while True:
            page = await hub.read_page(key, last_id, retry_for=5.0)
            for entry in page:
                await _send_entry(socket, entry, stall, fanout)
                if isinstance(entry, EndEntry):
                    return WS_ENDED, "session ended"
                last, last_id = entry.key, entry.id
            if not page and sub.go_live(last):
                break
        del page
        if ended_in_db:  # ended, and its end marker expired or was never written
            await _send_entry(socket, EndEntry(id=last_id, key=last), stall, fanout)
            return WS_ENDED, "session ended"
        while True:
            item = await sub.get()
            if item is OVERFLOW:
                return WS_TRY_AGAIN_LATER, "viewer too slow; reconnect with last_id"
            if item is CLOSED:
                return WS_GOING_AWAY, "server shutting down; reconnect with last_id"
            match item:
                case FrameEntry(key=k) if k <= last:
                    continue  # already replayed
                case FrameEntry():
                    await _send_entry(socket, item, stall, fanout)
                    fanout.sent(key, item.key)  # how late live frames go out (publishes wait)
                    last = item.key
                case EndEntry():
                    await _send_entry(socket, item, stall, fanout)
                    return WS_ENDED, "session ended"
    except _Stalled:
        VIEWER_DROPS.inc()
        return WS_TRY_AGAIN_LATER, "viewer stopped reading; reconnect with last_id"
    finally:
        hub.unsubscribe(sub)


async def _drain(socket: Socket) -> Close | None:
    while (await socket.receive())["type"] != "websocket.disconnect":
        pass
    return None


@websocket("/api/v1/sessions/{session_id:uuid}/watch", exclude_from_auth=True)
async def watch(
    socket: Socket,
    session_id: FromPath[UUID],
    token: FromQuery[str | None] = None,
    last_id: FromQuery[str | None] = None,
) -> None:
    """Viewer socket: replays from ``last_id`` (exclusive) then follows live (see PROTOCOL.md)."""
    await socket.accept()
    user = await _ws_auth(socket, token, "viewer")
    if user is None:
        return
    if last_id is not None:
        try:
            parse_stream_id(last_id)
        except ValueError as exc:
            await socket.close(WS_BAD_REQUEST, str(exc)[:120])
            return
    row = await _load_session(socket, session_id)
    if row is None:
        return
    hub: StreamHub = socket.app.state.hub
    live: LiveRegistry = socket.app.state.live
    conn = live.open(user, session_id, row["owner_id"], presenter=False)

    def dropped() -> None:
        VIEWER_DROPS.inc()
        conn.kick(WS_TRY_AGAIN_LATER, "viewer too slow; reconnect with last_id")

    ACTIVE_VIEWERS.inc()
    ended_in_db = row["status"] == "ended"
    key = hub.key(session_id)
    pump = asyncio.create_task(_pump(socket, hub, key, last_id or "0-0", ended_in_db, dropped))
    reader = asyncio.create_task(_drain(socket))
    try:
        waiting: set[asyncio.Future[Any]] = {pump, reader, conn.verdict}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if pump.done():
            close = _outcome(cast("asyncio.Task[Close | None]", pump))
        elif conn.verdict.done():
            close = conn.verdict.result()
        else:
            close = None  # the client left
    finally:
        await _stop(pump, reader)
        ACTIVE_VIEWERS.dec()
        live.close(conn)
    await _close(socket, close)
