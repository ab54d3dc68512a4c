"""OpenQASM 3 control flow: published example programs with exact outcome distributions,
round trips through the exporter, and the constructs one by one.

The programs come from the openqasm/openqasm repository's ``examples/`` (teleport.qasm,
rus.qasm, qec.qasm, ipe.qasm). ``teleport.qasm`` is read verbatim; the others are
written in today's syntax (``def f(qubit[2] a)`` instead of the pre-specification
``def f qubit[2]:a``, ``qubit[2] a`` instead of ``qubit a[2]``), and ipe.qasm's angle
register arithmetic is replaced by the equivalent float feedback (noted below).
Expected distributions are derived in each test's docstring, not taken from a run.
"""

from __future__ import annotations

import math

import pytest

from qtcore import simulate
from qtcore.circuit import Circuit
from qtcore.control import For, IfElse, Switch, While
from qtcore.errors import SimulationError
from qtcore.qasm import dumps, loads

SHOTS = 8000


def within(count: int, shots: int, p: float) -> bool:
    return abs(count - shots * p) <= 6 * math.sqrt(shots * p * (1 - p)) + 1e-9


def ones(counts: dict[str, int], bit: int) -> int:
    return sum(v for k, v in counts.items() if k[len(k) - 1 - bit] == "1")


def round_trip_same_counts(circ: Circuit, seed: int = 3) -> None:
    """Exported and read back: the same structure, so the same counts for a seed."""
    text = dumps(circ, 3)
    again = loads(text)
    assert dumps(again, 3) == text, "export is a fixed point"
    a = simulate(circ, 2000, seed=seed, backend="python")
    b = simulate(again, 2000, seed=seed, backend="python")
    assert a.counts == b.counts, text


TELEPORT = """// quantum teleportation example
OPENQASM 3;
include "stdgates.inc";
qubit[3] q;
bit c0;
bit c1;
bit c2;
// optional post-rotation for state tomography
// empty gate body => identity gate
gate post q { }
reset q;
U(0.3, 0.2, 0.1) q[0];
h q[1];
cx q[1], q[2];
barrier q;
cx q[0], q[1];
h q[0];
c0 = measure q[0];
c1 = measure q[1];
if(c0==1) z q[2];
if(c1==1) { x q[2]; }  // braces optional in this case
post q[2];
c2 = measure q[2];
"""


def test_teleport_example_delivers_the_state() -> None:
    """U(0.3, ...)|0> reads 1 with sin^2(0.15); teleported, c2 reads the same; c0, c1
    are fair coins."""
    circ = loads(TELEPORT)
    res = simulate(circ, SHOTS, seed=1)
    assert within(ones(res.counts, 2), SHOTS, math.sin(0.15) ** 2)
    assert within(ones(res.counts, 0), SHOTS, 0.5) and within(ones(res.counts, 1), SHOTS, 0.5)
    round_trip_same_counts(circ)


RUS = """OPENQASM 3;
include "stdgates.inc";
/*
 * Applies identity if out is 01, 10, or 11 and a Z-rotation by
 * theta + pi where cos(theta)=3/5 if out is 00.
 * The 00 outcome occurs with probability 5/8.
 */
def segment(qubit[2] anc, qubit psi) -> bit[2] {
  bit[2] b;
  reset anc;
  h anc;
  ccx anc[0], anc[1], psi;
  s psi;
  ccx anc[0], anc[1], psi;
  z psi;
  h anc;
  measure anc -> b;
  return b;
}
qubit target;  // 'input' in the example, a keyword of OpenQASM 3 today
qubit[2] ancilla;
bit[2] flags = "11";
bit result;  // 'output' in the example, a keyword of OpenQASM 3 today
int[32] tries = 0;
bit first;
reset target;
h target;
while(int[2](flags) != 0) {
  flags = segment(ancilla, target);
  tries += 1;
}
rz(pi - arccos(3 / 5)) target;
h target;
result = measure target;  // should get zero
first = tries == 1;
"""


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_repeat_until_success_example(backend: str) -> None:
    """The loop ends with flags = 00 and the output always reads 0 (the comment of
    rus.qasm); each pass succeeds with probability 5/8, so the first pass does 5/8 of
    the time (a counter added to the example)."""
    if backend == "numpy":
        pytest.importorskip("numpy")
    circ = loads(RUS)
    assert any(isinstance(i.block, While) for i in circ.instructions)
    res = simulate(circ, SHOTS, seed=2, backend=backend)
    assert res.method == "branching"
    assert set(res.counts) <= {"0000", "1000"}, res.counts  # first, output, flags[1], flags[0]
    assert within(res.counts.get("1000", 0), SHOTS, 5 / 8), res.counts
    round_trip_same_counts(circ)


