"""OpenTelemetry: ``QT_OTEL=1`` records one server span per request, named by route template."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app
from registry_api._tracing import redact_query

from ._support import make_frame, start_in_process
from ._ws import open_session, present_frames
from .conftest import auth

pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.instrumentation.asgi")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def exporter() -> Iterator[tuple[InMemorySpanExporter, TracerProvider]]:
    exp = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exp))
    yield exp, provider
    provider.shutdown()


def _servers(exp: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exp.get_finished_spans() if s.kind == SpanKind.SERVER]


def _status(span: ReadableSpan) -> Any:
    attrs = dict(span.attributes or {})
    return attrs.get("http.status_code", attrs.get("http.response.status_code"))


async def test_otel_env_records_server_spans(
    settings: Settings,
    tokens: dict[str, str],
    exporter: tuple[InMemorySpanExporter, TracerProvider],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exp, provider = exporter
    monkeypatch.setenv("QT_OTEL", "1")
    app = create_app(settings, tracer_provider=provider)
    missing = uuid.uuid4()
    token = tokens["vic"]
    async with AsyncTestClient(app) as c:
        assert (await c.get("/api/v1/runs?limit=1", headers=auth(token))).status_code == 200
        assert (await c.get(f"/api/v1/runs/{missing}?token={token}")).status_code == 404
        assert (await c.get("/api/v1/runs?limit=0", headers=auth(token))).status_code == 400
        assert (await c.get("/health")).status_code == 200  # probes are not traced
    spans = _servers(exp)
    got = [(s.name, dict(s.attributes or {}).get("http.route"), _status(s)) for s in spans]
    assert got == [
        ("GET /api/v1/runs", "/api/v1/runs", 200),
        ("GET /api/v1/runs/{run_id}", "/api/v1/runs/{run_id}", 404),
        ("GET /api/v1/runs", "/api/v1/runs", 400),
    ]
    assert str(missing) in str(dict(spans[1].attributes or {}).get("http.target"))
    assert all(token not in str(dict(s.attributes or {})) for s in exp.get_finished_spans())
    assert "token=REDACTED" in str(dict(spans[1].attributes or {}).get("http.url"))
    assert len(exp.get_finished_spans()) == 3  # no per-message send/receive spans


async def test_otel_websocket_span_named_by_route(
    settings: Settings,
    tokens: dict[str, str],
    exporter: tuple[InMemorySpanExporter, TracerProvider],
) -> None:
    exp, provider = exporter
    app = create_app(settings, tracer_provider=provider)
    server, task, port = await start_in_process(app)
    try:
        base = f"http://127.0.0.1:{port}"
        session = await open_session(base, tokens["alice"], "traced")
        url = f"ws://127.0.0.1:{port}{session['presentPath']}?token={tokens['alice']}"
        async with websockets.connect(url) as ws:
            acks = await present_frames(ws, [make_frame(0)])
            assert acks[0]["type"] == "ack"
            await ws.send(json.dumps({"type": "end"}))
            await ws.wait_closed()
    finally:
        server.should_exit = True
        await task
    spans = _servers(exp)
    names = [s.name for s in spans]
    assert names == ["POST /api/v1/sessions", "WS /api/v1/sessions/{session_id}/present"]
    assert all(tokens["alice"] not in str(dict(s.attributes or {})) for s in spans)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("token=abc", "token=REDACTED"),
        ("last_id=1-0&token=abc.def", "last_id=1-0&token=REDACTED"),
        ("mytoken=keep&access_token=x", "mytoken=keep&access_token=REDACTED"),
        ("limit=2", "limit=2"),
    ],
)
def test_redact_query(query: str, expected: str) -> None:
    assert redact_query(query) == expected
