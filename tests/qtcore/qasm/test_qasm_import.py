"""Importing OpenQASM: published programs against their analytic outcomes, and features."""

from __future__ import annotations

import cmath
import math

import pytest

from qtcore import CompositeGate, Condition, Parameter, simulate, unitary_of
from qtcore.qasm import load, loads

SQ2 = 1 / math.sqrt(2)


def _close(a: complex, b: complex, tol: float = 1e-9) -> bool:
    return abs(a - b) < tol


# ----------------------------------------------------------------- published programs
TELEPORT = """
// quantum teleportation (Qiskit textbook / OpenQASM 2 paper, Cross et al. 2017)
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c0[1];
creg c1[1];
creg c2[1];
u3(0.3,0.2,0.1) q[0];   // the state to send
h q[1];
cx q[1],q[2];
barrier q;
cx q[0],q[1];
h q[0];
measure q[0] -> c0[0];
measure q[1] -> c1[0];
if(c0==1) z q[2];
if(c1==1) x q[2];
u3(-0.3,-0.1,-0.2) q[2];  // undo the preparation: q[2] must read 0
measure q[2] -> c2[0];
"""


def test_import_teleportation_recovers_state() -> None:
    c = loads(TELEPORT)
    assert c.cregs == [("c0", 1), ("c1", 1), ("c2", 1)]
    conds = [i.condition for i in c.instructions if i.condition is not None]
    assert conds == [Condition((0,), 1), Condition((1,), 1)]
    r = simulate(c, shots=400, seed=7, backend="python")
    assert sum(r.counts.values()) == 400
    assert all(key[0] == "0" for key in r.counts), r.counts  # c2 (leftmost) is always 0
    assert len(r.counts) == 4  # the two Bell-measurement bits are uniformly spread


QFT4 = """
OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
// basis state |x> = |1011> = 11 (q[0] least significant)
x q[0]; x q[1]; x q[3];
h q[3];
cu1(pi/2) q[2],q[3]; cu1(pi/4) q[1],q[3]; cu1(pi/8) q[0],q[3];
h q[2];
cu1(pi/2) q[1],q[2]; cu1(pi/4) q[0],q[2];
h q[1];
cu1(pi/2) q[0],q[1];
h q[0];
swap q[0],q[3]; swap q[1],q[2];
"""


def test_import_qft_matches_discrete_fourier_transform() -> None:
    state = simulate(loads(QFT4), backend="python").state.to_list()
    n, x = 16, 11
    for y, amp in enumerate(state):
        assert _close(amp, cmath.exp(2j * math.pi * x * y / n) / 4), (y, amp)


def test_import_deutsch_jozsa_balanced_and_constant() -> None:
    head = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[3]; qreg anc[1]; creg c[3];\n'
    prep = "x anc[0]; h q; h anc[0];\n"
    tail = "h q; measure q -> c;\n"
    balanced = loads(head + prep + "cx q[0],anc[0]; cx q[1],anc[0]; cx q[2],anc[0];\n" + tail)
    constant = loads(head + prep + "x anc[0];\n" + tail)
    assert simulate(balanced, shots=50, seed=1).counts == {"111": 50}
    assert simulate(constant, shots=50, seed=1).counts == {"000": 50}


def test_import_bernstein_vazirani_reads_secret() -> None:
    secret = "1011"  # s_3 s_2 s_1 s_0
    oracle = "".join(
        f"cx q[{i}], anc[0];\n" for i, bit in enumerate(reversed(secret)) if bit == "1"
    )
    text = f"""OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
qreg anc[1];
creg c[4];
x anc[0];
h anc[0];
h q;
{oracle}h q;
measure q -> c;
"""
    assert simulate(loads(text), shots=30, seed=3).counts == {secret: 30}


ADDER = """
// quantum ripple-carry adder from Cuccaro et al., as in Cross et al. 2017 (Fig. 2)
OPENQASM 2.0;
include "qelib1.inc";
gate majority a,b,c
{
  cx c,b;
  cx c,a;
  ccx a,b,c;
}
gate unmaj a,b,c
{
  ccx a,b,c;
  cx c,a;
  cx a,b;
}
qreg cin[1];
qreg a[4];
qreg b[4];
qreg cout[1];
creg ans[5];
// set input states
x a[0]; // a = 0001
x b;    // b = 1111
// add a to b, storing result in b
majority cin[0],b[0],a[0];
majority a[0],b[1],a[1];
majority a[1],b[2],a[2];
majority a[2],b[3],a[3];
cx a[3],cout[0];
unmaj a[2],b[3],a[3];
unmaj a[1],b[2],a[2];
unmaj a[0],b[1],a[1];
unmaj cin[0],b[0],a[0];
measure b[0] -> ans[0];
measure b[1] -> ans[1];
measure b[2] -> ans[2];
measure b[3] -> ans[3];
measure cout[0] -> ans[4];
"""