QEC = """OPENQASM 3;
include "stdgates.inc";
qubit[3] q;
qubit[2] a;
bit[3] c;
bit[2] syn;
def syndrome(qubit[3] d, qubit[2] a) -> bit[2] {
  bit[2] b;
  cx d[0], a[0];
  cx d[1], a[0];
  cx d[1], a[1];
  cx d[2], a[1];
  measure a -> b;
  return b;
}
reset q;
reset a;
ERROR
barrier q;
syn = syndrome(q, a);
if(CAST(syn)==1) x q[0];
if(CAST(syn)==2) x q[2];
if(CAST(syn)==3) x q[1];
c = measure q;
"""


@pytest.mark.parametrize(
    ("error", "syndrome"), [("", "00"), ("x q[0];", "01"), ("x q[1];", "11"), ("x q[2];", "10")]
)
def test_syndrome_measurement_example_corrects_one_flip(error: str, syndrome: str) -> None:
    """The repetition-code syndrome of qec.qasm: a flip on q[j] lights a[0] for j = 0, 1
    and a[1] for j = 1, 2; the correction restores c = 000 every time. (The example casts
    to int[2], where 2 and 3 read -2 and -1; uint[2] makes all three corrections fire.)"""
    circ = loads(QEC.replace("ERROR", error).replace("CAST", "uint[2]"))
    res = simulate(circ, 500, seed=4)
    assert res.counts == {f"{syndrome}000": 500}
    round_trip_same_counts(circ)


def test_syndrome_example_as_published_uses_signed_casts() -> None:
    """With the example's int[2], a flip on q[1] (syndrome 3 = -1) is not corrected."""
    circ = loads(QEC.replace("ERROR", "x q[1];").replace("CAST", "int[2]"))
    assert simulate(circ, 100, seed=4).counts == {"11010": 100}
    circ = loads(QEC.replace("ERROR", "x q[0];").replace("CAST", "int[2]"))
    assert simulate(circ, 100, seed=4).counts == {"01000": 100}


IPE = """OPENQASM 3;
include "stdgates.inc";
// Iterative phase estimation, after ipe.qasm: the angle register c of the example
// (shifted left each pass) is replaced by the float x = 0.b(k+1)b(k+2)... it encodes.
const int[32] n = 4;          // number of iterations
const float[64] theta = 3 * pi / 8;  // phase angle on target qubit
qubit q;    // phase estimation qubit
qubit r;    // target qubit for the controlled-unitary gate
bit[n] c;   // phase estimation bits
float[64] x = 0.0;
uint[n] est = 0;
reset q;
reset r;
// prepare uniform superposition of eigenvectors of phase
h r;
for int k in [n - 1:-1:0] {
  bit b;
  reset q;
  h q;
  ctrl @ phase(theta * 2 ** k) q, r;
  phase(-pi * x) q;
  h q;
  b = measure q;
  x = (b + x) / 2;
  est = (est >> 1) | (b << (n - 1));
}
c = est;
"""


def test_iterative_phase_estimation_example() -> None:
    """theta = 3 pi / 8 = 2 pi * 0.0011 (binary): on the eigenvector |1> the four passes
    read 0011 exactly; on |0> (phase 0) they read 0000; h r mixes the two half and half."""
    circ = loads(IPE)
    assert any(isinstance(i.block, For) for i in circ.instructions)
    res = simulate(circ, SHOTS, seed=5)
    assert set(res.counts) == {"0000", "0011"}, res.counts
    assert within(res.counts["0011"], SHOTS, 0.5)
    round_trip_same_counts(circ)
    # the gate-list form (what the editor sends to the worker) runs to the same counts
    back = Circuit.from_dict(circ.to_dict())
    assert simulate(back, 2000, seed=3).counts == simulate(circ, 2000, seed=3).counts


CONSTRUCTS = """OPENQASM 3;
include "stdgates.inc";
const int N = 3;
qubit[N] q;
qubit extra;
bit[N] m;
bit[2] out;
let pair = q[0:1];
let ends = q[{0, 2}] ++ extra;
uint[4] total = 0;
bool flag = false;
angle[16] a = 3 * pi;
def flip_if(qubit t, int k) {
  if (k > 1) { x t; } else { id t; }
}
box {
  h pair;
}
delay[100ns] q[0];
barrier q;
m[0:1] = measure pair;
for uint v in {1, 2, 4} {
  total += v;
}
switch (uint[2](m[0:1])) {
  case 0 {
    flip_if(ends[1], 2);
  }
  case 1, 2 {
    flag = true;
  }
  default {
    flip_if(ends[2], 5);
  }
}
if (flag && total == 7) { x q[1]; }
out[0] = measure q[2];
out[1] = measure extra;
"""


