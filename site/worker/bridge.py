"""The Python side of the site's Web Worker: a thin dispatcher over qtcore's public API.

The worker (``worker.js``) imports this file as ``qt_bridge`` after installing the qtcore
wheel and calls :func:`call` with a request type and a JSON payload; it gets the JSON reply
envelope back. A reply that carries frames leaves the binary frame stream (``FRAMES.md``) in a
buffer that the worker collects with :func:`take_buffer` and transfers to the page without a
copy. Long requests call ``progress(done, total, info_json)`` (a JS function) between points.

Every computation is qtcore's: scenarios (``qtcore.scenario``), circuits and counts
(``qtcore.simulate``), frames (``qtcore.frames``), OpenQASM (``qtcore.qasm``), relativity
(``qtcore.scenario.calculate``), sweeps (``qtcore.sweep.run_sweep``, ``run_scenario``) and
intervals (``qtcore.montecarlo``). Replies are built from each result's ``to_wire()``. The
protocol is documented in ``site/PROTOCOL.md``; its JSDoc types are in ``site/js/protocol.js``.
Kernel choice is qtcore's too: requests pass ``backend`` (default ``"auto"``) through.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import qtcore
from qtcore import (
    CircuitError,
    FrameError,
    GateError,
    NoiseError,
    QasmError,
    QtcoreError,
    RelativityDomainError,
    ScenarioError,
    SimulationError,
    UnitError,
    qasm,
)
from qtcore.frames import encode_frames
from qtcore.montecarlo import wilson_interval
from qtcore.ops import GATES
from qtcore.scenario import (
    CALCULATORS,
    calculate,
    circuit_scenario,
    circuit_sweep_scenario,
    loads_scenario,
    outcome_key,
    read_integer,
    read_number,
    run_scenario,
)
from qtcore.sim import available_kernels, get_kernel, numpy_available, qubit_limit
from qtcore.sweep import Axis, SweepRow, run_sweep, table_column

__all__ = ["HANDLERS", "BridgeError", "ProgressFn", "call", "describe_error", "take_buffer"]

#: ``progress(done, total, info_json)``: a JS function in the browser, any callable in tests.
ProgressFn = Callable[[int, int, str], object]
Payload = Mapping[str, Any]
Handler = Callable[[Payload, ProgressFn | None], dict[str, Any]]

_buffer: bytes = b""


class BridgeError(QtcoreError, ValueError):
    """A request the bridge cannot serve: unknown type, missing or malformed field."""


def take_buffer() -> bytes:
    """Returns (and forgets) the binary payload of the last request: a frame stream or b""."""
    global _buffer
    out, _buffer = _buffer, b""
    return out


# ---------------------------------------------------------------- errors
#: Stable error codes, most specific class first (SimulationError before QtcoreError).
ERROR_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (QasmError, "QT-QASM"),
    (GateError, "QT-GATE"),
    (CircuitError, "QT-CIRCUIT"),
    (SimulationError, "QT-SIM"),
    (NoiseError, "QT-NOISE"),
    (FrameError, "QT-FRAME"),
    (RelativityDomainError, "QT-DOMAIN"),
    (UnitError, "QT-UNIT"),
    (ScenarioError, "QT-SCENARIO"),
    (BridgeError, "QT-REQUEST"),
    (QtcoreError, "QT-ERROR"),
)


def describe_error(exc: BaseException) -> dict[str, Any]:
    """``{code, type, message, traceback, line?, column?}`` for any exception."""
    code = next((c for cls, c in ERROR_CODES if isinstance(exc, cls)), "QT-PYTHON")
    info: dict[str, Any] = {
        "code": code,
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
    if isinstance(exc, QasmError) and exc.line is not None:
        info.update(line=exc.line, column=exc.column, message=exc.message)
    return info


# ---------------------------------------------------------------- payload fields
def _text(payload: Payload, key: str, default: str | None = None) -> str:
    value = payload.get(key, default)
    if not isinstance(value, str):
        raise BridgeError(f"{key}: expected text, got {value!r}")
    return value


def _backend(payload: Payload) -> str:
    return _text(payload, "backend", "auto")


def _circuit_input(payload: Payload) -> Mapping[str, Any] | str:
    """The ``circuit`` document or the ``qasm`` text of a request."""
    circuit, text = payload.get("circuit"), payload.get("qasm")
    if isinstance(circuit, Mapping):
        return circuit
    if isinstance(text, str):
        return text
    raise BridgeError("the request needs 'circuit' (a gate-list object) or 'qasm' (text)")


def _progress(fn: ProgressFn | None, done: int, total: int, info: object) -> None:
    if fn is not None:
        fn(done, total, json.dumps(info, allow_nan=False))


# ---------------------------------------------------------------- handlers
def h_load(_: Payload, __: ProgressFn | None) -> dict[str, Any]:
    """Runtime facts: versions, the kernel ``"auto"`` picks, the gates and calculators."""
    limit, why = qubit_limit("auto")
    return {
        "qtcore": qtcore.__version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "kernel": get_kernel("auto").name,
        "kernels": available_kernels(),  # name -> None (runs here) or why it does not
        "maxQubits": limit,
        "maxQubitsReason": why,
        "numpy": numpy_available(),
        "gates": [spec.to_wire() for spec in GATES.values()],
        "calculators": sorted(CALCULATORS),
    }


def _check_width(n: int, backend: str) -> None:
    """Refuses a circuit wider than this kernel's memory allows, before anything runs."""
    limit, why = qubit_limit(backend)
    if n > limit:
        raise BridgeError(f"the circuit has {n} qubits; {why}")


