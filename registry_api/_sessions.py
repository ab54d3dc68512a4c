"""Live sessions: HTTP lifecycle plus the presenter and viewer WebSockets (see PROTOCOL.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
import uuid
from typing import Annotated, Any, Literal, cast
from uuid import UUID

import asyncpg
from litestar import Controller, Request, WebSocket, delete, get, post, websocket
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    WebSocketDisconnect,
)
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from registry_api import _audit
from registry_api._db import Database, ServiceUnavailableError
from registry_api._metrics import (
    ACTIVE_PRESENTERS,
    ACTIVE_VIEWERS,
    FRAMES_IN,
    FRAMES_OUT,
    STREAM_LAG,
    VIEWER_DROPS,
)
from registry_api._schemas import LiveSession, LiveSessionCreate
from registry_api._security import (
    AuthUser,
    authenticate_token,
    require_researcher,
    require_viewer,
    role_at_least,
)
from registry_api._streams import CLOSED, OVERFLOW, RETRYABLE, Entry, StreamHub, parse_stream_id

__all__ = ["SessionController", "end_session", "present", "validate_frame", "watch"]

_log = logging.getLogger("registry_api.sessions")
_FRAME_HEAD = struct.Struct("<4sHHII")
_END_TTL_SECONDS = 24 * 3600

# WebSocket close codes (4000 + the HTTP status they mirror).
WS_BAD_REQUEST = 4400
WS_UNAUTHORIZED = 4401
WS_FORBIDDEN = 4403
WS_NOT_FOUND = 4404
WS_CONFLICT = 4409
WS_UNAVAILABLE = 4503
WS_TRY_AGAIN_LATER = 1013
WS_GOING_AWAY = 1001


def validate_frame(data: bytes, max_bytes: int) -> str | None:
    """Check the outer framing of a qtcore frame; return an error message or ``None``."""
    if len(data) > max_bytes:
        return f"frame has {len(data)} bytes; the limit is {max_bytes}"
    if len(data) < _FRAME_HEAD.size:
        return f"frame has {len(data)} bytes; a frame header alone is {_FRAME_HEAD.size}"
    magic, version, _flags, header_len, data_len = _FRAME_HEAD.unpack_from(data)
    if magic != b"QTFR":
        return f"frame magic is {magic!r}; expected b'QTFR'"
    if version != 1:
        return f"frame version {version} is not supported; supported: 1"
    if _FRAME_HEAD.size + header_len + data_len != len(data):
        return (
            f"frame lengths disagree: 16 + header {header_len} + data {data_len} "
            f"!= message {len(data)} bytes"
        )
    return None


def _session(row: asyncpg.Record) -> LiveSession:
    sid = row["id"]
    return LiveSession(
        id=sid,
        owner=row["owner"],
        title=row["title"],
        scenario_name=row["scenario_name"],
        status=row["status"],
        created_at=row["created_at"],
        ended_at=row["ended_at"],
        present_path=f"/api/v1/sessions/{sid}/present",
        watch_path=f"/api/v1/sessions/{sid}/watch",
    )


_SESSION_SELECT = (
    "SELECT s.id, u.username AS owner, s.owner_id, s.title, s.scenario_name, s.status,"
    " s.created_at, s.ended_at FROM live_sessions s JOIN users u ON u.id = s.owner_id"
)


async def end_session(
    db: Database, hub: StreamHub, user: AuthUser, session_id: FromPath[UUID]
) -> bool:
    """Mark a session ended (audited) and append the end marker to its stream.

    Returns:
        ``True`` if this call ended it, ``False`` if it had already ended.
    """
    async with db.transaction() as conn:
        ended = await conn.fetchval(
            "UPDATE live_sessions SET status = 'ended', ended_at = now()"
            " WHERE id = $1 AND status = 'open' RETURNING id",
            session_id,
        )
        if ended is not None:
            await _audit.record(conn, user, "session.end", "session", str(session_id))
    if ended is not None:
        key = hub.key(session_id)
        try:
            await hub.append(key, {"end": b"1", "n": -1}, retry_for=5.0)
            await hub.redis.expire(key, _END_TTL_SECONDS)
            await hub.redis.expire(key + ":seq", _END_TTL_SECONDS)
        except RETRYABLE as exc:
            _log.warning("could not append end marker", extra={"error": repr(exc)})
    return ended is not None


class SessionController(Controller):
    """``/api/v1/sessions``."""

    path = "/api/v1/sessions"
    tags = ["sessions"]  # noqa: RUF012

    @post("/", guards=[require_researcher], status_code=HTTP_201_CREATED,
          summary="Open a live session")  # fmt: skip
    async def create_session(
        self, request: Request[AuthUser, Any, Any], data: LiveSessionCreate, db: Database
    ) -> LiveSession:
        """Open a session owned by the caller."""
        sid = uuid.uuid4()
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO live_sessions (id, owner_id, title, scenario_name)"
                " VALUES ($1, $2, $3, $4)",
                sid,
                request.user.id,
                data.title,
                data.scenario_name,
            )
            await _audit.record(conn, request.user, "session.open", "session", str(sid),
                                {"title": data.title})  # fmt: skip
            row = await conn.fetchrow(f"{_SESSION_SELECT} WHERE s.id = $1", sid)
        assert row is not None
        return _session(row)

    @get("/", guards=[require_viewer], summary="List live sessions")
    async def list_sessions(
        self,
        db: Database,
        status: FromQuery[Literal["open", "ended"] | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[LiveSession]:
        """List sessions, newest first (open ones by default)."""
        async with db.connection() as conn:
            if status is None:
                rows = await conn.fetch(
                    f"{_SESSION_SELECT} ORDER BY s.created_at DESC LIMIT $1", limit
                )
            else:
                rows = await conn.fetch(
                    f"{_SESSION_SELECT} WHERE s.status = $1 ORDER BY s.created_at DESC LIMIT $2",
                    status,
                    limit,
                )
        return [_session(r) for r in rows]

    @get("/{session_id:uuid}", guards=[require_viewer], summary="Fetch a live session")
    async def get_session(self, session_id: FromPath[UUID], db: Database) -> LiveSession:
        """Return one session."""
        async with db.connection() as conn:
            row = await conn.fetchrow(f"{_SESSION_SELECT} WHERE s.id = $1", session_id)
        if row is None:
            raise NotFoundException(f"session {session_id} not found")
        return _session(row)

    @delete("/{session_id:uuid}", guards=[require_researcher], summary="End a live session")
    async def delete_session(
        self, request: Request[AuthUser, Any, Any], session_id: FromPath[UUID], db: Database
    ) -> None:
        """End a session (its owner or an admin); viewers receive ``{"type": "end"}``."""
        async with db.connection() as conn:
            owner = await conn.fetchval(
                "SELECT owner_id FROM live_sessions WHERE id = $1", session_id
            )
        if owner is None:
            raise NotFoundException(f"session {session_id} not found")
        if owner != request.user.id and not role_at_least(request.user.role, "admin"):
            raise PermissionDeniedException("only the session's owner or an admin may end it")
        await end_session(db, request.app.state.hub, request.user, session_id)


async def _ws_auth(
    socket: WebSocket[Any, Any, Any], token: str | None, needed: str
) -> AuthUser | None:
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


async def _load_session(
    socket: WebSocket[Any, Any, Any], session_id: UUID
) -> asyncpg.Record | None:
    db: Database = socket.app.state.db
    try:
        async with db.connection() as conn:
            row = await conn.fetchrow(f"{_SESSION_SELECT} WHERE s.id = $1", session_id)
    except ServiceUnavailableError:
        await socket.close(WS_UNAVAILABLE, "database unavailable")
        return None
    if row is None:
        await socket.close(WS_NOT_FOUND, f"session {session_id} not found")
    return row


def _track(socket: WebSocket[Any, Any, Any]) -> set[WebSocket[Any, Any, Any]]:
    sockets: set[WebSocket[Any, Any, Any]] = socket.app.state.sockets
    sockets.add(socket)
    return sockets


# What sending to a client that already hung up raises: uvicorn's ClientDisconnected, or
# Litestar's WebSocketDisconnect.
_GONE: tuple[type[BaseException], ...] = (WebSocketDisconnect,)
try:
    from uvicorn.protocols.utils import ClientDisconnected

    _GONE = (WebSocketDisconnect, ClientDisconnected)
except ImportError:  # another ASGI server
    pass


@websocket("/api/v1/sessions/{session_id:uuid}/present", exclude_from_auth=True)
async def present(
    socket: WebSocket[Any, Any, Any],
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
    hub: StreamHub = socket.app.state.hub
    db: Database = socket.app.state.db
    max_frame: int = socket.app.state.settings.max_frame_bytes
    key = hub.key(session_id)
    sockets = _track(socket)
    ACTIVE_PRESENTERS.inc()
    ended = False  # True: the clean-up ends the session (closed with 1000, or "end" half-way)
    try:
        while True:
            event = await socket.receive()
            if event["type"] == "websocket.disconnect":
                ended = event.get("code", 1000) == 1000
                break
            data = cast("bytes | None", event.get("bytes"))
            if data is not None:
                problem = validate_frame(data, max_frame)
                if problem is not None:
                    await socket.send_text(json.dumps(
                        {"type": "error", "code": "bad_frame", "message": problem}
                    ))  # fmt: skip
                    continue
                try:
                    sid, seq = await hub.append_frame(key, data)
                except RETRYABLE:
                    await socket.close(WS_TRY_AGAIN_LATER, "stream store unavailable; reconnect")
                    break
                FRAMES_IN.inc()
                await socket.send_text(f'{{"type":"ack","id":"{sid}","seq":{seq}}}')
                continue
            text = cast("str", event.get("text") or "")
            try:
                msg = json.loads(text)
            except ValueError:
                msg = None
            if isinstance(msg, dict) and msg.get("type") == "end":
                ended = True
                await end_session(db, hub, user, session_id)
                ended = False  # done; nothing left for the clean-up
                await socket.close(1000, "session ended")
                break
            await socket.send_text(json.dumps({
                "type": "error", "code": "bad_message",
                "message": 'text messages must be {"type": "end"}; frames are binary',
            }))  # fmt: skip
    except _GONE:
        pass  # the presenter vanished mid-send: the session stays open for a reconnect
    finally:
        ACTIVE_PRESENTERS.dec()
        sockets.discard(socket)
        if ended:  # closed with 1000, or "end" failed half-way: (re)try ending it
            with contextlib.suppress(Exception):
                await end_session(db, hub, user, session_id)


async def _send_entry(socket: WebSocket[Any, Any, Any], entry: Entry) -> None:
    if entry.end:
        await socket.send_text('{"type":"end"}')
        return
    await socket.send_text(f'{{"type":"frame","id":"{entry.id}","seq":{entry.seq}}}')
    await socket.send_bytes(entry.data or b"")
    FRAMES_OUT.inc()
    STREAM_LAG.observe(max(0.0, time.time() - entry.key[0] / 1000.0))


async def _pump(socket: WebSocket[Any, Any, Any], hub: StreamHub, key: str, last_id: str,
                ended_in_db: bool) -> tuple[int, str]:  # fmt: skip
    sub = await hub.subscribe(key)
    try:
        last = parse_stream_id(last_id)
        while True:  # replay what is already in the stream
            batch = await hub.read_after(key, last_id)
            if not batch:
                break
            for entry in batch:
                await _send_entry(socket, entry)
                last, last_id = entry.key, entry.id
                if entry.end:
                    return 1000, "session ended"
        if ended_in_db:  # ended, and its end marker expired or was never written
            await socket.send_text('{"type":"end"}')
            return 1000, "session ended"
        while True:
            item = await sub.queue.get()
            if item is OVERFLOW:
                VIEWER_DROPS.inc()
                return WS_TRY_AGAIN_LATER, "viewer too slow; reconnect with last_id"
            if item is CLOSED:
                return WS_GOING_AWAY, "server shutting down; reconnect with last_id"
            assert isinstance(item, Entry)
            if item.key <= last:
                continue
            await _send_entry(socket, item)
            last = item.key
            if item.end:
                return 1000, "session ended"
    finally:
        hub.unsubscribe(sub)


@websocket("/api/v1/sessions/{session_id:uuid}/watch", exclude_from_auth=True)
async def watch(
    socket: WebSocket[Any, Any, Any],
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
    sockets = _track(socket)
    ACTIVE_VIEWERS.inc()
    pump = asyncio.create_task(
        _pump(socket, hub, hub.key(session_id), last_id or "0-0", row["status"] == "ended")
    )

    async def drain() -> None:
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass

    reader = asyncio.create_task(drain())
    try:
        done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
        if pump in done:
            try:
                code, reason = pump.result()
            except RETRYABLE:
                code, reason = WS_TRY_AGAIN_LATER, "stream store unavailable; reconnect"
            except Exception:  # the socket went away mid-send
                return
            with contextlib.suppress(Exception):
                await socket.close(code, reason)
    finally:
        for task in (pump, reader):
            task.cancel()
        for task in (pump, reader):
            with contextlib.suppress(BaseException):
                await task
        ACTIVE_VIEWERS.dec()
        sockets.discard(socket)
