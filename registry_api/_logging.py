"""Structured (JSON lines) logging for the ``registry_api`` loggers.

Every HTTP request and WebSocket gets a request id: the client's ``X-Request-ID`` when it is
a short token (``[A-Za-z0-9._:-]{1,64}``), otherwise a new random one. It is returned in the
``X-Request-ID`` response header and added as ``requestId`` to every log line written while
the request (or socket, including tasks it starts) is being served.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

__all__ = [
    "JsonFormatter",
    "access_log_middleware",
    "configure_logging",
    "uvicorn_log_config",
]

_access = logging.getLogger("registry_api.access")
_request_id: ContextVar[str | None] = ContextVar("qt_request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


_STD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg`` plus any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line."""
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = _request_id.get()
        if rid is not None:
            out["requestId"] = rid
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Attach a JSON stderr handler to the ``registry_api`` logger (idempotent)."""
    logger = logging.getLogger("registry_api")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def uvicorn_log_config(level: str = "WARNING") -> dict[str, Any]:
    """A ``logging.config`` dict that makes uvicorn's own loggers write JSON lines too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["json"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def _pick_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def access_log_middleware(app: Any) -> Any:
    """ASGI middleware: request id, plus one ``registry_api.access`` JSON line per request.

    HTTP requests log ``request`` (method, path without query, status, durationMs, client);
    WebSockets log ``websocket`` when they finish (path, closeCode, durationMs, client).
    """

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        rid = _pick_request_id(scope.get("headers") or [])
        token = _request_id.set(rid)
        start = time.perf_counter()
        status: int | None = 500 if scope["type"] == "http" else None

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", rid.encode("ascii")))
                message = {**message, "headers": headers}
            elif kind == "websocket.close":
                status = message.get("code", 1000)
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            if _access.isEnabledFor(logging.INFO):
                client = scope.get("client") or ("", 0)
                is_http = scope["type"] == "http"
                fields: dict[str, Any] = {"path": scope["path"]}
                if is_http:
                    fields["method"] = scope["method"]
                fields["status" if is_http else "closeCode"] = status
                fields["durationMs"] = round((time.perf_counter() - start) * 1000, 2)
                fields["client"] = client[0]
                _access.info("request" if is_http else "websocket", extra=fields)
            _request_id.reset(token)

    return middleware
