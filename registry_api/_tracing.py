"""Optional OpenTelemetry tracing through Litestar's plugin (``QT_OTEL=1``).

The plugin's ASGI middleware opens one SERVER span per request or WebSocket. This module
configures it for the registry:

* spans use the global tracer provider unless one is passed (configure the SDK and an
  exporter in the process, e.g. by running under ``opentelemetry-instrument``);
* per-message ``send``/``receive`` child spans are off (a watched session would otherwise
  emit one span per frame);
* probes and the scrape endpoint (``/health``, ``/ready``, ``/metrics``) are not traced;
* ``?token=`` is redacted from ``http.url`` / ``url.query`` (browsers put the bearer token
  of a WebSocket in the query string);
* once routing has run, the span is renamed to ``METHOD <route template>`` and ``http.route``
  is set to the template, so span names do not contain run or session ids.

``opentelemetry-api`` is imported only when tracing is enabled.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.plugins import PluginProtocol
    from litestar.types import ASGIApp, Receive, Scope, Send
    from opentelemetry.trace import Span, TracerProvider

__all__ = ["make_otel_plugin", "redact_query", "route_span_middleware"]

_TOKEN_RE = re.compile(r"(^|&)(token|access_token)=[^&]*", re.IGNORECASE)
_UNTRACED = [r"^/health$", r"^/ready$", r"^/metrics"]


def redact_query(query: str) -> str:
    """Replace the value of any ``token``/``access_token`` query parameter with ``REDACTED``."""
    return _TOKEN_RE.sub(r"\1\2=REDACTED", query)


def _redact_span(span: Span, scope: dict[str, Any]) -> None:
    """Server-request hook: strip bearer tokens from the span's URL attributes."""
    raw = scope.get("query_string") or b""
    if b"token=" not in raw.lower() or not span.is_recording():
        return
    attributes: Any = getattr(span, "attributes", None) or {}
    url = attributes.get("http.url")
    if isinstance(url, str) and "?" in url:
        base, _, query = url.partition("?")
        span.set_attribute("http.url", f"{base}?{redact_query(query)}")
    query_attr = attributes.get("url.query")
    if isinstance(query_attr, str):
        span.set_attribute("url.query", redact_query(query_attr))


def route_span_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware (runs after routing): name the current span after the route template."""
    from opentelemetry import trace

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        template = scope.get("path_template")
        span = trace.get_current_span()
        if template and span.is_recording():
            verb = scope.get("method", "WS") if scope["type"] == ScopeType.HTTP else "WS"
            span.update_name(f"{verb} {template}")
            span.set_attribute("http.route", template)
        await app(scope, receive, send)

    return middleware


def make_otel_plugin(tracer_provider: TracerProvider | None = None) -> PluginProtocol:
    """Build Litestar's OpenTelemetry plugin configured as described in the module docstring.

    Args:
        tracer_provider: Provider to create spans with; ``None`` uses the global one.

    Returns:
        The plugin, to pass in ``Litestar(plugins=[...])``.
    """
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    config = OpenTelemetryConfig(
        tracer_provider=tracer_provider,
        server_request_hook_handler=_redact_span,
        exclude_spans=["receive", "send"],
        exclude=list(_UNTRACED),
    )
    return OpenTelemetryPlugin(config)
