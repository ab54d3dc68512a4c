"""Application factory and lifespan (pool, Redis client, stream hub, graceful shutdown)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, MediaType, Request, Response
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.plugins import InitPluginProtocol
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ExceptionHandlersMap
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from registry_api._db import Database, apply_migrations
from registry_api._edge import DEFAULT_SITE_CSP, CountedPrometheusMiddleware, wrap_edge
from registry_api._errors import validation_error_handler
from registry_api._group_commit import GroupCommit
from registry_api._live import LiveRegistry, LiveSupervisor
from registry_api._logging import configure_logging
from registry_api._login import HashLimiter, LoginThrottle
from registry_api._ops import VERSION, health, ready, service_info
from registry_api._pressure import FanoutPressure
from registry_api._runs import RunController, provide_db
from registry_api._security import UserCache, make_jwt_auth
from registry_api._sessions import SessionController
from registry_api._settings import Settings, get_settings
from registry_api._site import SKIP_COMPRESSION, create_site_router
from registry_api._sockets import present, watch
from registry_api._streams import StreamHub
from registry_api._users import AuditController, AuthController, UserController

__all__ = ["create_app"]

_log = logging.getLogger("registry_api")
_errors = logging.getLogger("registry_api.errors")


def _data_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Postgres rejected a value (e.g. ``\\u0000`` in text): the client's fault, 400.

    The reply names the SQLSTATE class only; the database's own message (which can quote
    internals such as column types or encodings) goes to the log, not to the client.
    """
    code = getattr(exc, "sqlstate", None) or "22000"
    _log.info("value rejected by the database", extra={"sqlstate": code, "error": str(exc)})
    return Response(
        {
            "status_code": 400,
            "detail": f"a value was rejected by the database ({code}):"
            " text must not contain NUL characters, numbers must fit their fields",
        },
        status_code=400,
        media_type=MediaType.JSON,
    )


