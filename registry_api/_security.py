"""Password hashing, JWT authentication and role guards.

Tokens are HS256 JWTs made by Litestar's :class:`~litestar.security.jwt.JWTAuth`; only the
configured algorithm is accepted (so ``alg: none`` and HS/RS confusion fail), and ``exp``,
``iat``, ``sub``, ``iss`` and ``aud`` are required and checked. A token that passed these checks
is remembered (:class:`TokenCache`) until its ``exp``, which is compared with the clock on every
request: a client sends the same token many times, and verifying it again gives the same answer
until then (an HMAC and claim checks, ~50 µs a request). The account (active flag, role, token
version) is read from Postgres, and remembered for at most ``USER_CACHE_SECONDS``
(:class:`UserCache`): an account change made through the API forgets it on the instance that
made it before the change is answered, and on the other instances when the change's
announcement arrives (milliseconds); the expiry bounds what an announcement lost, or a change
written straight to the database, can leave. Tokens carry the account's ``token_version`` as the
``tv`` claim (absent = 0); changing the password increments it, revoking older tokens.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from msgspec import Struct

from registry_api._metrics import ACCOUNT_READS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Receive, Scope, Send

    from registry_api._db import Database
    from registry_api._login import HashLimiter

__all__ = [
    "HELD_CONNECTION_KEY",
    "HOLD_CONNECTION",
    "ISSUER",
    "AuthUser",
    "QueryTokenJWTMiddleware",
    "TokenCache",
    "UserCache",
    "authenticate_token",
    "hash_password",
    "make_jwt_auth",
    "require_admin",
    "require_researcher",
    "require_researcher_on_loop",
    "require_viewer",
    "require_viewer_on_loop",
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


def _guard(needed: str, *, on_loop: bool = False) -> Any:
    def check(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, AuthUser):
            raise NotAuthorizedException("authentication required")
        if not role_at_least(user.role, needed):
            raise PermissionDeniedException(
                f"role {user.role!r} may not do this; requires {needed!r} or higher"
            )

    if on_loop:

        async def guard(
            connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
        ) -> None:
            check(connection)

    else:

        def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:  # type: ignore[misc]
            check(connection)

    guard.__name__ = f"requires_{needed}"
    return guard


# Litestar runs a sync guard in its thread pool. That hop is kept where the user read returns
# its connection before the handler takes one: without it, a request that has just returned
# its connection takes one again at once, ahead of the requests queued for the pool (measured:
# half the publish throughput, commit 0ca1a22). Routes that hold one connection from the user
# read to the end of the request (HOLD_CONNECTION) have nothing to queue for again, and check
# roles on the event loop (the *_on_loop guards).
require_viewer = _guard("viewer")
require_researcher = _guard("researcher")
require_admin = _guard("admin")
require_viewer_on_loop = _guard("viewer", on_loop=True)
require_researcher_on_loop = _guard("researcher", on_loop=True)

#: route ``opt`` key: the request takes one pooled connection before the user read and holds
#: it until its response is sent; the handler's ``db`` runs on it (:meth:`Database.bind`)
HOLD_CONNECTION = "hold_db_connection"
#: scope key of the connection a :data:`HOLD_CONNECTION` request holds
HELD_CONNECTION_KEY = "qt_db_connection"


def _monotonic() -> float:
    """The clock that :class:`UserCache` entries expire by (tests move it)."""
    return time.monotonic()


class UserCache:
    """Active accounts read from Postgres, each for at most ``seconds`` after its read began.

    :meth:`forget` drops an account (or all of them); it also makes every read that began
    before it unfit to be stored, so an answer read before a change cannot outlive the
    change's :meth:`forget`. Deactivated, deleted and unknown accounts are never stored: they
    are read again on every request, so a reactivation takes effect at once.

    :meth:`load` reads an account once for every request that misses it meanwhile: when an
    entry expires under load, the requests in flight for that account (dozens, on a busy
    instance) wait for one read instead of each taking a pooled connection for its own,
    which stalled every request on the instance once per ``seconds``.

    Args:
        seconds: How long an account is remembered; ``0`` stores nothing (every request reads).
        size: The most accounts remembered, oldest dropped first.
    """

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._users: dict[int, tuple[AuthUser, float]] = {}
        self._epoch = 0  #: how many times :meth:`forget` ran
        #: reads in flight, by account and the epoch they began in
        self._reads: dict[tuple[int, int], asyncio.Future[AuthUser | None]] = {}

    def get(self, user_id: int) -> AuthUser | None:
        """The remembered account, or ``None`` (never read, expired or forgotten)."""
        hit = self._users.get(user_id)
        if hit is None:
            return None
        user, until = hit
        if until > _monotonic():
            return user
        del self._users[user_id]
        return None

    def begin(self) -> tuple[int, float]:
        """Call before reading an account; hand the result to :meth:`put` with what was read."""
        return self._epoch, _monotonic()

    def put(self, user: AuthUser, began: tuple[int, float]) -> None:
        """Remember ``user``, read since ``began``, unless :meth:`forget` ran meanwhile."""
        epoch, at = began
        if self.seconds <= 0 or epoch != self._epoch:
            return
        self._users.pop(user.id, None)  # re-inserted last: the oldest entry is first
        if len(self._users) >= self.size:
            del self._users[next(iter(self._users))]
        self._users[user.id] = (user, at + self.seconds)

    async def load(
        self,
        user_id: int,
        read: Callable[[], Awaitable[AuthUser | None]],
        *,
        share: bool = True,
    ) -> AuthUser | None:
        """The account, remembered or read; ``None`` if it is unknown or deactivated.

        A miss joins the read of that account already in flight, if one began since the
        last :meth:`forget` (its answer is as fresh as one this request would begin now,
        give or take the read's own duration, which the entry's age counts anyway). Else
        it calls ``read``: with ``share`` as a task of its own that later misses join and
        that a request going away does not cancel; without ``share`` (``read`` runs on a
        connection the request owns) alone, for this request. With ``seconds`` 0 nothing
        is shared: every request reads.
        """
        user = self.get(user_id)
        if user is not None:
            return user
        key = (user_id, self._epoch)
        flight = self._reads.get(key) if self.seconds > 0 else None
        if flight is None:
            if not share or self.seconds <= 0:
                return await self._read(read, self.begin())
            flight = asyncio.ensure_future(self._shared(key, read))
            flight.add_done_callback(_retrieved)  # no "never retrieved" if every waiter left
            self._reads[key] = flight
        return await asyncio.shield(flight)

    async def _read(
        self, read: Callable[[], Awaitable[AuthUser | None]], began: tuple[int, float]
    ) -> AuthUser | None:
        user = await read()
        if user is not None:
            self.put(user, began)
        return user

    async def _shared(
        self, key: tuple[int, int], read: Callable[[], Awaitable[AuthUser | None]]
    ) -> AuthUser | None:
        try:
            return await self._read(read, self.begin())
        finally:
            del self._reads[key]

    def forget(self, user_id: int | None = None) -> None:
        """Drop account ``user_id`` (``None``: every account) and void reads in flight."""
        self._epoch += 1
        if user_id is None:
            self._users.clear()
        else:
            self._users.pop(user_id, None)


def _retrieved(flight: asyncio.Future[Any]) -> None:
    if not flight.cancelled():
        flight.exception()


async def retrieve_user(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser:
    """Load the token's subject; inactive or deleted accounts are rejected.

    The account comes from the app's :class:`UserCache` (``state.user_cache``) when it
    remembers it, else from Postgres.
    """
    state = connection.app.state
    try:
        user_id = int(token.sub)
    except ValueError:
        raise NotAuthorizedException("invalid token subject") from None
    cache: UserCache | None = state.get("user_cache")
    db: Database = state.db
    held = connection.scope.get(HELD_CONNECTION_KEY)
    if held is not None:
        db = db.bind(held)

    async def read() -> AuthUser | None:
        ACCOUNT_READS.inc()
        async with db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT id, username, role, token_version FROM users WHERE id = $1 AND active",
                user_id,
            )
        if row is None:
            return None
        return AuthUser(
            id=row["id"], username=row["username"], role=row["role"],
            token_version=row["token_version"],
        )  # fmt: skip

    # a request that holds a connection reads on it (one pool round per request), but
    # joins a read already in flight; the others share one read per account
    user = await (read() if cache is None else cache.load(user_id, read, share=held is None))
    if user is None:
        raise NotAuthorizedException("account is unknown or deactivated")
    if token.extras.get("tv", 0) != user.token_version:
        raise NotAuthorizedException("token revoked (password changed): sign in again")
    return user


def _now() -> float:
    """The clock that expiry is checked against (seconds since the epoch; tests move it)."""
    return time.time()


class TokenCache:
    """Tokens that passed full verification, until they expire.

    Keyed by the encoded token and everything it was verified against (secret, algorithm,
    audience, issuer, required claims), so apps in one process that differ in any of these
    cannot accept each other's tokens. A hit is re-checked against the
    clock: PyJWT accepts a token while ``exp > now``, and so does a hit. Only ``exp`` can
    change a verified token's answer (``iat`` and ``nbf`` only move from "not yet" to
    "valid", and failures are not remembered). At most ``size`` tokens are kept, oldest
    dropped first; only signed tokens get in, so its size is the number of tokens issued.

    Args:
        size: The most tokens remembered.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._tokens: dict[tuple[object, ...], tuple[Token, int]] = {}

    def decode(
        self,
        encoded: str,
        *,
        secret: str,
        algorithm: str,
        audience: list[str],
        issuer: list[str],
        require_claims: list[str],
    ) -> Token:
        """``Token.decode`` with these arguments, or its remembered result.

        Raises:
            NotAuthorizedException: Invalid, tampered or expired token.
        """
        key = (encoded, secret, algorithm, tuple(audience), tuple(issuer), tuple(require_claims))
        hit = self._tokens.get(key)
        if hit is not None:
            token, exp = hit
            if exp > _now():
                return token
            del self._tokens[key]
            raise NotAuthorizedException("Invalid token")  # what PyJWT's expiry check says
        token = Token.decode(
            encoded_token=encoded,
            secret=secret,
            algorithm=algorithm,
            audience=audience,
            issuer=issuer,
            require_claims=require_claims,
        )
        if len(self._tokens) >= self.size:
            del self._tokens[next(iter(self._tokens))]
        self._tokens[key] = (token, int(token.exp.timestamp()))
        return token

    def clear(self) -> None:
        """Forget every token."""
        self._tokens.clear()