def test_constructs_one_by_one() -> None:
    """pair = q[0], q[1] are measured after H: m in {00, 01, 10, 11} uniformly.
    case 0: x q[2] (ends[1]); case 1, 2: flag, then x q[1] since total = 7 (q[1] is not
    measured again); default (3): x extra (ends[2]). So out = 01 for m = 00, 10 for 11,
    00 otherwise."""
    circ = loads(CONSTRUCTS)
    kinds = {i.kind for i in circ.instructions}
    assert {"assign", "for", "switch", "if"} <= kinds
    res = simulate(circ, SHOTS, seed=6)
    expected = {"01000": 0.25, "00001": 0.25, "00010": 0.25, "10011": 0.25}
    assert set(res.counts) == set(expected), res.counts
    for k, p in expected.items():
        assert within(res.counts[k], SHOTS, p)
    assert math.isclose(
        next(i.block.value.value for i in circ.instructions if i.kind == "assign"
             and getattr(i.block, "target", None) == "a"),
        3 * math.pi,
    )  # fmt: skip
    round_trip_same_counts(circ)


def test_measure_in_an_expression_and_while_cap() -> None:
    """while (measure q == 0) flips a fair coin until it reads 1: the loop always ends
    with q in |1>."""
    text = """OPENQASM 3;
include "stdgates.inc";
qubit q;
bit c;
h q;
while (measure q == 0) { h q; }
c = measure q;
"""
    circ = loads(text)
    assert simulate(circ, 1000, seed=7).counts == {"1": 1000}
    round_trip_same_counts(circ)
    stuck = loads(text.replace("h q;\nwhile (measure q == 0) { h q; }", "while (true) { h q; }"))
    with pytest.raises(SimulationError, match="still looping after 1000 iterations"):
        simulate(stuck, 10, seed=1)


def test_simple_if_keeps_its_flat_form() -> None:
    """A bit compared with a value, gates in the body: conditions on instructions, as
    before (what the editor and OpenQASM 2 export understand)."""
    circ = loads(TELEPORT)
    assert not circ.has_control_flow
    assert [i.condition is not None for i in circ.instructions].count(True) == 2
    blocky = loads(TELEPORT.replace("if(c0==1) z q[2];", "if(c0==1 && c1==0) z q[2];"))
    assert any(isinstance(i.block, IfElse) for i in blocky.instructions)


def test_switch_and_else_export_as_blocks() -> None:
    text = dumps(loads(CONSTRUCTS), 3)
    assert "switch (" in text and "case 1, 2 {" in text and "default {" in text
    assert "} else {" in text and "for uint v in {1, 2, 4} {" in text
    assert any(isinstance(i.block, Switch) for i in loads(text).instructions)
    with pytest.raises(Exception, match="OpenQASM 2 has no classical control flow"):
        dumps(loads(CONSTRUCTS), 2)


def test_loop_indexing_qubits_is_read_per_value() -> None:
    """A for loop whose body addresses qubits with the loop variable is read once per value
    (the same gates for every shot); a flip on d[1] lights both syndrome bits."""
    text = """OPENQASM 3;
include "stdgates.inc";
qubit[3] d;
qubit[2] a;
bit[2] s;
bit[3] m;
x d[1];
for int i in [0:1] { cx d[i], a[i]; cx d[i + 1], a[i]; }
for uint j in {0, 1} { s[j] = measure a[j]; }
for int k in [0:2] { m[k] = measure d[k]; }
"""
    circ = loads(text)
    assert not circ.has_control_flow
    assert [i.name for i in circ.instructions].count("cx") == 4
    assert simulate(circ, 200, seed=1).counts == {"01011": 200}
    nested = loads(
        text.replace(
            "for int i in [0:1] { cx d[i], a[i]; cx d[i + 1], a[i]; }",
            "for int i in [0:1] { for int k in [0:1] { cx d[i + k], a[i]; } }",
        )
    )
    assert simulate(nested, 200, seed=1).counts == {"01011": 200}


EDITOR_IF = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0] == 1) {
  x q[1];
} else {
  h q[1];
}
if (c[0] == 0) x q[0];
c[1] = measure q[1];
"""


def test_loads_with_blocks_keeps_braced_ifs_as_blocks() -> None:
    """The editor writes an if block as `if (...) { ... }` and a conditioned gate as
    `if (...) gate;`; with blocks=True both read back as they were written."""
    from qtcore.circuit import Condition

    flat, kept = loads(EDITOR_IF), loads(EDITOR_IF, blocks=True)
    assert [i.kind for i in flat] == ["gate", "measure", "gate", "gate", "gate", "measure"]
    assert [i.kind for i in kept] == ["gate", "measure", "if", "gate", "measure"]
    assert isinstance(kept.instructions[2].block, IfElse)
    assert kept.instructions[3].condition == Condition((0,), 0)
    assert loads(dumps(kept, 3), blocks=True) == kept
    assert loads(dumps(flat, 3), blocks=True) == flat
    # Both forms give the exact distribution: c0 = 1 then c1 = 1; c0 = 0 then c1 is a coin.
    shots = 8000
    exact = {"11": 0.5, "00": 0.25, "10": 0.25}
    for circ in (flat, kept):
        counts = simulate(circ, shots, seed=11).counts
        assert set(counts) == set(exact)
        for key, p in exact.items():
            assert abs(counts[key] - shots * p) <= 6 * math.sqrt(shots * p * (1 - p)), counts