def _too_deep(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """JSON nested deeper than the interpreter's recursion limit: the client's fault, 400.

    msgspec (decoding), ``json`` (content hash) and the feature walk all stop at Python's
    recursion limit; whichever reaches it first raises ``RecursionError`` before any write.
    """
    return Response(
        {"status_code": 400, "detail": "JSON body is nested too deeply"},
        status_code=400,
        media_type=MediaType.JSON,
    )


def _redis_down(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    _log.warning("redis unavailable", extra={"error": repr(exc)})
    return Response(
        {"status_code": 503, "detail": "stream store unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": "2"},
        media_type=MediaType.JSON,
    )


_HANDLERS: ExceptionHandlersMap = {
    asyncpg.DataError: _data_error,
    ValidationException: validation_error_handler,
    RedisConnectionError: _redis_down,
    RedisTimeoutError: _redis_down,
    RecursionError: _too_deep,
}
#: errors a handler above turns into a response (logged there, if at all)
_EXPECTED_ERRORS = tuple(k for k in _HANDLERS if isinstance(k, type))


async def _log_unexpected(exc: Exception, scope: Any) -> None:
    """``after_exception`` hook: log errors that become a 500, with traceback and request id.

    Client errors, and the 503s of an unavailable backend (logged where they are mapped),
    are expected and not logged here.
    """
    if isinstance(exc, _EXPECTED_ERRORS):
        return
    if isinstance(exc, HTTPException) and (exc.status_code < 500 or exc.status_code == 503):
        return
    _errors.error(
        "unhandled error",
        exc_info=exc,
        extra={"method": scope.get("method", "WS"), "path": scope.get("path")},
    )


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if not (settings.database_url and settings.redis_url):
        raise RuntimeError(
            "DATABASE_URL and REDIS_URL must be set for create_app(); "
            "`python -m registry_api serve` starts embedded servers when they are not"
        )
    db = Database(settings.database_url, min_size=settings.pool_min, max_size=settings.pool_max)
    await db.connect()
    if settings.migrate_on_start:
        async with db.connection() as conn:
            applied = await apply_migrations(conn)
        if applied:
            _log.info("migrations applied", extra={"versions": applied})
    redis = Redis.from_url(
        settings.redis_url,
        decode_responses=False,
        socket_connect_timeout=2,
        socket_timeout=10,
        health_check_interval=15,
    )
    hub = StreamHub(
        redis,
        prefix=settings.redis_prefix,
        maxlen=settings.stream_maxlen,
        max_bytes=settings.stream_max_bytes,
        page_bytes=settings.replay_page_bytes,
        queue_bytes=settings.viewer_queue_bytes,
        open_ttl=2 * settings.session_idle_seconds,
    )
    users = UserCache(settings.user_cache_seconds)
    live = LiveRegistry(users)
    app.state.login_throttle = LoginThrottle(
        redis,
        settings.redis_prefix,
        ip_failures=settings.login_ip_failures,
        free_failures=settings.login_free_failures,
        max_backoff=settings.login_max_backoff_seconds,
    )
    app.state.db, app.state.redis, app.state.hub, app.state.live = db, redis, hub, live
    app.state.user_cache = users
    app.state.fanout = FanoutPressure(
        settings.publish_yield_lag_ms / 1000, settings.publish_yield_max_ms / 1000
    )
    app.state.publisher = GroupCommit(
        db, max_batch=settings.publish_batch_max, pressure=app.state.fanout
    )
    supervisor = LiveSupervisor(app.state)
    supervisor.start()
    # Everything made so far (modules, the app, its routes and pools) lives as long as the
    # process: move it out of the collector's reach, so a full collection scans only what
    # requests made since. Without this each full collection took 30-50 ms under the publish
    # benchmark, a stall for every request in flight on the instance (gc.freeze, as the
    # gc module's documentation suggests for long-running servers).
    gc.collect()
    gc.freeze()
    _log.info("registry started", extra={"pid": os.getpid(), "frozen": gc.get_freeze_count()})
    try:
        yield
    finally:
        gc.unfreeze()  # an app made again in this process (tests) freezes afresh
        _log.info("registry shutting down", extra={"sockets": len(live.conns)})
        await supervisor.stop()
        await hub.close()  # viewers get CLOSED -> close 1001 "reconnect with last_id"
        live.kick_all(1001, "server shutting down; reconnect with last_id")
        for _ in range(40):  # give the handlers a moment to send their close frames
            if not live.conns:
                break
            await asyncio.sleep(0.05)
        await redis.aclose()
        await db.close()
        for hook in app.state.get("after_shutdown", []):
            await hook()


class RegistryCore(InitPluginProtocol):
    """Wires controllers, dependencies, auth, metrics and error mapping (litestar-fullstack)."""

    def __init__(self, settings: Settings, site_dir: Path | None) -> None:
        self.settings = settings
        self.site_dir = site_dir

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register everything on ``app_config``."""
        s = self.settings
        jwt_auth = make_jwt_auth(s.jwt_secret, s.token_ttl_seconds)
        prometheus = PrometheusConfig(
            app_name="quantumtime_registry",
            prefix="qt_http",
            group_path=True,
            exclude=[r"^/metrics"],
            middleware_class=CountedPrometheusMiddleware,
        )
        self.prometheus = prometheus
        app_config.route_handlers.extend([
            AuthController, UserController, AuditController, RunController,
            SessionController, present, watch, health, ready, service_info, PrometheusController,
        ])  # fmt: skip
        if self.site_dir is not None:
            app_config.route_handlers.append(
                create_site_router(self.site_dir, opt={"exclude_from_auth": True})
            )
        app_config.dependencies["db"] = Provide(provide_db, sync_to_thread=False)
        app_config.middleware.append(prometheus.middleware)
        app_config.exception_handlers.update(_HANDLERS)
        app_config.lifespan.append(_lifespan)
        app_config.after_exception.append(_log_unexpected)
        limiter = HashLimiter(s.password_hash_concurrency, s.password_hash_queue)
        app_config.state = State({"settings": s, "jwt_auth": jwt_auth, "hash_limiter": limiter})
        app_config.openapi_config = OpenAPIConfig(
            title="QuantumTime registry",
            version=VERSION,
            description="Publish runs and share live sessions. Auth: POST /api/v1/token, then "
            "`Authorization: Bearer <token>` (WebSockets also accept `?token=`).",
            path="/api/schema",
            render_plugins=[JsonRenderPlugin()],
            tags=[Tag(name=n) for n in ("auth", "runs", "sessions", "users", "audit", "ops")],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
            security=[{"BearerToken": []}],
        )
        app_config = jwt_auth.on_app_init(app_config)
        return app_config


def create_app(
    settings: Settings | None = None,
    *,
    site_dir: Path | None = None,
    tracer_provider: Any | None = None,
) -> Litestar:
    """Build the registry app.

    Args:
        settings: Configuration; defaults to :func:`get_settings` (environment).
        site_dir: Built MkDocs site to serve at ``/`` (API stays under ``/api/``).
        tracer_provider: OpenTelemetry ``TracerProvider`` for request spans; passing one
            enables tracing like ``QT_OTEL=1`` does (which uses the global provider).

    Returns:
        The Litestar application. Postgres and Redis are connected in its lifespan.
    """
    configure_logging(os.environ.get("QT_LOG_LEVEL", "INFO"))
    settings = settings or get_settings()
    core = RegistryCore(settings, site_dir)
    plugins: list[Any] = [core]
    middleware: list[Any] = []
    if os.environ.get("QT_OTEL") == "1" or tracer_provider is not None:
        from registry_api._tracing import make_otel_plugin, route_span_middleware

        plugins.append(make_otel_plugin(tracer_provider))
        middleware.append(route_span_middleware)
    # Passed here, not in on_app_init: Litestar 2.25 reads these arguments, not the plugin's
    # config. gzip for clients that accept it: the site's Pyodide runtime (~14 MB on a first
    # visit) and the API's JSON; bodies under 1 KiB gain nothing. The site's routes compress
    # their files once and answer 304s themselves (registry_api._site).
    app = Litestar(
        plugins=plugins,
        middleware=middleware,
        request_max_body_size=settings.max_body_bytes,
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude_opt_key=SKIP_COMPRESSION
        ),
    )
    # Outside routing: headers, metrics and access log also for 404s and the auth middleware's
    # 401s (registry_api._edge).
    app.asgi_handler = wrap_edge(
        app.asgi_handler,
        core.prometheus,
        site=site_dir is not None,
        site_csp=settings.site_csp or DEFAULT_SITE_CSP,
    )
    return app
