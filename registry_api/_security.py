"""Password hashing, JWT authentication and role guards.

Tokens are HS256 JWTs made by Litestar's :class:`~litestar.security.jwt.JWTAuth`; only the
configured algorithm is accepted (so ``alg: none`` and HS/RS confusion fail), and ``exp``,
``iat``, ``sub``, ``iss`` and ``aud`` are required and checked on every request. The user is
re-read from Postgres on every request, so a deactivated account or changed role takes effect
at once rather than when its token expires. Tokens carry the account's ``token_version`` as the
``tv`` claim (absent = 0); changing the password increments it, revoking older tokens.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from msgspec import Struct

if TYPE_CHECKING:
    from litestar.handlers.base import BaseRouteHandler

    from registry_api._db import Database
    from registry_api._login import HashLimiter

__all__ = [
    "ISSUER",
    "AuthUser",
    "QueryTokenJWTMiddleware",
    "authenticate_token",
    "hash_password",
    "make_jwt_auth",
    "require_admin",
    "require_researcher",
    "require_viewer",
    "role_at_least",
    "verify_password",
]

ISSUER = "quantumtime-registry"
_RANK = {"viewer": 0, "researcher": 1, "admin": 2}
# Memory-hard Argon2id: 64 MiB, 2 passes (OWASP's second recommended profile is 19 MiB/2).
_hasher = PasswordHasher(time_cost=2, memory_cost=64 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


class AuthUser(Struct, frozen=True):
    """The authenticated principal attached to ``request.user``."""

    id: int
    username: str
    role: str
    token_version: int = 0


async def hash_password(password: str, limiter: HashLimiter | None = None) -> str:
    """Hash ``password`` with Argon2id off the event loop (through ``limiter`` if given)."""
    if limiter is None:
        return await asyncio.to_thread(_hasher.hash, password)
    return await limiter.run(_hasher.hash, password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(
    stored_hash: str | None, password: str, limiter: HashLimiter | None = None
) -> bool:
    """Check ``password`` against ``stored_hash`` in constant-ish time.

    A missing account still pays for one verification so response time does not reveal
    whether a username exists.
    """
    if limiter is None:
        return await asyncio.to_thread(_verify, stored_hash, password)
    return await limiter.run(_verify, stored_hash, password)


def role_at_least(role: str, needed: str) -> bool:
    """Return whether ``role`` includes the rights of ``needed`` (viewer < researcher < admin)."""
    return _RANK.get(role, -1) >= _RANK[needed]


def _guard(needed: str) -> Any:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, AuthUser):
            raise NotAuthorizedException("authentication required")
        if not role_at_least(user.role, needed):
            raise PermissionDeniedException(
                f"role {user.role!r} may not do this; requires {needed!r} or higher"
            )

    guard.__name__ = f"requires_{needed}"
    return guard


require_viewer = _guard("viewer")
require_researcher = _guard("researcher")
require_admin = _guard("admin")


async def retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser:
    """Load the token's subject; inactive or deleted accounts are rejected."""
    db: Database = connection.app.state.db
    try:
        user_id = int(token.sub)
    except ValueError:
        raise NotAuthorizedException("invalid token subject") from None
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, username, role, token_version FROM users WHERE id = $1 AND active",
            user_id,
        )
    if row is None:
        raise NotAuthorizedException("account is unknown or deactivated")
    if token.extras.get("tv", 0) != row["token_version"]:
        raise NotAuthorizedException("token revoked (password changed): sign in again")
    return AuthUser(
        id=row["id"], username=row["username"], role=row["role"],
        token_version=row["token_version"],
    )  # fmt: skip


class QueryTokenJWTMiddleware(JWTAuthenticationMiddleware):
    """JWT middleware that also accepts ``?token=`` (browsers cannot set WebSocket headers)."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Authenticate from the ``Authorization: Bearer`` header or the ``token`` query param."""
        header = connection.headers.get(self.auth_header, "")
        scheme, _, encoded = header.partition(" ")
        if header and scheme.lower() != "bearer":
            raise NotAuthorizedException("Authorization header must use the Bearer scheme")
        encoded = encoded or connection.query_params.get("token", "")
        if not encoded:
            raise NotAuthorizedException("No JWT token found in header or token query parameter")
        return await self.authenticate_token(encoded_token=encoded, connection=connection)


def make_jwt_auth(secret: str, ttl_seconds: int) -> JWTAuth[AuthUser, Token]:
    """Build the app's :class:`JWTAuth` configuration."""
    return JWTAuth[AuthUser, Token](
        token_secret=secret,
        retrieve_user_handler=retrieve_user,
        algorithm="HS256",
        default_token_expiration=timedelta(seconds=ttl_seconds),
        accepted_issuers=[ISSUER],
        accepted_audiences=[ISSUER],
        require_claims=["exp", "iat", "sub", "iss", "aud"],
        authentication_middleware_class=QueryTokenJWTMiddleware,
        exclude=[
            r"^/health$",
            r"^/ready$",
            r"^/metrics",
            r"^/api/schema",
            r"^/api/v1/token$",
            r"^/api/v1/sessions/[^/]+/(present|watch)$",
        ],
        exclude_opt_key="exclude_from_auth",
    )


async def authenticate_token(
    jwt_auth: JWTAuth[AuthUser, Token],
    encoded: str,
    connection: ASGIConnection[Any, Any, Any, Any],
) -> AuthUser:
    """Validate ``encoded`` exactly as the middleware does (used by WebSocket handlers)."""
    token = Token.decode(
        encoded_token=encoded,
        secret=jwt_auth.token_secret,
        algorithm=jwt_auth.algorithm,
        audience=list(jwt_auth.accepted_audiences or []),
        issuer=list(jwt_auth.accepted_issuers or []),
        require_claims=list(jwt_auth.require_claims or []),
    )
    return await retrieve_user(token, connection)