#: the process's verified tokens (HTTP middleware and WebSocket handlers share it)
TOKENS = TokenCache()


class QueryTokenJWTMiddleware(JWTAuthenticationMiddleware):
    """JWT middleware that also accepts ``?token=`` (browsers cannot set WebSocket headers).

    On an HTTP route whose ``opt`` sets :data:`HOLD_CONNECTION`, it takes one pooled
    connection before the user read and returns it when the request is done; the user read
    and the handler's statements run on it (one pool round per request, not two).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate (on a held connection where the route asks for one), then call on."""
        handler = scope.get("route_handler")
        if (
            scope["type"] != ScopeType.HTTP
            or handler is None
            or not handler.opt.get(HOLD_CONNECTION)
        ):
            await super().__call__(scope, receive, send)
            return
        db: Database = scope["litestar_app"].state.db
        async with db.connection() as conn:
            marks: Any = scope
            marks[HELD_CONNECTION_KEY] = conn
            try:
                await super().__call__(scope, receive, send)
            finally:
                del marks[HELD_CONNECTION_KEY]

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

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Verify ``encoded_token`` (through :data:`TOKENS`) and load its user."""
        token = TOKENS.decode(
            encoded_token,
            secret=self.token_secret,
            algorithm=self.algorithm,
            audience=list(self.token_audience or []),
            issuer=list(self.token_issuer or []),
            require_claims=list(self.require_claims or []),
        )
        user = await retrieve_user(token, connection)
        return AuthenticationResult(user=user, auth=token)


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
    token = TOKENS.decode(
        encoded,
        secret=jwt_auth.token_secret,
        algorithm=jwt_auth.algorithm,
        audience=list(jwt_auth.accepted_audiences or []),
        issuer=list(jwt_auth.accepted_issuers or []),
        require_claims=list(jwt_auth.require_claims or []),
    )
    return await retrieve_user(token, connection)
