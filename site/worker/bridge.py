"""The Python side of the site's Web Worker: JSON in, JSON (and frame bytes) out.

The worker (``worker.js``) imports this module as ``qt_bridge`` after installing the qtcore
wheel, then calls :func:`dispatch` with a request type and a JSON payload and gets a JSON
string back. Requests that produce frames leave the binary frame stream (FRAMES.md, v1) in a
buffer that the worker collects with :func:`take_buffer` and transfers to the page without a
copy. Long requests call ``progress(done, total, info_json)`` (a JS function) between points.

Errors are raised as ordinary exceptions; the worker turns them into
``{code, message, traceback}`` with :func:`describe_error`.

It runs in CPython too (``python site/worker/bridge.py`` prints a smoke result), which is how
the tests compare the browser's numbers with CPython's.
"""

from __future__ import annotations

import json
import math
import struct
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import qtcore
from qtcore import Circuit, QasmError, QtcoreError, iter_steps, simulate
from qtcore.ops import GATES

__all__ = [
    "ProgressFn",
    "call",
    "describe_error",
    "dispatch",
    "encode_frame",
    "take_buffer",
]

ProgressFn = Callable[[int, int, str], Any]

#: Frame limits (FRAMES.md defaults).
PROB_LIMIT = 12
AMP_LIMIT = 10
TOP_K = 32
MAX_FRAMES = 2000

_buffer: bytes = b""


def take_buffer() -> bytes:
    """Return (and forget) the binary payload of the last request (frame stream or b"")."""
    global _buffer
    out, _buffer = _buffer, b""
    return out


# ---------------------------------------------------------------- errors
_CODES: dict[str, str] = {
    "QasmError": "QT-QASM",
    "CircuitError": "QT-CIRCUIT",
    "UnboundParameterError": "QT-CIRCUIT",
    "GateError": "QT-GATE",
    "SimulationError": "QT-SIM",
    "NoiseError": "QT-NOISE",
    "FrameError": "QT-FRAME",
    "RelativityDomainError": "QT-DOMAIN",
    "UnitError": "QT-UNIT",
    "ScenarioError": "QT-SCENARIO",
    "BridgeError": "QT-REQUEST",
}


class BridgeError(ValueError):
    """A request the bridge cannot serve (unknown type, missing field)."""


def describe_error(exc: BaseException) -> str:
    """JSON ``{code, message, type, traceback, line?, column?}`` for any exception."""
    name = type(exc).__name__
    code = _CODES.get(name, "QT-ERROR" if isinstance(exc, QtcoreError) else "QT-PYTHON")
    info: dict[str, Any] = {
        "code": code,
        "type": name,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
    line = getattr(exc, "line", None)
    if isinstance(line, int):
        info["line"] = line
        info["column"] = getattr(exc, "column", None)
        info["message"] = getattr(exc, "message", str(exc))
    return json.dumps(info)


# ---------------------------------------------------------------- circuits and QASM
def _qasm_module() -> Any:
    try:
        from qtcore import qasm  # type: ignore[attr-defined]
    except ImportError:
        return None
    return qasm if hasattr(qasm, "loads") and hasattr(qasm, "dumps") else None


def qasm_loads(text: str) -> Circuit:
    """Parse OpenQASM with qtcore.qasm (or the small fallback reader while it is missing)."""
    mod = _qasm_module()
    if mod is not None:
        circ = mod.loads(text)
        assert isinstance(circ, Circuit)
        return circ
    return _fallback_loads(text)


def qasm_dumps(circ: Circuit) -> str:
    """OpenQASM 2 text of ``circ`` (qtcore.qasm, or the fallback writer)."""
    mod = _qasm_module()
    if mod is not None:
        try:
            return str(mod.dumps(circ))
        except QasmError:  # e.g. a single-bit condition: OpenQASM 3 can say it
            return str(mod.dumps(circ, version=3))
    return _fallback_dumps(circ)


def _fmt(x: Any) -> str:
    if isinstance(x, int | float):
        v = float(x)
        for k, name in ((1, "pi"), (2, "pi/2"), (4, "pi/4"), (8, "pi/8")):
            if abs(v - math.pi / k) < 1e-12:
                return name
            if abs(v + math.pi / k) < 1e-12:
                return "-" + name
        return repr(v)
    return str(x)


def _fallback_dumps(circ: Circuit) -> str:
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{circ.num_qubits}];"]
    if circ.num_clbits:
        lines.append(f"creg c[{circ.num_clbits}];")
    for ins in circ.instructions:
        q = ", ".join(f"q[{i}]" for i in ins.qubits)
        if ins.kind == "measure":
            text = f"measure q[{ins.qubits[0]}] -> c[{ins.clbits[0]}];"
        elif ins.kind in ("reset", "barrier"):
            text = f"{ins.kind} {q};"
        else:
            g = ins.gate
            assert g is not None
            params = f"({', '.join(_fmt(p) for p in g.params)})" if g.params else ""
            text = f"{g.name}{params} {q};"
        if ins.condition is not None:
            text = f"if (c == {ins.condition.value}) {text}"
        lines.append(text)
    return "\n".join(lines) + "\n"


