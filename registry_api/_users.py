"""Token endpoint, ``/me``, admin user management and the audit log."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT

from registry_api import _audit
from registry_api._db import Database
from registry_api._live import announce
from registry_api._login import LoginThrottle
from registry_api._schemas import (
    AuditEvent,
    AuditPage,
    Token,
    TokenRequest,
    User,
    UserCreate,
    UserUpdate,
)
from registry_api._security import (
    AuthUser,
    hash_password,
    require_admin,
    require_viewer,
    verify_password,
)
from registry_api._wire import UserChanged

__all__ = ["AuditController", "AuthController", "UserController"]

_log = logging.getLogger("registry_api.auth")
_USER_COLS = "id, username, role, active, created_at"


class ConflictError(ClientException):
    """409: the request conflicts with current state."""

    status_code = HTTP_409_CONFLICT


async def _keep_an_admin(
    conn: asyncpg.Connection, me: AuthUser, target: int, *, loses_admin: bool
) -> None:
    """Serialise admin-changing writes and refuse one that would leave no active admin.

    Locks every active admin row (in id order, so concurrent callers queue instead of
    deadlocking). A caller that waited re-reads the rows as committed meanwhile: if it was
    demoted or deactivated by the write it waited for, it is no longer an admin (403); if the
    target is the last active admin, 409. Two admins demoting each other thus end with one.
    """
    rows = await conn.fetch(
        "SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id FOR UPDATE"
    )
    admins = {r["id"] for r in rows}
    if me.id not in admins:
        raise PermissionDeniedException("your account is no longer an active admin")
    if loses_admin and target in admins and len(admins) == 1:
        raise ConflictError("the registry must keep at least one active admin")


def _user(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        active=row["active"],
        created_at=row["created_at"],
    )


class AuthController(Controller):
    """``/api/v1/token`` and ``/api/v1/me``."""

    path = "/api/v1"
    tags = ["auth"]  # noqa: RUF012

    @post(
        "/token",
        exclude_from_auth=True,
        status_code=HTTP_200_OK,
        cache_control=CacheControlHeader(no_store=True),
        summary="Exchange username and password for a bearer token",
        security=[],
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        db: NamedDependency[Database],
    ) -> Token:
        """Issue a short-lived HS256 JWT (401 on bad credentials or inactive account).

        Sign-in attempts are throttled per account and per client address (429 with
        ``Retry-After``) and password hashing is bounded (503), see :mod:`registry_api._login`.
        """
        throttle: LoginThrottle = request.app.state.login_throttle
        ip = request.client.host if request.client else "unknown"
        await throttle.admit(ip, data.username)
        async with db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT id, username, password_hash, role, active, token_version FROM users"
                " WHERE username = $1",
                data.username,
            )
        ok = await verify_password(
            row["password_hash"] if row else None, data.password, request.app.state.hash_limiter
        )
        if row is None or not ok or not row["active"]:
            await throttle.failed(ip, data.username)
            _log.info("login failed", extra={"username": data.username, "client": ip})
            raise NotAuthorizedException("invalid username or password")
        await throttle.succeeded(ip, data.username)
        jwt_auth = request.app.state.jwt_auth
        from registry_api._security import ISSUER

        encoded = jwt_auth.create_token(
            identifier=str(row["id"]),
            token_issuer=ISSUER,
            token_audience=ISSUER,
            token_extras={"role": row["role"], "username": row["username"],
                          "tv": row["token_version"]},
        )  # fmt: skip
        ttl = int(jwt_auth.default_token_expiration.total_seconds())
        return Token(access_token=encoded, expires_in=ttl, role=row["role"])

    @get("/me", guards=[require_viewer], summary="The authenticated account")
    async def me(self, request: Request[AuthUser, Any, Any], db: NamedDependency[Database]) -> User:
        """Return the caller's account."""
        async with db.connection() as conn:
            row = await conn.fetchrow(
                f"SELECT {_USER_COLS} FROM users WHERE id = $1", request.user.id
            )
        if row is None:
            raise NotFoundException("account not found")
        return _user(row)


