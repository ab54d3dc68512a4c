"""Helpers shared by the registry tests: frames, free ports, server processes."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "BELL_SCENARIO",
    "ROOT",
    "UvicornServer",
    "eventually",
    "free_port",
    "make_frame",
    "peak_rss_mib",
    "rss_mib",
    "run_body",
    "scrape",
    "start_in_process",
    "wait_http",
]

ROOT = Path(__file__).resolve().parents[2]


def make_frame(step: int, payload: bytes | None = None) -> bytes:
    """Build a qtcore-format frame: b'QTFR', u16 version, u16 flags, u32 lens, header, data."""
    header = json.dumps({"step": step, "op": "h"}).encode()
    data = payload if payload is not None else struct.pack("<2d", step / 2, 1 - step / 2)
    return b"QTFR" + struct.pack("<HHII", 1, 0, len(header), len(data)) + header + data


#: a scenario qtcore loads (the registry refuses others)
BELL_SCENARIO: dict[str, Any] = {
    "name": "bell",
    "title": "Bell state",
    "kind": "circuit",
    "seed": 2024,
    "shots": 1024,
    "circuit": {
        "num_qubits": 2,
        "num_clbits": 2,
        "ops": [
            {"op": "h", "qubits": [0]},
            {"op": "cx", "qubits": [0, 1]},
            {"op": "measure", "qubits": [0, 1], "clbits": [0, 1]},
        ],
    },
}


def run_body(scenario_name: str, **over: Any) -> dict[str, Any]:
    """A valid publish body (override any field by keyword)."""
    body: dict[str, Any] = {
        "scenario": dict(BELL_SCENARIO),
        "scenarioName": scenario_name,
        "seed": int.from_bytes(os.urandom(6), "big"),
        "qtcoreVersion": "0.1.0",
        "kernel": "python",
        "results": {"counts": {"00": 510, "11": 514}, "fidelity": 0.999},
        "tags": ["bell"],
        "runtimeMs": 12.5,
        "frames": None,
    }
    body.update(over)
    return body


async def eventually(check: Any, timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll ``check()`` (sync or async) until it returns something truthy; return that.

    Raises:
        TimeoutError: If it is still falsy after ``timeout`` seconds (the last value is named).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {value!r} after {timeout} s")
        await asyncio.sleep(interval)


async def scrape(base: str) -> dict[str, float]:
    """``GET {base}/metrics`` parsed to ``{series: value}`` (labels kept in the series name)."""
    async with httpx.AsyncClient(base_url=base) as c:
        text = (await c.get("/metrics")).text
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def _proc_status(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def rss_mib(pid: int) -> float:
    """Resident set size of process ``pid`` now, in MiB (Linux ``VmRSS``)."""
    return _proc_status(pid, "VmRSS")


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size of process ``pid`` so far, in MiB (Linux ``VmHWM``)."""
    return _proc_status(pid, "VmHWM")


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers 200.

    The deadline is generous because a loaded CI machine can take tens of seconds to
    import and start a server; polling returns as soon as it is ready.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become ready in {timeout} s")


async def start_in_process(app: Any, **config: Any) -> tuple[Any, asyncio.Task[None], int]:
    """Serves ``app`` with uvicorn in this event loop on a free port, once it has started.

    Returns the server (set ``should_exit`` to stop it), its task and the port.
    """
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 60.0
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server
            raise RuntimeError("uvicorn exited before it started")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("uvicorn did not start in 60 s")
        await asyncio.sleep(0.05)
    return server, task, port


class UvicornServer:
    """A registry instance in its own uvicorn process (a real second API instance).

    Args:
        env: Extra environment (DATABASE_URL, REDIS_URL, JWT_SECRET, ...).
    """

    def __init__(self, env: dict[str, str], log_path: Path | None = None) -> None:
        self.port = free_port()
        self.log = open(log_path, "wb") if log_path is not None else None  # noqa: SIM115
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        full = {**os.environ, **env, "QT_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "registry_api:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             "--timeout-graceful-shutdown", "3", "--ws-per-message-deflate", "false",
             # the README's multi-instance options (test_server_options runs them verbatim)
             "--http", "registry_api:BoundedHttpToolsProtocol", "--no-proxy-headers"],
            cwd=ROOT,
            env=full,
            stderr=self.log,
        )  # fmt: skip
        try:
            wait_http(self.base + "/ready", proc=self.proc)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate gracefully (SIGTERM), then kill if needed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.log is not None:
            self.log.close()