def h_run(payload: Payload, _: ProgressFn | None) -> dict[str, Any]:
    """One editor run: counts (and, with ``frames: true``, the frames) of one scenario."""
    global _buffer
    sc = circuit_scenario(
        _circuit_input(payload),
        shots=payload.get("shots", 1024),
        seed=payload.get("seed", 0),
        noise=payload.get("noise"),
        name=_text(payload, "name", "circuit"),
    )
    circ, noise, backend = sc.circuit(), sc.noise(), _backend(payload)
    _check_width(circ.num_qubits, backend)
    frames = None
    if payload.get("frames"):  # counts and frames from one simulation where it can
        res, frames = qtcore.simulate_with_frames(
            circ, sc.shots, seed=sc.seed, backend=backend, noise=noise
        )
    else:
        res = qtcore.simulate(circ, sc.shots, seed=sc.seed, backend=backend, noise=noise)
    out: dict[str, Any] = {
        "result": res.to_wire(),
        "qasm": qasm.dumps(circ, version="auto"),
        "scenario": sc.to_wire(),
    }
    if frames is not None:
        _buffer = encode_frames(frames)
        out["frames"] = {"count": len(frames), "bytes": len(_buffer)}
    return out


def h_qasm(payload: Payload, _: ProgressFn | None) -> dict[str, Any]:
    """``{op: "loads", text, blocks?}`` -> ``{circuit, text}`` (``blocks``: keep braced ``if``
    statements as blocks, :func:`qtcore.qasm.loads`); ``{op: "dumps", circuit}`` -> ``{text}``."""
    op = payload.get("op", "loads")
    if op == "loads":
        blocks = payload.get("blocks", False)
        if not isinstance(blocks, bool):
            raise BridgeError(f"blocks: expected true or false, got {blocks!r}")
        circ = qasm.loads(_text(payload, "text"), blocks=blocks)
        _check_width(circ.num_qubits, _backend(payload))
        return {"circuit": circ.to_dict(), "text": qasm.dumps(circ, version="auto")}
    if op == "dumps":
        circuit = payload.get("circuit")
        if not isinstance(circuit, Mapping):
            raise BridgeError("qasm dumps needs 'circuit' (a gate-list object)")
        return {"text": qasm.dumps(qtcore.Circuit.from_dict(circuit), version="auto")}
    raise BridgeError(f"qasm op must be 'loads' or 'dumps', got {op!r}")


def _plot(name: str, fields: Mapping[str, Any], spec: Any) -> dict[str, Any]:
    """One calculator output against one field, swept with :func:`qtcore.sweep.run_sweep`."""
    if not isinstance(spec, Mapping):
        raise BridgeError(f"plot: expected an object, got {spec!r}")
    param, x, y = _text(spec, "param"), _text(spec, "x"), _text(spec, "y")
    start = read_number("plot.start", spec.get("start"))
    stop = read_number("plot.stop", spec.get("stop"))
    num = read_integer("plot.num", spec.get("num", 60), minimum=2, maximum=500)
    axis = (Axis.logspace if spec.get("log") else Axis.linspace)(param, start, stop, num)
    table = run_sweep(
        lambda point, _seed: calculate(name, {**fields, param: point[param]}, source=name),
        [axis],
        seed=0,
    ).to_wire()
    return {"x": table_column(table, x), "y": table_column(table, y), "param": param}


