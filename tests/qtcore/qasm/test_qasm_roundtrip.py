"""Export then import: same unitary (exact phase where the gates allow), same measurements
and conditions; plus what the writer emits and refuses."""

from __future__ import annotations

import cmath
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qtcore import Circuit, CompositeGate, Gate, Parameter, UnitaryGate, simulate, unitary_of
from qtcore.errors import QasmError
from qtcore.ops import GATES, InverseGate
from qtcore.qasm import dump, dumps, load, loads

N = 5
ANGLES = st.floats(min_value=-7, max_value=7, allow_nan=False) | st.sampled_from(
    [0.0, math.pi, -math.pi / 2, math.pi / 4, 3 * math.pi / 4, 1e-7]
)


def _random_unitary(rng: random.Random) -> UnitaryGate:
    t, p, lam, g = (rng.uniform(-3, 3) for _ in range(4))
    c, s = math.cos(t / 2), math.sin(t / 2)
    z = cmath.exp(1j * g)
    m = [
        [z * c, -z * cmath.exp(1j * lam) * s],
        [z * cmath.exp(1j * p) * s, z * cmath.exp(1j * (p + lam)) * c],
    ]
    return UnitaryGate(m, label="u1q")


def _composite() -> CompositeGate:
    a = Parameter("a")
    body = Circuit(2).ry(a, 0).cx(0, 1).rz(2 * a - 0.5, 1).iswap(0, 1).cs(1, 0)
    return CompositeGate("blk", body, (0.0,), ("a",))


@st.composite
def circuits(draw: st.DrawFn, with_unitary: bool = True) -> Circuit:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    c = Circuit(N)
    names = [n for n in GATES]
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from([*names, "inverse", "composite", "unitary"]))
        if kind == "unitary" and not with_unitary:
            kind = "h"
        if kind == "unitary":
            c.append(_random_unitary(rng), [rng.randrange(N)])
            continue
        if kind == "inverse":
            c.append(InverseGate(Gate("iswap")), rng.sample(range(N), 2))
            continue
        if kind == "composite":
            g = _composite()
            c.append(
                CompositeGate(g.name, g.definition, (draw(ANGLES),), ("a",)),
                rng.sample(range(N), 2),
            )
            continue
        spec = GATES[kind]
        nc = draw(st.integers(1, N - 1)) if spec.variadic else None
        params = [draw(ANGLES) for _ in range(spec.num_params)]
        g = Gate(kind, params, nc)
        c.append(g, rng.sample(range(N), g.num_qubits))
    return c


def _max_diff(
    u: tuple[tuple[complex, ...], ...], v: tuple[tuple[complex, ...], ...], up_to_phase: bool
) -> float:
    z = 1 + 0j
    if up_to_phase:
        k = max(range(len(v)), key=lambda i: abs(v[i][0]))
        z = u[k][0] / v[k][0]
    return max(
        abs(a - z * b) for ru, rv in zip(u, v, strict=True) for a, b in zip(ru, rv, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(circuits(), st.sampled_from([2, 3]))
def test_roundtrip_unitary(c: Circuit, version: int) -> None:
    text = dumps(c, version)
    back = loads(text)
    assert back.num_qubits == c.num_qubits and back.qregs == c.qregs
    has_unitary = any(isinstance(i.gate, UnitaryGate) for i in c)
    diff = _max_diff(unitary_of(back), unitary_of(c), up_to_phase=has_unitary)
    assert diff < 1e-9, text


@settings(max_examples=40, deadline=None)
@given(circuits(with_unitary=False), st.sampled_from([2, 3]))
def test_roundtrip_text_is_stable(c: Circuit, version: int) -> None:
    text = dumps(loads(dumps(c, version)), version)  # one pass may rename (u -> u3)
    assert dumps(loads(text), version) == text


@st.composite
def dynamic_circuits(draw: st.DrawFn, version: int) -> Circuit:
    c = Circuit(3, 3)
    c.qregs = [("q", 2), ("anc", 1)]
    c.cregs = [("c", 2), ("flag", 1)]
    regs = [(0, 1), (2,)]
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["h", "rx", "cx", "measure", "reset", "barrier"]))
        q = draw(st.integers(0, 2))
        if kind == "h":
            c.h(q)
        elif kind == "rx":
            c.rx(draw(ANGLES), q)
        elif kind == "cx":
            c.cx(q, (q + 1) % 3)
        elif kind == "measure":
            c.measure(q, draw(st.integers(0, 2)))
        elif kind == "reset":
            c.reset(q)
        else:
            c.barrier(*sorted({q, (q + 2) % 3}))
        if kind != "barrier" and draw(st.booleans()):
            if version == 2:
                bits = draw(st.sampled_from(regs))
            else:
                bits = tuple(draw(st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True)))
            c.c_if(list(bits), draw(st.integers(0, (1 << len(bits)) - 1)))
    return c


@settings(max_examples=50, deadline=None)
@given(st.data(), st.sampled_from([2, 3]))
def test_roundtrip_measurements_and_conditions(data: st.DataObject, version: int) -> None:
    c = data.draw(dynamic_circuits(version))
    back = loads(dumps(c, version))
    assert back.cregs == c.cregs
    assert [(i.kind, i.qubits, i.clbits, i.condition) for i in back] == [
        (i.kind, i.qubits, i.clbits, i.condition) for i in c
    ]
    assert simulate(back, shots=64, seed=5).counts == simulate(c, shots=64, seed=5).counts