@pytest.mark.parametrize(("a", "b"), [(1, 15), (5, 9), (7, 3), (0, 0), (15, 15)])
def test_import_adder_adds(a: int, b: int) -> None:
    text = ADDER.replace("x a[0]; // a = 0001\nx b;    // b = 1111\n", "")
    sets = [f"x a[{i}];" for i in range(4) if a >> i & 1]
    sets += [f"x b[{i}];" for i in range(4) if b >> i & 1]
    text = text.replace("// add a to b", " ".join(sets) + "\n// add a to b")
    c = loads(text)
    assert [g for g in c.count_ops() if g in ("majority", "unmaj")] == ["majority", "unmaj"]
    assert isinstance(next(i.gate for i in c if i.name == "majority"), CompositeGate)
    r = simulate(c, shots=5, seed=0)
    assert r.counts == {format(a + b, "05b"): 5}


def test_import_paper_adder_default_inputs() -> None:
    assert simulate(loads(ADDER), shots=3, seed=0).counts == {"10000": 3}


GHZ3 = """
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
"""


def test_import_qasm3_ghz_counts() -> None:
    r = simulate(loads(GHZ3), shots=200, seed=11)
    assert set(r.counts) == {"000", "111"}
    assert 60 < r.counts["000"] < 140


# ----------------------------------------------------------------- features
def test_import_registers_flatten_in_declaration_order() -> None:
    c = loads(
        'OPENQASM 2.0; include "qelib1.inc"; qreg a[2]; creg m[1]; qreg b[3]; '
        "creg n[2]; x b[1]; measure b[1] -> n[1];"
    )
    assert (c.num_qubits, c.num_clbits) == (5, 3)
    assert c.qregs == [("a", 2), ("b", 3)] and c.cregs == [("m", 1), ("n", 2)]
    assert c.instructions[0].qubits == (3,)
    assert c.instructions[1].clbits == (2,)


def test_import_broadcasting() -> None:
    c = loads(
        'OPENQASM 2.0; include "qelib1.inc"; qreg a[3]; qreg b[3]; creg c[3]; '
        "h a; cx a, b; cx a[0], b; measure b -> c; reset a; barrier a, b[0];"
    )
    ops = [(i.name, i.qubits, i.clbits) for i in c.instructions]
    assert ops[:3] == [("h", (0,), ()), ("h", (1,), ()), ("h", (2,), ())]
    assert ops[3:6] == [("cx", (0, 3), ()), ("cx", (1, 4), ()), ("cx", (2, 5), ())]
    assert ops[6:9] == [("cx", (0, 3), ()), ("cx", (0, 4), ()), ("cx", (0, 5), ())]
    assert ops[9:12] == [("measure", (3,), (0,)), ("measure", (4,), (1,)), ("measure", (5,), (2,))]
    assert [o[0] for o in ops[12:15]] == ["reset"] * 3
    assert ops[15] == ("barrier", (0, 1, 2, 3), ())


def test_import_condition_on_whole_register() -> None:
    c = loads(
        'OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; creg a[1]; creg b[2]; '
        "if (b == 2) x q[0]; if(b==1) measure q[0] -> a[0]; if (a == 0) reset q[0];"
    )
    assert [i.condition for i in c] == [
        Condition((1, 2), 2),
        Condition((1, 2), 1),
        Condition((0,), 0),
    ]


def test_import_expressions() -> None:
    text = (
        'OPENQASM 2.0; include "qelib1.inc"; qreg q[1];\n'
        "u3(-pi/2 + 2*sin(pi/6)^2, exp(1) - ln(2), sqrt(2)*cos(0)/tan(pi/4)) q[0];\n"
        "rz(-(-pi)) q[0]; rx(2^-1) q[0]; ry(1.5e-1) q[0]; ry(.5) q[0]; ry(-2^2) q[0];"
    )
    c = loads(text)
    params = [i.gate.params for i in c]  # type: ignore[union-attr]
    want = (
        -math.pi / 2 + 2 * math.sin(math.pi / 6) ** 2,
        math.e - math.log(2),
        math.sqrt(2) / math.tan(math.pi / 4),
    )
    assert all(math.isclose(a, b, abs_tol=1e-15) for a, b in zip(params[0], want, strict=True))
    assert [p[0] for p in params[1:]] == [math.pi, 0.5, 0.15, 0.5, -4.0]


def test_import_comments_and_whitespace() -> None:
    text = (
        'OPENQASM 2.0; /* block\n comment */ include "qelib1.inc";\n'
        "qreg q[1]; // line comment\n\th\tq[0]; /* x q[0]; */"
    )
    assert [i.name for i in loads(text)] == ["h"]