def h_relativity(payload: Payload, _: ProgressFn | None) -> dict[str, Any]:
    """A calculator of :data:`qtcore.scenario.CALCULATORS` on the typed fields (+ a plot)."""
    name = _text(payload, "calculator")
    fields = payload.get("fields", {})
    if not isinstance(fields, Mapping):
        raise BridgeError(f"fields: expected an object, got {fields!r}")
    out: dict[str, Any] = {"calculator": name, "outputs": calculate(name, fields, source=name)}
    if payload.get("plot") is not None:
        out["plot"] = _plot(name, fields, payload["plot"])
    return out


def h_sweep(payload: Payload, progress: ProgressFn | None) -> dict[str, Any]:
    """A sweep widget's run: P(target) per point with a 95 % Wilson interval.

    The sweep is the scenario :func:`qtcore.scenario.circuit_sweep_scenario` builds, run by
    :func:`qtcore.scenario.run_scenario`: ``python -m qtcore sweep`` on ``scenario.document``
    gives the same table.
    """
    sc = circuit_sweep_scenario(
        _circuit_input(payload),
        param=_text(payload, "param", "theta"),
        start=payload.get("start"),
        stop=payload.get("stop"),
        points=payload.get("points"),
        shots=payload.get("shots"),
        seed=payload.get("seed"),
    )
    target = outcome_key(sc, _text(payload, "target", ""))
    axis = sc.data["sweep"]["axes"][0]
    param, total = axis["param"], axis["linspace"][2]
    points: list[dict[str, Any]] = []

    def on_row(row: SweepRow) -> None:
        k = int(row.outputs.get(f"counts.{target}", 0))
        est = wilson_interval(k, sc.shots)
        points.append({"value": row.point[param], "k": k, "estimate": est.to_wire()})
        _progress(progress, len(points), total, points[-1])

    res = run_scenario(sc, backend=_backend(payload), on_row=on_row)
    return {
        "param": param,
        "target": target,
        "shots": sc.shots,
        "points": points,
        "result": res.to_wire(),
        "scenario": sc.to_wire(),
    }


def h_scenario(payload: Payload, progress: ProgressFn | None) -> dict[str, Any]:
    """Open (``op: "load"``) or run (``op: "run"``) a scenario given as file text."""
    op = payload.get("op", "load")
    if op not in ("load", "run"):
        raise BridgeError(f"scenario op must be 'load' or 'run', got {op!r}")
    fmt = _text(payload, "format", "toml")
    sc = loads_scenario(_text(payload, "text"), fmt, f"{_text(payload, 'name', 'scenario')}.{fmt}")
    out: dict[str, Any] = {"scenario": sc.to_wire()}
    if sc.kind == "circuit":
        circ = sc.circuit()
        out["circuit"] = circ.to_dict()
        out["qasm"] = qasm.dumps(circ, version="auto")
    if op == "run":

        def report(done: int, total: int, point: Mapping[str, float]) -> None:
            _progress(progress, done, total, dict(point))

        out["result"] = run_scenario(sc, backend=_backend(payload), progress=report).to_wire()
    return out


HANDLERS: dict[str, Handler] = {
    "load": h_load,
    "qasm": h_qasm,
    "relativity": h_relativity,
    "run": h_run,
    "scenario": h_scenario,
    "sweep": h_sweep,
}


def call(kind: str, payload_json: str, progress: ProgressFn | None = None) -> str:
    """Serves one request; returns the reply envelope as JSON text.

    ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {code, type, message,
    traceback, line?, column?}}``: every error goes back to the page, never only to a console.
    """
    global _buffer
    _buffer = b""
    try:
        handler = HANDLERS.get(kind)
        if handler is None:
            known = ", ".join(sorted(HANDLERS))
            raise BridgeError(f"unknown request type {kind!r}; known: {known}")
        payload = json.loads(payload_json or "{}")
        if not isinstance(payload, dict):
            raise BridgeError(f"the payload must be a JSON object, got {type(payload).__name__}")
        text = json.dumps({"ok": True, "result": handler(payload, progress)}, allow_nan=False)
    except Exception as exc:
        _buffer = b""
        return json.dumps({"ok": False, "error": describe_error(exc)})
    return text
