"""The outermost ASGI layer: security headers and request metrics for every response.

Litestar's route middleware (its Prometheus middleware, our access log) runs only for matched
routes and inside the authentication middleware, so a 404 for an unknown path or a 401 from
the JWT middleware was neither counted nor logged. :func:`wrap_edge` wraps the app's whole
ASGI handler (routing and app-level exception handling included) so that

* every HTTP response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer``, ``X-Frame-Options: DENY`` and a Content-Security-Policy with
  ``frame-ancestors 'none'`` — :data:`API_CSP` for the API, probes and unknown paths,
  the site's policy (``SITE_CSP``) for pages of the built site;
* every response that Litestar's route-level Prometheus middleware did not count is counted
  in the same ``qt_http_requests_total`` / ``qt_http_request_duration_seconds`` series,
  labelled with its route template, or ``<unmatched>`` for a path no route serves (one label
  value, so random paths cannot grow the metrics);
* the access log (with its request id) sees every request.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, ClassVar

from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware

from registry_api._logging import access_log_middleware

if TYPE_CHECKING:
    from litestar.types import Receive, Scope, Send

__all__ = ["API_CSP", "DEFAULT_SITE_CSP", "CountedPrometheusMiddleware", "wrap_edge"]

#: the API serves JSON and binary frames only: nothing may run, load or frame it
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: the built site: its own scripts (inline theme snippets, ``new Function`` for the sweep
#: widget's expected curve, Pyodide's WebAssembly and worker), same-origin API and sockets
DEFAULT_SITE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'"
    " blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'"
    " data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self';"
    " form-action 'self'; frame-ancestors 'none'"
)
_API_PATHS = re.compile(r"^/(api(/|$)|health$|ready$|metrics)")
_UNMATCHED = "<unmatched>"
_COUNTED = "qt_metrics_counted"


class CountedPrometheusMiddleware(PrometheusMiddleware):
    """Litestar's route-level Prometheus middleware, marking the requests it counted.

    An HTTP request is counted in the same series as Litestar's code counts it (the registry
    sets no extra labels, exemplars or excluded methods), without building a ``Request`` and
    looking up each metric's child by its label values four times per request: the children
    are kept per (method, route template, status).
    """

    _children: ClassVar[dict[tuple[str, ...], Any]] = {}

    def _child(self, kind: str, method: str, path: str, status: int) -> Any:
        key = (kind, self._config.prefix, method, path, str(status), self._config.app_name)
        child = self._children.get(key)
        if child is None:
            labels: dict[str, str | int | float] = {
                "method": method, "path": path, "status_code": status,
                "app_name": self._config.app_name,
            }  # fmt: skip
            metric = {
                "count": self.request_count,
                "time": self.request_time,
                "progress": self.requests_in_progress,
                "error": self.requests_error_count,
            }[kind](labels)
            child = self._children[key] = metric.labels(*labels.values())
        return child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request and mark its scope as counted."""
        marks: Any = scope
        marks[_COUNTED] = True
        config = self._config
        if (
            marks["type"] != "http" or config.labels or config.exemplars
            or config.excluded_http_methods or not config.group_path
        ):  # fmt: skip
            await super().__call__(scope, receive, send)
            return
        method, path = marks["method"], marks["path_template"]
        start = time.perf_counter()
        span = {"status": 200, "duration": 0.0}

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                span["status"] = message["status"]
            elif message["type"] == "http.response.body":
                span["duration"] = time.perf_counter() - start
            await send(message)

        progress = self._child("progress", method, path, 200)
        progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            progress.dec()
            status = int(span["status"])
            if status >= 500:
                self._child("error", method, path, status).inc()
            self._child("count", method, path, status).inc()
            self._child("time", method, path, status).observe(span["duration"])


def _security_headers(path: str, site: bool, site_csp: str) -> list[tuple[bytes, bytes]]:
    csp = site_csp if site and not _API_PATHS.match(path) else API_CSP
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", csp.encode("latin-1")),
    ]


def wrap_edge(handler: Any, prometheus: PrometheusConfig, *, site: bool, site_csp: str) -> Any:
    """Wrap ``handler`` (``Litestar.asgi_handler``) with headers, fallback metrics and logs.

    Args:
        handler: The app's ASGI handler (router plus app-level exception handling).
        prometheus: The app's Prometheus configuration (metric names, ``exclude``).
        site: Whether the built site is served at ``/``.
        site_csp: Content-Security-Policy of the site's pages.

    Returns:
        The wrapped ASGI callable.
    """
    counter = CountedPrometheusMiddleware(app=handler, config=prometheus)
    excluded = [re.compile(p) for p in ([prometheus.exclude] if isinstance(
        prometheus.exclude, str) else list(prometheus.exclude or []))]  # fmt: skip

    async def edge(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await handler(scope, receive, send)
            return
        path = scope["path"]
        extra = _security_headers(path, site, site_csp)
        status = 500
        start = time.perf_counter()

        async def send_with_headers(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {k.lower() for k, _ in message.get("headers") or []}
                headers = list(message.get("headers") or [])
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await handler(scope, receive, send_with_headers)
        finally:
            if not scope.get(_COUNTED) and not any(p.search(path) for p in excluded):
                labels: dict[str, Any] = {
                    "method": scope["method"],
                    "path": scope.get("path_template") or _UNMATCHED,
                    "status_code": status,
                    "app_name": prometheus.app_name,
                }
                values = list(labels.values())
                counter.request_count(labels).labels(*values).inc()
                counter.request_time(labels).labels(*values).observe(time.perf_counter() - start)

    return access_log_middleware(edge)