def _fallback_loads(text: str) -> Circuit:
    import re

    from qtcore._expr import parse_param

    nq = nc = 0
    ops: list[dict[str, Any]] = []
    stmt = re.compile(
        r"^(?:if\s*\(\s*c\s*==\s*(?P<cv>\d+)\s*\)\s*)?(?P<name>[a-z_]\w*)"
        r"(?:\((?P<params>[^)]*)\))?\s*(?P<args>[^;]*);$"
    )
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//")[0].rstrip()
        col = len(line) - len(line.lstrip()) + 1
        body = line.strip()
        if not body or body.startswith(("OPENQASM", "include")):
            continue
        m = stmt.match(body)
        if not m:
            raise QasmError(f"cannot parse statement {body!r}", lineno, col)
        name, args = m.group("name"), m.group("args").strip()
        if name in ("qreg", "creg"):
            size = re.fullmatch(r"\w+\[(\d+)\]", m.group("args").strip() or "")
            rm = re.fullmatch(r"(\w+)\[(\d+)\]", name + args) if size is None else None
            val = int(size.group(1)) if size else int(rm.group(2)) if rm else -1
            if val < 0:
                raise QasmError(f"bad register declaration {body!r}", lineno, col)
            if name == "qreg":
                nq = val
            else:
                nc = val
            continue
        refs = re.findall(r"(\w+)\[(\d+)\]", args)
        if name == "measure":
            if len(refs) != 2:
                raise QasmError("measure needs 'q[i] -> c[j]'", lineno, col)
            ops.append({"op": "measure", "qubits": [int(refs[0][1])], "clbits": [int(refs[1][1])]})
            continue
        if name not in GATES and name not in ("reset", "barrier"):
            pos = col + body.index(name) if name in body else col
            raise QasmError(
                f"unknown gate {name!r}; known: {', '.join(sorted(GATES))}", lineno, pos
            )
        op: dict[str, Any] = {"op": name, "qubits": [int(r[1]) for r in refs]}
        if m.group("params"):
            try:
                op["params"] = [parse_param(p.strip()) for p in m.group("params").split(",")]
            except ValueError as exc:
                raise QasmError(str(exc), lineno, col + body.index("(") + 1) from None
        if m.group("cv") is not None:
            op["if"] = {"clbits": list(range(nc)), "value": int(m.group("cv"))}
        ops.append(op)
    try:
        return Circuit.from_dict({"num_qubits": nq, "num_clbits": nc, "ops": ops})
    except QtcoreError as exc:
        raise QasmError(str(exc), None, None) from exc