# ----------------------------------------------------------------- the writer's output
def test_dumps_qasm2_text() -> None:
    c = Circuit(2, 2).h(0).u(0.5, math.pi / 2, -math.pi, 1).cp(math.pi / 4, 0, 1)
    c.measure(0, 0).x(1).c_if("c", 1).reset(1).barrier()
    assert dumps(c, 2) == (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\n'
        "u3(0.5, pi/2, -pi) q[1];\ncu1(pi/4) q[0], q[1];\nmeasure q[0] -> c[0];\n"
        "if (c == 1) x q[1];\nreset q[1];\nbarrier q[0], q[1];\n"
    )


def test_dumps_qasm3_text() -> None:
    c = Circuit(3, 2).sxdg(0).u2(0.1, 0.2, 1).cs(0, 1).mcx([0, 1], 2).mcx([0], 2)
    c.mcp(0.3, [0, 1], 2).measure(2, 1).x(0).c_if([1], 1)
    assert dumps(c, 3) == (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[2] c;\ninv @ sx q[0];\n'
        "U(pi/2, 0.1, 0.2) q[1];\nctrl @ s q[0], q[1];\nccx q[0], q[1], q[2];\n"
        "cx q[0], q[2];\nctrl(2) @ p(0.3) q[0], q[1], q[2];\nc[1] = measure q[2];\n"
        "if (c[1] == 1) x q[0];\n"
    )


def test_dumps_floats_round_trip_exactly() -> None:
    values = [0.1, 1 / 3, -2.5e-17, 1e22, math.pi / 3, -7 * math.pi / 8, 2 * math.pi, 5e-324]
    c = Circuit(1)
    for v in values:
        c.rz(v, 0)
    for version in (2, 3):
        back = loads(dumps(c, version))
        assert [i.gate.params[0] for i in back] == values  # type: ignore[union-attr]


def test_dumps_many_controls_exact() -> None:
    c = Circuit(7).h(0).h(3).mcx([0, 1, 2, 3, 4, 5], 6).mcz([0, 2, 3, 4], 5).mcp(0.7, [6, 1, 0], 3)
    c.ccz(2, 4, 6)
    text = dumps(c, 2)
    assert "gate mcx6" in text and "gate mcphase4" in text and "gate ccz" in text
    # check on a few basis states instead of the 128x128 unitary
    back = loads(text)
    for start in ("1111111", "0111111", "1011101", "0101011"):
        a = simulate(c, initial_state=start, backend="python").state.to_list()
        b = simulate(back, initial_state=start, backend="python").state.to_list()
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-9


def test_dumps_unbound_parameters() -> None:
    c = Circuit(1).rx(Parameter("theta") / 2, 0).rz(Parameter("phi"), 0)
    with pytest.raises(QasmError, match=r"unbound parameter\(s\) \['phi', 'theta'\]"):
        dumps(c, 2)
    text = dumps(c, 3)
    assert "input float[64] phi;\ninput float[64] theta;" in text
    back = loads(text)
    assert back.parameters == {"theta", "phi"}
    assert unitary_of(back.bind(theta=0.4, phi=1.0)) == unitary_of(c.bind(theta=0.4, phi=1.0))


def test_dumps_rejects_what_it_cannot_write() -> None:
    c = Circuit(2).unitary([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], [0, 1], "sw")
    with pytest.raises(QasmError, match="2-qubit UnitaryGate 'sw'"):
        dumps(c, 2)
    c = Circuit(1, 3).x(0).c_if([0, 2], 1)
    with pytest.raises(QasmError, match="whole classical register"):
        dumps(c, 2)
    assert "if (c[0] == 1) if (c[2] == 0) x q[0];" in dumps(c, 3)
    assert loads(dumps(c, 3)) == loads(dumps(c, 3), blocks=True) == c
    with pytest.raises(QasmError, match="version must be 2 or 3"):
        dumps(Circuit(1), 4)
    bad = Circuit(1)
    bad.qregs = [("my reg", 1)]
    with pytest.raises(QasmError, match="not a valid OpenQASM identifier"):
        dumps(bad)


def test_dumps_composite_name_clash_is_renamed() -> None:
    h_like = CompositeGate("h", Circuit(1).x(0))
    other = CompositeGate("blk", Circuit(1).y(0))
    other2 = CompositeGate("blk", Circuit(1).z(0))
    c = Circuit(1).append(h_like, [0]).append(other, [0]).append(other2, [0]).append(other, [0])
    text = dumps(c, 2)
    assert "gate h_1 q0" in text and "gate blk q0" in text and "gate blk_1 q0" in text
    assert text.endswith("h_1 q[0];\nblk q[0];\nblk_1 q[0];\nblk q[0];\n")
    assert _max_diff(unitary_of(loads(text)), unitary_of(c), False) < 1e-12


def test_dump_and_load_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "c.qasm"  # type: ignore[operator]
    c = Circuit(2).h(0).cx(0, 1)
    dump(c, path, version=3)
    assert load(path).instructions == c.instructions


@pytest.mark.parametrize("name", ["end", "switch", "pragma", "duration", "gphase"])
def test_roundtrip_gate_named_like_a_v3_keyword(name: str) -> None:
    from qtcore import Circuit, unitary_of
    from qtcore.qasm import dumps, loads

    body = Circuit(1).h(0).t(0)
    c = Circuit(1).append(body.to_gate(name), [0])
    for version in (2, 3):
        again = loads(dumps(c, version))
        u, v = unitary_of(c), unitary_of(again)
        assert max(abs(a - b) for ra, rb in zip(u, v) for a, b in zip(ra, rb)) < 1e-12
