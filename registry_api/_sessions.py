"""Live sessions over HTTP: open, list, fetch, end (the sockets are in ``_sockets``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from qtcore.frames import MAGIC, PREFIX, VERSION
from registry_api import _audit
from registry_api._db import Database
from registry_api._live import announce, end_session
from registry_api._schemas import LiveSession, LiveSessionCreate
from registry_api._security import AuthUser, require_researcher, require_viewer, role_at_least
from registry_api._users import ConflictError
from registry_api._wire import SessionEnded

__all__ = ["SESSION_SELECT", "SessionController", "validate_frame"]


def validate_frame(data: bytes, max_bytes: int) -> str | None:
    """Check the outer framing of a qtcore frame; return an error message or ``None``."""
    if len(data) > max_bytes:
        return f"frame has {len(data)} bytes; the limit is {max_bytes}"
    if len(data) < PREFIX.size:
        return f"frame has {len(data)} bytes; a frame header alone is {PREFIX.size}"
    magic, version, _flags, header_len, data_len = PREFIX.unpack_from(data)
    if magic != MAGIC:
        return f"frame magic is {magic!r}; expected {MAGIC!r}"
    if version != VERSION:
        return f"frame version {version} is not supported; supported: {VERSION}"
    if PREFIX.size + header_len + data_len != len(data):
        return (
            f"frame lengths disagree: {PREFIX.size} + header {header_len} + data {data_len} "
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


SESSION_SELECT = (
    "SELECT s.id, u.username AS owner, s.owner_id, s.title, s.scenario_name, s.status,"
    " s.created_at, s.ended_at FROM live_sessions s JOIN users u ON u.id = s.owner_id"
)


class SessionController(Controller):
    """``/api/v1/sessions``."""

    path = "/api/v1/sessions"
    tags = ["sessions"]  # noqa: RUF012

    @post("/", guards=[require_researcher], status_code=HTTP_201_CREATED,
          summary="Open a live session")  # fmt: skip
    async def create_session(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[LiveSessionCreate],
        db: NamedDependency[Database],
    ) -> LiveSession:
        """Open a session owned by the caller (409 past ``MAX_OPEN_SESSIONS`` open ones)."""
        limit: int = request.app.state.settings.max_open_sessions
        sid = uuid.uuid4()
        async with db.transaction() as conn:
            # one account's concurrent requests queue on its row, so the count cannot race
            await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", request.user.id)
            n = await conn.fetchval(
                "SELECT count(*) FROM live_sessions WHERE owner_id = $1 AND status = 'open'",
                request.user.id,
            )
            if n >= limit:
                raise ConflictError(
                    f"you already have {n} open sessions; the limit is {limit}: end one first"
                )
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
            row = await conn.fetchrow(f"{SESSION_SELECT} WHERE s.id = $1", sid)
        assert row is not None
        return _session(row)

    @get("/", guards=[require_viewer], summary="List live sessions")
    async def list_sessions(
        self,
        db: NamedDependency[Database],
        status: FromQuery[Literal["open", "ended"] | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[LiveSession]:
        """List sessions, newest first (open ones by default)."""
        async with db.connection() as conn:
            if status is None:
                rows = await conn.fetch(
                    f"{SESSION_SELECT} ORDER BY s.created_at DESC LIMIT $1", limit
                )
            else:
                rows = await conn.fetch(
                    f"{SESSION_SELECT} WHERE s.status = $1 ORDER BY s.created_at DESC LIMIT $2",
                    status,
                    limit,
                )
        return [_session(r) for r in rows]

    @get("/{session_id:uuid}", guards=[require_viewer], summary="Fetch a live session")
    async def get_session(
        self, session_id: FromPath[UUID], db: NamedDependency[Database]
    ) -> LiveSession:
        """Return one session."""
        async with db.connection() as conn:
            row = await conn.fetchrow(f"{SESSION_SELECT} WHERE s.id = $1", session_id)
        if row is None:
            raise NotFoundException(f"session {session_id} not found")
        return _session(row)

    @delete("/{session_id:uuid}", guards=[require_researcher], summary="End a live session")
    async def delete_session(
        self,
        request: Request[AuthUser, Any, Any],
        session_id: FromPath[UUID],
        db: NamedDependency[Database],
    ) -> None:
        """End a session (its owner or an admin): viewers receive ``{"type": "end"}`` and
        connected presenters are closed with 4409. 503 (nothing changed) if Postgres or
        Redis is unreachable."""
        async with db.connection() as conn:
            owner = await conn.fetchval(
                "SELECT owner_id FROM live_sessions WHERE id = $1", session_id
            )
        if owner is None:
            raise NotFoundException(f"session {session_id} not found")
        if owner != request.user.id and not role_at_least(request.user.role, "admin"):
            raise PermissionDeniedException("only the session's owner or an admin may end it")
        if await end_session(db, request.app.state.hub, request.user, session_id):
            await announce(request.app.state, SessionEnded(id=str(session_id)))