class UserController(Controller):
    """``/api/v1/users`` (admin only)."""

    path = "/api/v1/users"
    tags = ["users"]  # noqa: RUF012
    guards = [require_admin]  # noqa: RUF012

    @get("/", summary="List accounts")
    async def list_users(self, db: NamedDependency[Database]) -> list[User]:
        """Return every account, oldest first."""
        async with db.connection() as conn:
            rows = await conn.fetch(f"SELECT {_USER_COLS} FROM users ORDER BY id")
        return [_user(r) for r in rows]

    @post("/", summary="Create an account")
    async def create_user(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[UserCreate],
        db: NamedDependency[Database],
    ) -> User:
        """Create an account (409 if the username is taken)."""
        hashed = await hash_password(data.password, request.app.state.hash_limiter)
        try:
            async with db.transaction() as conn:
                row = await conn.fetchrow(
                    "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)"
                    f" RETURNING {_USER_COLS}",
                    data.username,
                    hashed,
                    data.role,
                )
                assert row is not None
                await _audit.record(
                    conn, request.user, "user.create", "user", str(row["id"]),
                    {"username": data.username, "role": data.role},
                )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise ConflictError(f"username {data.username!r} is taken") from None
        return _user(row)

    @get("/{user_id:int}", summary="Fetch an account")
    async def get_user(self, user_id: FromPath[int], db: NamedDependency[Database]) -> User:
        """Return one account."""
        async with db.connection() as conn:
            row = await conn.fetchrow(f"SELECT {_USER_COLS} FROM users WHERE id = $1", user_id)
        if row is None:
            raise NotFoundException(f"user {user_id} not found")
        return _user(row)

    @patch("/{user_id:int}", summary="Change role, active flag or password")
    async def update_user(
        self,
        request: Request[AuthUser, Any, Any],
        user_id: FromPath[int],
        data: JSONBody[UserUpdate],
        db: NamedDependency[Database],
    ) -> User:
        """Update an account; admins cannot demote or deactivate themselves."""
        me = request.user
        if user_id == me.id and (
            (data.role is not None and data.role != "admin") or data.active is False
        ):
            raise ConflictError("admins cannot demote or deactivate their own account")
        limiter = request.app.state.hash_limiter
        hashed = await hash_password(data.password, limiter) if data.password is not None else None
        loses_admin = (data.role is not None and data.role != "admin") or data.active is False
        async with db.transaction() as conn:
            await _keep_an_admin(conn, me, user_id, loses_admin=loses_admin)
            row = await conn.fetchrow(  # a new password revokes older tokens (token_version)
                "UPDATE users SET role = COALESCE($2, role), active = COALESCE($3, active),"
                " password_hash = COALESCE($4, password_hash),"
                " token_version = token_version + ($4::text IS NOT NULL)::int"
                f" WHERE id = $1 RETURNING {_USER_COLS}",
                user_id,
                data.role,
                data.active,
                hashed,
            )
            if row is None:
                raise NotFoundException(f"user {user_id} not found")
            changed = {"role": data.role, "active": data.active,
                       "passwordChanged": data.password is not None}  # fmt: skip
            await _audit.record(conn, me, "user.update", "user", str(user_id), changed)
        await announce(request.app.state, UserChanged(id=user_id))  # open sockets re-check
        return _user(row)

    @delete("/{user_id:int}", summary="Delete an account")
    async def delete_user(
        self,
        request: Request[AuthUser, Any, Any],
        user_id: FromPath[int],
        db: NamedDependency[Database],
    ) -> None:
        """Delete an account that owns nothing (409 otherwise: deactivate it instead)."""
        if user_id == request.user.id:
            raise ConflictError("admins cannot delete their own account")
        try:
            async with db.transaction() as conn:
                await _keep_an_admin(conn, request.user, user_id, loses_admin=True)
                name = await conn.fetchval(
                    "DELETE FROM users WHERE id = $1 RETURNING username", user_id
                )
                if name is None:
                    raise NotFoundException(f"user {user_id} not found")
                await _audit.record(
                    conn, request.user, "user.delete", "user", str(user_id), {"username": name}
                )
        except asyncpg.ForeignKeyViolationError:
            raise ConflictError(
                f"user {user_id} owns runs or sessions; deactivate it with PATCH active=false"
            ) from None
        await announce(request.app.state, UserChanged(id=user_id))


class AuditController(Controller):
    """``/api/v1/audit`` (admin only)."""

    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012
    guards = [require_admin]  # noqa: RUF012

    @get("/", summary="Read the audit log, newest first")
    async def list_audit(
        self,
        db: NamedDependency[Database],
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        actor: Annotated[str | None, QueryParameter(max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> AuditPage:
        """Return audit events, optionally filtered by action and actor username."""
        where, args = [], []
        if action is not None:
            args.append(action)
            where.append(f"action = ${len(args)}")
        if actor is not None:
            args.append(actor)
            where.append(f"actor_username = ${len(args)}")
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        async with db.connection() as conn:
            total = await conn.fetchval(f"SELECT count(*) FROM audit_events{cond}", *args)
            rows = await conn.fetch(
                "SELECT id, at, actor_username, action, target_type, target_id, detail"
                f" FROM audit_events{cond} ORDER BY id DESC"
                f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
                *args,
                limit,
                offset,
            )
        items = [
            AuditEvent(
                id=r["id"],
                at=r["at"],
                actor=r["actor_username"],
                action=r["action"],
                target_type=r["target_type"],
                target_id=r["target_id"],
                detail=r["detail"],
            )
            for r in rows
        ]
        return AuditPage(items=items, total=total, limit=limit, offset=offset)
