"""Structured (JSON lines) logging for the ``registry_api`` loggers, with tokens redacted.

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
    "REDACTED_LOGGERS",
    "JsonFormatter",
    "RedactTokens",
    "access_log_middleware",
    "configure_logging",
    "install_redaction",
    "redact",
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


_SECRET_PATTERNS = (
    # ?token=… / &token=… in a logged URL (WebSocket paths, the HTTP query fallback)
    (re.compile(r"(?i)((?:^|[?&\s\"'])(?:access_?)?token=)[^&\s\"']+"), r"\1[redacted]"),
    # Authorization: Bearer … (uvicorn's trace log prints raw header tuples)
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1[redacted]"),
    # any bare JWT (three base64url parts, the first starting with '{"' encoded)
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "[redacted-jwt]"),
)


def redact(text: str) -> str:
    """``text`` with bearer tokens (``?token=``, ``Bearer …``, bare JWTs) replaced."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactTokens(logging.Filter):
    """Logging filter that removes bearer tokens from a record's message and arguments.

    uvicorn's access log writes the full request path, query string included, so a WebSocket
    ``?token=`` would be logged; its trace log writes whole ASGI scopes (``query_string``).
    Each argument is redacted on its own and keeps its type unless it held a token, because
    formatters such as uvicorn's ``AccessFormatter`` unpack the arguments by position.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


def _redact_arg(value: Any) -> Any:
    """``value`` unchanged, or its redacted text if its text held a token."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


#: loggers that write request lines or raw ASGI messages
REDACTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "registry_api")


def install_redaction() -> None:
    """Attach :class:`RedactTokens` to the uvicorn and registry loggers (idempotent)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def configure_logging(level: str = "INFO") -> None:
    """Attach a JSON stderr handler to the ``registry_api`` logger (idempotent).

    Also installs :class:`RedactTokens` on uvicorn's loggers, so a server started as
    ``uvicorn --factory registry_api:create_app`` does not log bearer tokens either.
    """
    install_redaction()
    logger = logging.getLogger("registry_api")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactTokens())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def uvicorn_log_config(level: str = "WARNING") -> dict[str, Any]:
    """A ``logging.config`` dict that makes uvicorn's own loggers write JSON lines too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"redact": {"()": RedactTokens}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["redact"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["json"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
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