def test_import_custom_gate_parameters_and_nesting() -> None:
    c = loads(
        'OPENQASM 2.0; include "qelib1.inc";\n'
        "gate rot(theta, phi) a { rz(phi) a; rx(theta/2) a; }\n"
        "gate pair(t) a, b { rot(t, 2*t) a; cx a, b; rot(-t, 0) b; }\n"
        "qreg q[2]; pair(0.4) q[1], q[0];"
    )
    (ins,) = c.instructions
    g = ins.gate
    assert isinstance(g, CompositeGate)
    assert g.param_names == ("t",) and g.params == (0.4,) and ins.qubits == (1, 0)
    inner = g.definition.instructions[0].gate
    assert isinstance(inner, CompositeGate) and inner.params == (Parameter("t"), 2 * Parameter("t"))
    # reference: the same gates written out
    ref = loads(
        'OPENQASM 2.0; include "qelib1.inc"; qreg q[2];\n'
        "rz(0.8) q[1]; rx(0.2) q[1]; cx q[1], q[0]; rz(0) q[0]; rx(-0.2) q[0];"
    )
    u, v = unitary_of(c), unitary_of(ref)
    assert all(
        _close(a, b) for ra, rb in zip(u, v, strict=True) for a, b in zip(ra, rb, strict=True)
    )


def test_import_qasm3_declarations_and_measure_forms() -> None:
    c = loads(
        'OPENQASM 3; include "stdgates.inc"; qubit a; qubit[2] q; bit b; bit[2] c;\n'
        "x a; b = measure a; c = measure q; measure q[1] -> c[0]; c[1] = measure a;\n"
        "qreg r[1]; creg d[1]; measure r[0] -> d[0];"
    )
    assert c.qregs == [("a", 1), ("q", 2), ("r", 1)] and c.cregs == [("b", 1), ("c", 2), ("d", 1)]
    meas = [(i.qubits[0], i.clbits[0]) for i in c if i.kind == "measure"]
    assert meas == [(0, 0), (1, 1), (2, 2), (2, 1), (0, 2), (3, 3)]


def test_import_qasm3_constants_and_unicode() -> None:
    c = loads(
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit q;\n'
        "rz(π/2) q; rz(pi/2) q; rz(τ) q; rz(tau) q; rz(euler) q; rz(2**3) q;\n"
        "gate r(θ) a { rx(θ) a; }\nr(1) q;"
    )
    ps = [i.gate.params[0] for i in c.instructions[:6]]  # type: ignore[union-attr]
    assert ps == [math.pi / 2, math.pi / 2, math.tau, math.tau, math.e, 8.0]
    assert c.instructions[6].gate.param_names == ("θ",)  # type: ignore[union-attr]


def test_import_qasm3_if_forms() -> None:
    c = loads(
        'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; bit f;\n'
        "if (c[1]) x q[0];\nif (!c[0]) { x q[0]; y q[1]; }\n"
        "if (c == 3) z q[0];\nif (f == true) h q[0]; else h q[1];\n"
        "if (c[0] != 1) { if (f) { reset q[1]; } }\nif (f == false) c[0] = measure q[0];"
    )
    conds = [i.condition for i in c]
    assert conds == [
        Condition((1,), 1),
        Condition((0,), 0),
        Condition((0,), 0),
        Condition((0, 1), 3),
        Condition((2,), 1),
        Condition((2,), 0),
        Condition((0, 2), 0b10),  # c[0] == 0 and f == 1
        Condition((2,), 0),
    ]


def test_import_qasm3_barrier_all_and_gphase_top_level() -> None:
    c = loads('OPENQASM 3; include "stdgates.inc"; qubit[3] q; gphase(0.3); barrier;')
    assert [(i.kind, i.qubits) for i in c] == [("barrier", (0, 1, 2))]


def test_import_qasm3_input_parameters_bind() -> None:
    c = loads(
        'OPENQASM 3; include "stdgates.inc"; input float[64] theta; input angle phi;\n'
        "qubit q; rx(theta / 2) q; rz(sin(phi)) q;"
    )
    assert c.parameters == frozenset({"theta", "phi"})
    bound = c.bind(theta=1.0, phi=0.5)
    assert [i.gate.params for i in bound] == [(0.5,), (math.sin(0.5),)]  # type: ignore[union-attr]


def test_import_without_header_is_qasm3() -> None:
    c = loads('include "stdgates.inc"; qubit[2] q; ctrl @ x q[0], q[1];')
    assert [i.name for i in c] == ["cx"]


def test_import_u0_and_builtins() -> None:
    c = loads("OPENQASM 2.0; qreg q[2]; U(pi, 0, pi) q[0]; CX q[0], q[1];")
    assert [i.name for i in c] == ["u", "cx"]
    assert simulate(c, backend="python").probabilities() == pytest.approx([0, 0, 0, 1])
    c = loads('OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; u0(3) q[0]; id q[0];')
    assert [i.name for i in c] == ["id", "id"]


def test_import_include_twice_is_harmless() -> None:
    c = loads('OPENQASM 2.0; include "qelib1.inc"; include "qelib1.inc"; qreg q[1]; h q[0];')
    assert len(c) == 1


def test_load_reads_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "bell.qasm"  # type: ignore[operator]
    path.write_text(GHZ3, encoding="utf-8")
    assert load(path).count_ops()["cx"] == 2