def build_circuit(payload: Mapping[str, Any]) -> Circuit:
    """A circuit from ``{"circuit": gate-list dict}`` or ``{"qasm": text}``."""
    if payload.get("circuit") is not None:
        return Circuit.from_dict(payload["circuit"])
    if payload.get("qasm") is not None:
        return qasm_loads(str(payload["qasm"]))
    raise BridgeError("request needs 'circuit' (gate-list object) or 'qasm' (text)")


# ---------------------------------------------------------------- frames
def _pad(n: int) -> int:
    return (-n) % 8


def encode_frame(step: Any, num_clbits: int, kernel: str) -> bytes:
    """Encode one :class:`qtcore.Step` as a FRAMES.md v1 frame."""
    state = step.state
    n = state.num_qubits
    arrays: dict[str, list[float]] = {}
    probs = state.probabilities()
    bloch = [c for v in state.bloch_vectors() for c in v]
    summary = None
    flags = 0
    if n <= PROB_LIMIT:
        arrays["probabilities"] = list(probs)
    if n <= AMP_LIMIT:
        arrays["amplitudes"] = [c for z in state.to_list() for c in (z.real, z.imag)]
        flags |= 1
    arrays["bloch"] = bloch
    if n > PROB_LIMIT:
        flags |= 2
        order = sorted(range(len(probs)), key=lambda i: -probs[i])[:TOP_K]
        amps = state.to_list()
        arrays["marginals"] = [(1 - bloch[3 * q + 2]) / 2 for q in range(n)]
        arrays["topIndices"] = [float(i) for i in order]
        arrays["topProbabilities"] = [probs[i] for i in order]
        arrays["topAmplitudes"] = [c for i in order for c in (amps[i].real, amps[i].imag)]
        summary = {
            "reason": f"{n} qubits > {PROB_LIMIT}: top {len(order)} outcomes only",
            "topK": len(order),
            "numQubits": n,
        }
    ins = step.instruction
    offsets: dict[str, list[int]] = {}
    pos = 0
    for name, vals in arrays.items():
        offsets[name] = [pos, len(vals)]
        pos += 8 * len(vals)
    header = {
        "step": step.index,
        "op": None if ins is None else ins.describe(),
        "opName": None if ins is None else ins.name,
        "qubits": [] if ins is None else list(ins.qubits),
        "executed": step.executed,
        "outcome": step.outcome,
        "numQubits": n,
        "numClbits": num_clbits,
        "clbits": list(step.clbits),
        "kernel": kernel,
        "arrays": offsets,
        "summary": summary,
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * _pad(16 + len(text))
    data = b"".join(struct.pack(f"<{len(v)}d", *v) for v in arrays.values())
    return b"QTFR" + struct.pack("<HHII", 1, flags, len(text), len(data)) + text + data


def _frames_module() -> Any:
    try:
        from qtcore import frames  # type: ignore[attr-defined]
    except ImportError:
        return None
    return frames


def frame_stream(circ: Circuit, seed: int, backend: str) -> tuple[bytes, int, str]:
    """All frames of one seeded trajectory: (stream, count, kernel name)."""
    kernel = qtcore.sim.get_kernel(backend).name
    mod = _frames_module()
    if mod is not None and hasattr(mod, "iter_frames") and hasattr(mod, "encode_frames"):
        frames = list(mod.iter_frames(circ, seed=seed, backend=backend))
        return bytes(mod.encode_frames(frames)), len(frames), kernel
    parts = []
    for step in iter_steps(circ, seed=seed, backend=backend):
        parts.append(encode_frame(step, circ.num_clbits, kernel))
        if len(parts) > MAX_FRAMES:
            raise BridgeError(f"more than {MAX_FRAMES} frames; shorten the circuit")
    return b"".join(parts), len(parts), kernel


# ---------------------------------------------------------------- handlers
def _gates() -> list[dict[str, Any]]:
    out = []
    for name, spec in GATES.items():
        out.append(
            {
                "name": name,
                "numParams": spec.num_params,
                "params": list(spec.params),
                "numControls": spec.num_controls,
                "numTargets": spec.num_targets,
                "summary": spec.summary,
                "variadic": spec.variadic,
                "structure": spec.structure,
                "qasm2": spec.qasm2,
                "qasm3": spec.qasm3,
            }
        )
    return out


def h_load(_: Mapping[str, Any], __: ProgressFn | None) -> dict[str, Any]:
    """Runtime facts: versions, the kernel that will run, the gate registry."""
    from qtcore.sim._backend import get_kernel, numpy_available

    return {
        "qtcore": qtcore.__version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "kernel": get_kernel("auto").name,
        "numpy": numpy_available(),
        "qasm": "qtcore" if _qasm_module() is not None else "fallback",
        "frames": "qtcore" if _frames_module() is not None else "bridge",
        "gates": _gates(),
    }


def _seed(payload: Mapping[str, Any]) -> int:
    seed = payload.get("seed", 7)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BridgeError(f"seed must be an integer, got {seed!r}")
    return seed


def h_run(payload: Mapping[str, Any], _: ProgressFn | None) -> dict[str, Any]:
    """Simulate with shots; counts, probabilities and the QASM text."""
    circ = build_circuit(payload)
    shots = int(payload.get("shots", 1024))
    backend = str(payload.get("backend", "auto"))
    res = simulate(circ, shots=shots, seed=_seed(payload), backend=backend)
    out = res.to_dict(amplitudes=False)
    out["numQubits"] = circ.num_qubits
    out["numClbits"] = circ.num_clbits
    out["qasm"] = qasm_dumps(circ)
    out["circuit"] = circ.to_dict()
    return out


def h_frames(payload: Mapping[str, Any], _: ProgressFn | None) -> dict[str, Any]:
    """Frames of one trajectory, left in the transfer buffer."""
    global _buffer
    circ = build_circuit(payload)
    stream, count, kernel = frame_stream(circ, _seed(payload), str(payload.get("backend", "auto")))
    _buffer = stream
    return {"count": count, "kernel": kernel, "bytes": len(stream)}


def h_step(payload: Mapping[str, Any], _: ProgressFn | None) -> dict[str, Any]:
    """The single frame after instruction ``index`` (-1 = initial state)."""
    global _buffer
    circ = build_circuit(payload)
    index = int(payload.get("index", -1))
    backend = str(payload.get("backend", "auto"))
    kernel = qtcore.sim.get_kernel(backend).name
    for step in iter_steps(circ, seed=_seed(payload), backend=backend):
        if step.index == index:
            _buffer = encode_frame(step, circ.num_clbits, kernel)
            return {"count": 1, "kernel": kernel}
    raise BridgeError(f"step index {index} is outside -1..{len(circ.instructions) - 1}")


def h_qasm(payload: Mapping[str, Any], _: ProgressFn | None) -> dict[str, Any]:
    """``{"op": "loads", "text"}`` -> circuit dict; ``{"op": "dumps", "circuit"}`` -> text."""
    op = payload.get("op", "loads")
    if op == "loads":
        circ = qasm_loads(str(payload.get("text", "")))
        return {"circuit": circ.to_dict(), "text": qasm_dumps(circ)}
    if op == "dumps":
        return {"text": qasm_dumps(Circuit.from_dict(payload["circuit"]))}
    raise BridgeError(f"qasm op must be 'loads' or 'dumps', got {op!r}")


def _q(inputs: Mapping[str, Any], key: str, dim: str, default: str) -> float:
    from qtcore.units import parse_quantity

    text = str(inputs.get(key, default)).strip() or default
    return parse_quantity(text, dim)


def _body(inputs: Mapping[str, Any]) -> Any:
    from qtcore import relativity as rel

    name = str(inputs.get("body", "earth")).lower()
    for body in rel.BODIES.values() if isinstance(rel.BODIES, Mapping) else rel.BODIES:
        if body.name.lower() == name:
            return body
    if isinstance(rel.BODIES, Mapping) and name in rel.BODIES:
        return rel.BODIES[name]
    if name == "custom":
        mass = _q(inputs, "mass", "mass", "5.972e24 kg")
        radius = _q(inputs, "radius", "length", "6371 km")
        return rel.Body.from_mass("custom", mass, radius)
    raise BridgeError(f"unknown body {name!r}")


def _logspace(a: float, b: float, n: int) -> list[float]:
    la, lb = math.log10(a), math.log10(b)
    return [10 ** (la + (lb - la) * i / (n - 1)) for i in range(n)]


def h_relativity(payload: Mapping[str, Any], _: ProgressFn | None) -> dict[str, Any]:
    """SR / Schwarzschild / GPS calculators with a plot series each."""
    from qtcore import relativity as rel

    calc = payload.get("calc")
    inputs = payload.get("inputs", {})
    c = rel.SPEED_OF_LIGHT
    if calc == "sr":
        v = _q(inputs, "speed", "velocity", "0.9c")
        k = rel.kinematics(v)
        dur = _q(inputs, "duration", "time", "1 day")
        out = k.to_dict()
        out["duration"] = dur
        out["properTime"] = rel.time_dilation(dur, v)
        out["lag"] = rel.time_dilation_difference(dur, v)
        betas = _logspace(1e-9, 1 - 1e-9, 60) if v <= 0 else _logspace(1e-6, 0.999999, 60)
        out["plot"] = {
            "x": [b for b in betas],
            "y": [rel.lorentz_factor(b * c) for b in betas],
            "xlabel": "v / c",
            "ylabel": "γ",
            "logx": True,
            "logy": True,
            "marker": [v / c, k.gamma],
        }
        return out
    if calc == "schwarzschild":
        body = _body(inputs)
        r = _q(inputs, "radius_at", "length", f"{body.radius} m")
        rs = rel.schwarzschild_radius(body)
        out = {
            "body": body.name,
            "radius": r,
            "schwarzschildRadius": rs,
            "factor": rel.static_time_dilation_factor(body, r),
            "deficit": rel.static_time_dilation_deficit(body, r),
            "weakDeficit": rel.weak_field_time_dilation_deficit(body, r),
        }
        out["secondsLostPerDay"] = out["deficit"] * rel.SECONDS_PER_DAY
        lo = max(rs * 1.0001, min(r, body.radius) / 10)
        radii = _logspace(lo, max(r, body.radius) * 100, 80)
        out["plot"] = {
            "x": radii,
            "y": [rel.static_time_dilation_factor(body, x) for x in radii],
            "xlabel": "r / m",
            "ylabel": "dτ/dt",
            "logx": True,
            "logy": False,
            "marker": [r, out["factor"]],
        }
        return out
    if calc == "gps":
        alt_text = str(inputs.get("altitude", "")).strip()
        kwargs: dict[str, Any] = {}
        if alt_text:
            kwargs["altitude"] = _q(inputs, "altitude", "length", alt_text)
        else:
            kwargs["orbit_radius"] = _q(inputs, "orbit_radius", "length", "26561.75 km")
        lat = str(inputs.get("latitude", "")).strip()
        if lat:
            kwargs["latitude_deg"] = float(lat)
        g = rel.gps_clock_offsets(**kwargs)
        out = g.to_dict()
        radii = _logspace(rel.EARTH.radius * 1.02, rel.EARTH.radius * 12, 60)
        out["plot"] = {
            "x": radii,
            "y": [rel.gps_clock_offsets(orbit_radius=x).net_us_per_day for x in radii],
            "xlabel": "orbit radius / m",
            "ylabel": "net μs/day",
            "logx": True,
            "logy": False,
            "marker": [g.orbit_radius, g.net_us_per_day],
        }
        return out
    raise BridgeError(f"calc must be 'sr', 'schwarzschild' or 'gps', got {calc!r}")


def _scenario_module() -> Any:
    try:
        from qtcore import scenario  # type: ignore[attr-defined]
    except ImportError:
        return None
    return scenario


def _parse_scenario(text: str, fmt: str) -> dict[str, Any]:
    if fmt == "toml":
        import tomllib

        data: dict[str, Any] = tomllib.loads(text)
    else:
        data = json.loads(text)
    return data


def _scenario_circuit(data: Mapping[str, Any]) -> Circuit | None:
    circ = data.get("circuit")
    if isinstance(circ, Mapping):
        if "qasm" in circ:
            return qasm_loads(str(circ["qasm"]))
        return Circuit.from_dict(circ)
    if isinstance(circ, str):
        return qasm_loads(circ)
    if isinstance(data.get("qasm"), str):
        return qasm_loads(str(data["qasm"]))
    return None


def h_scenario(payload: Mapping[str, Any], progress: ProgressFn | None) -> dict[str, Any]:
    """Open (``op: "load"``) or run (``op: "run"``) a scenario given as file text.

    Runs go through :func:`qtcore.scenario.run_scenario` (checks and provenance included);
    sweep points are reported through ``progress`` as they finish.
    """
    op = payload.get("op", "load")
    text = str(payload.get("text", ""))
    fmt = str(payload.get("format", "toml"))
    name = str(payload.get("name", "scenario"))
    mod = _scenario_module()
    if mod is None or not hasattr(mod, "loads_scenario"):
        return _fallback_scenario(op, text, fmt, name, progress)
    sc = mod.loads_scenario(text, fmt, f"{name}.{fmt}")
    out: dict[str, Any] = {
        "name": sc.name,
        "title": sc.title,
        "kind": sc.kind,
        "description": sc.description,
        "shots": sc.shots,
        "seed": sc.seed,
        "hash": sc.content_hash,
        "data": json.loads(json.dumps(sc.data, default=str)),
    }
    if sc.point_kind in ("circuit",) and "circuit" in sc.data:
        circ = sc.circuit()
        if not circ.parameters:
            out["circuit"] = circ.to_dict()
            out["qasm"] = qasm_dumps(circ)
        out["noisy"] = bool(sc.data.get("noise"))
    if op == "run":
        cb = None
        if progress is not None:
            report = progress

            def cb(done: int, total: int, point: Mapping[str, float]) -> None:
                report(done, total, json.dumps(dict(point)))

        res = mod.run_scenario(sc, progress=cb)
        out["result"] = json.loads(json.dumps(res.to_dict(), default=str))
    return out


def _fallback_scenario(
    op: str, text: str, fmt: str, name: str, progress: ProgressFn | None
) -> dict[str, Any]:
    data = _parse_scenario(text, fmt)
    circ = _scenario_circuit(data)
    out: dict[str, Any] = {
        "name": name,
        "title": data.get("title", name),
        "kind": data.get("kind", "circuit" if circ is not None else "unknown"),
        "description": data.get("description", ""),
        "shots": data.get("shots", 1024),
        "seed": data.get("seed", 7),
        "data": json.loads(json.dumps(data, default=str)),
    }
    if circ is not None:
        out["circuit"] = circ.to_dict()
        out["qasm"] = qasm_dumps(circ)
    if op == "run":
        if circ is None:
            raise BridgeError(f"scenario {name!r} has no circuit and qtcore.scenario is missing")
        out["result"] = h_run({"circuit": circ.to_dict(), **out}, progress)
    return out


def _todict(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return obj


def _sweep_values(spec: Mapping[str, Any]) -> list[float]:
    if "values" in spec:
        return [float(v) for v in spec["values"]]
    start, stop = float(spec.get("start", 0.0)), float(spec.get("stop", math.pi))
    num = int(spec.get("num", 21))
    if num < 2 or num > 1000:
        raise BridgeError(f"sweep num must be in 2..1000, got {num}")
    return [start + (stop - start) * i / (num - 1) for i in range(num)]


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def h_sweep(payload: Mapping[str, Any], progress: ProgressFn | None) -> dict[str, Any]:
    """Sweep one circuit parameter; P(target outcome) per point with a 95 % Wilson interval.

    Payload: circuit/qasm with a free parameter, ``param``, ``values`` or
    ``start/stop/num``, ``shots``, ``seed``, ``target`` (a bitstring; default all zeros).
    Each point's seed is ``derive_seed(seed, "point", i)``.
    """
    from qtcore.rng import derive_seed

    circ = build_circuit(payload)
    param = str(payload.get("param", "theta"))
    if param not in circ.parameters:
        raise BridgeError(
            f"parameter {param!r} is not free in the circuit (free: {sorted(circ.parameters)})"
        )
    values = _sweep_values(payload)
    shots = int(payload.get("shots", 256))
    seed = _seed(payload)
    backend = str(payload.get("backend", "auto"))
    points = []
    kernel = ""
    for i, value in enumerate(values):
        res = simulate(
            circ.bind({param: value}),
            shots=shots,
            seed=derive_seed(seed, "point", i),
            backend=backend,
        )
        kernel = res.kernel
        width = len(next(iter(res.counts), "0"))
        target = str(payload.get("target", "0" * width))
        k = res.counts.get(target, 0)
        lo, hi = _wilson(k, shots)
        point = {"value": value, "estimate": k / shots, "low": lo, "high": hi, "k": k}
        points.append(point)
        if progress is not None:
            progress(i + 1, len(values), json.dumps(point))
    return {
        "param": param,
        "points": points,
        "shots": shots,
        "seed": seed,
        "kernel": kernel,
        "interval": "Wilson score, 95 %",
    }


HANDLERS: dict[str, Callable[[Mapping[str, Any], ProgressFn | None], dict[str, Any]]] = {
    "load": h_load,
    "run": h_run,
    "frames": h_frames,
    "step": h_step,
    "qasm": h_qasm,
    "relativity": h_relativity,
    "scenario": h_scenario,
    "sweep": h_sweep,
}


def dispatch(kind: str, payload_json: str, progress: ProgressFn | None = None) -> str:
    """Serve one request: ``kind`` names the handler; the result is JSON text.

    Raises:
        BridgeError: for an unknown request type; anything a handler raises passes through.
    """
    handler = HANDLERS.get(kind)
    if handler is None:
        raise BridgeError(f"unknown request type {kind!r}; known: {', '.join(sorted(HANDLERS))}")
    payload = json.loads(payload_json or "{}")
    if not isinstance(payload, dict):
        raise BridgeError("payload must be a JSON object")
    return json.dumps(handler(payload, progress), allow_nan=False, default=_jsonable)


def call(kind: str, payload_json: str, progress: ProgressFn | None = None) -> str:
    """:func:`dispatch` wrapped in the reply envelope: ``{"ok": true, "result": ...}`` or
    ``{"ok": false, "error": {code, message, type, traceback, line?, column?}}``."""
    try:
        text = dispatch(kind, payload_json, progress)
    except Exception as exc:  # every error goes back to the page, never only to a console
        return '{"ok":false,"error":' + describe_error(exc) + "}"
    return '{"ok":true,"result":' + text + "}"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, complex):
        return [obj.real, obj.imag]
    if isinstance(obj, Iterable):
        return list(obj)
    return str(obj)


if __name__ == "__main__":  # pragma: no cover - manual smoke test
    bell = {
        "num_qubits": 2,
        "num_clbits": 2,
        "ops": [
            {"op": "h", "qubits": [0]},
            {"op": "cx", "qubits": [0, 1]},
            {"op": "measure", "qubits": [0], "clbits": [0]},
            {"op": "measure", "qubits": [1], "clbits": [1]},
        ],
    }
    print(dispatch("run", json.dumps({"circuit": bell, "shots": 1024, "seed": 7})))
