"""Structured control flow (qtcore.control) run by the branching simulator.

Expected distributions are worked out by hand from the circuits (stated per test).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from qtcore import Circuit, simulate
from qtcore._parameter import Parameter
from qtcore.circuit import Instruction
from qtcore.control import (
    Assign,
    Binary,
    Bits,
    Cast,
    Const,
    CType,
    For,
    IfElse,
    Switch,
    Var,
    VarBit,
    While,
)
from qtcore.errors import CircuitError, SimulationError
from qtcore.ops import Gate
from qtcore.sim import iter_steps


def g(name: str, *qubits: int, params: tuple[object, ...] = ()) -> Instruction:
    return Instruction("gate", qubits, Gate(name, params))  # type: ignore[arg-type]


def measure(q: int, c: int) -> Instruction:
    return Instruction("measure", (q,), clbits=(c,))


def assign(name: str, value: object, ctype: CType | None = None) -> Instruction:
    return Instruction("assign", (), block=Assign(name, value, ctype))  # type: ignore[arg-type]


def within(count: int, shots: int, p: float) -> bool:
    return abs(count - shots * p) <= 6 * math.sqrt(shots * p * (1 - p)) + 1e-9


def rus_circuit(cap: int = 1000) -> Circuit:
    """Repeat a fair coin on qubit 0 until it reads 1, counting tries in ``n``; flip qubit 1
    when more than two tries were needed: P(qubit 1 = 1) = P(two failures) = 1/4."""
    c = Circuit(2, 2)
    c.control("assign", Assign("n", Const(0), CType("int", 8)))
    body = (
        Instruction("reset", (0,)),
        g("h", 0),
        measure(0, 0),
        assign("n", Binary("+", Var("n"), Const(1))),
    )
    c.control("while", While(Binary("==", Bits((0,)), Const(0)), body, cap))
    c.control("if", IfElse(Binary(">", Var("n"), Const(2)), (g("x", 1),)))
    c.measure(1, 1)
    return c


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_while_loop_repeats_until_success(backend: str) -> None:
    if backend == "numpy":
        pytest.importorskip("numpy")
    shots = 20000
    res = simulate(rus_circuit(), shots, seed=5, backend=backend)
    assert res.method == "branching"
    assert set(res.counts) == {"01", "11"}  # the loop always ends with c[0] = 1
    assert within(res.counts["11"], shots, 0.25), res.counts
    traj = simulate(rus_circuit(), 4000, seed=5, backend=backend, method="trajectories")
    assert traj.method == "trajectories" and within(traj.counts.get("11", 0), 4000, 0.25)


@pytest.mark.numpy
def test_control_flow_counts_identical_with_every_kernel() -> None:
    a = simulate(rus_circuit(), 5000, seed=9, backend="python", memory=True)
    b = simulate(rus_circuit(), 5000, seed=9, backend="numpy", memory=True)
    assert a.counts == b.counts and a.memory == b.memory


def test_while_loop_past_its_cap_is_a_clear_error() -> None:
    c = Circuit(1, 1)
    c.control("while", While(Const(True), (g("h", 0),), max_iterations=5))
    with pytest.raises(SimulationError, match="still looping after 5 iterations"):
        simulate(c, 10, seed=1)


def test_for_loop_binds_a_classical_variable_into_a_gate() -> None:
    """ry(0.2 i) for i = 1, 2, 3 is ry(1.2): P(1) = sin^2(0.6)."""
    c = Circuit(1, 1)
    body = (assign("theta", Binary("*", Var("i"), Const(0.2))),
            Instruction("gate", (0,), Gate("ry", (Parameter("theta"),))))  # fmt: skip
    c.control("for", For("i", CType("int"), None, (Const(1), Const(1), Const(3)), body))
    c.measure(0, 0)
    assert c.parameters == frozenset(), "the loop's variables are not free parameters"
    assert c.classical_variables == {"i", "theta"}
    shots = 20000
    res = simulate(c, shots, seed=2)
    assert within(res.counts.get("1", 0), shots, math.sin(0.6) ** 2), res.counts


def test_for_loop_over_a_set_and_an_empty_range() -> None:
    c = Circuit(1, 1)
    c.control("assign", Assign("k", Const(0), CType("uint", 4)))
    add = (assign("k", Binary("+", Var("k"), Var("v"))),)
    c.control("for", For("v", CType("int"), (Const(3), Const(5), Const(9)), None, add))
    c.control("for", For("w", CType("int"), None, (Const(3), Const(1), Const(2)), (g("x", 0),)))
    # 3 + 5 + 9 = 17 wraps to 1 in uint[4]; write it into c[0]
    c.control("assign", Assign((0,), Var("k")))
    res = simulate(c, 10, seed=1)
    assert res.clbits == [1]
    assert res.counts == {"0": 10}  # no measurement: counts over the qubit, never flipped


def test_switch_picks_the_matching_case() -> None:
    """Two fair coins give v in 0..3 uniformly; case 0: X (q2 = 1), case 1, 2: nothing,
    default (3): H (q2 = 1 half the time). P(c2 = 1) = 1/4 + 1/8 = 3/8."""
    c = Circuit(3, 3).h(0).h(1).measure(0, 0).measure(1, 1)
    c.control(
        "switch",
        Switch(
            Bits((0, 1)), (((Const(0),), (g("x", 2),)), ((Const(1), Const(2)), ())), (g("h", 2),)
        ),
    )
    c.measure(2, 2)
    shots = 20000
    res = simulate(c, shots, seed=3)
    ones = sum(v for k, v in res.counts.items() if k[0] == "1")
    assert within(ones, shots, 3 / 8)
    assert res.counts.get("101", 0) == 0 and res.counts.get("110", 0) == 0  # cases 1, 2: no flip
    assert res.counts.get("000", 0) == 0  # case 0 always flips


def test_classical_types_wrap_and_cast() -> None:
    assert CType("int", 3).coerce(5) == -3
    assert CType("uint", 3).coerce(9) == 1
    assert CType("bool").coerce(2) is True
    assert CType("angle").coerce(-math.pi / 2) == pytest.approx(3 * math.pi / 2)
    assert CType("int").coerce(-2.7) == -2  # toward zero
    c = Circuit(1, 2).x(0).measure(0, 1)
    assert CType("int", 2).coerce(2) == -2  # signed: 0b10 reads -2
    cond = Binary("==", Cast(CType("uint", 2), Bits((0, 1))), Const(2))
    c.control("if", IfElse(cond, (g("x", 0),), (g("h", 0),)))
    c.measure(0, 0)
    assert simulate(c, 50, seed=4).counts == {"10": 50}
    with pytest.raises(CircuitError, match="unknown classical type"):
        CType("complex")


def test_bad_control_flow_is_rejected_with_a_reason() -> None:
    c = Circuit(1, 1)
    with pytest.raises(CircuitError, match="needs kind 'if'"):
        c.control("while", IfElse(Const(True), ()))
    with pytest.raises(CircuitError, match="qubit 3 out of range"):
        c.control("if", IfElse(Const(True), (g("x", 3),)))
    d = Circuit(1, 1)
    d.control("assign", Assign("z", Binary("/", Const(1), Const(0))))
    with pytest.raises(SimulationError, match="division by zero"):
        simulate(d, 5, seed=1)
    e = Circuit(1, 1)
    e.control("if", IfElse(Var("nope"), ()))
    with pytest.raises(SimulationError, match="'nope' is read before it is set"):
        simulate(e, 5, seed=1)
    with pytest.raises(CircuitError, match="compose cannot map control-flow"):
        Circuit(2, 2).compose(rus_circuit())


@pytest.mark.parametrize(
    ("kind", "block"),
    [
        ("if", IfElse(Binary("==", Bits((5,)), Const(1)), ())),
        ("while", While(Bits((2,)), ())),
        ("switch", Switch(Bits((0, 3)), (((Const(0),), ()),))),
        ("assign", Assign("v", Binary("+", Bits((4,)), Const(1)))),
        ("if", IfElse(Const(True), (Instruction("if", (), block=IfElse(Bits((9,)), ())),))),
    ],
)
def test_a_block_that_reads_a_missing_bit_is_rejected(kind: str, block: Any) -> None:
    """A condition on c[5] in a 2-bit circuit used to be accepted and fail at run time
    with an IndexError; it is refused where it is added, naming the bit."""
    c = Circuit(1, 2)
    with pytest.raises(CircuitError, match=r"reads classical bit c\[\d\], which does not exist"):
        c.control(kind, block)
    assert c.instructions == []
    d = {
        "num_qubits": 1,
        "num_clbits": 2,
        "ops": [
            {
                "op": "if",
                "block": {
                    "condition": {"op": "==", "args": [{"bits": [5]}, {"const": 1}]},
                    "then": [],
                },
            }
        ],
    }
    with pytest.raises(CircuitError, match=r"c\[5\], which does not exist.*2 classical bit"):
        Circuit.from_dict(d)


def test_steps_follow_the_loop_pass_by_pass() -> None:
    steps = list(iter_steps(rus_circuit(), seed=2, backend="python"))
    names = [s.instruction.name if s.instruction else None for s in steps]
    passes = names.count("h")
    assert passes >= 1 and names.count("reset") == passes and names.count("measure") == passes + 1
    assert [s.index for s in steps] == list(range(-1, len(steps) - 1))
    last_loop_measure = [s for s in steps if s.instruction and s.instruction.kind == "measure"][-2]
    assert last_loop_measure.outcome == 1 and last_loop_measure.clbits[0] == 1
    assert "while (c[0] == 0) {4 ops}" in [s.instruction.describe() for s in steps if s.instruction]


def test_gate_list_form_carries_blocks_and_reads_them_back() -> None:
    """to_dict writes blocks as JSON (what the editor and the worker exchange);
    from_dict rebuilds the same circuit, which runs to the same counts."""
    import json

    c = rus_circuit()
    c.instructions.append(Instruction("measure", (0,), block=VarBit("v", 2)))
    d = json.loads(json.dumps(c.to_dict()))
    assert [op["op"] for op in d["ops"]] == ["assign", "while", "if", "measure", "measure"]
    assert d["ops"][1]["text"] == "while (c[0] == 0) {4 ops}"
    assert d["ops"][-1] == {"op": "measure", "qubits": [0], "var": "v", "bit": 2}
    back = Circuit.from_dict(d)
    assert back == c
    assert simulate(back, 500, seed=3).counts == simulate(c, 500, seed=3).counts


@pytest.mark.parametrize(
    ("op", "words"),
    [
        ({"op": "while", "qubits": [0], "block": {"body": []}}, "malformed while block"),
        (
            {"op": "if", "block": {"condition": {"op": "??", "args": []}, "then": []}},
            "unknown operator",
        ),
        ({"op": "if", "block": {"condition": {"const": "x"}, "then": []}}, "number or a bool"),
        (
            {"op": "for", "block": {"var": "i", "values": None, "range": None, "body": []}},
            "exactly one of 'values' and 'range'",
        ),
        (
            {
                "op": "if",
                "block": {"condition": {"const": 1}, "then": [{"op": "x", "qubits": [7]}]},
            },
            "body\\[0\\]: qubit 7 out of range",
        ),
        (
            {"op": "while", "block": {"condition": {"const": 1}, "body": [], "max_iterations": 0}},
            "max_iterations must be a positive integer",
        ),
        ({"op": "measure", "qubits": [0, 1], "var": "v", "bit": 0}, "takes one qubit"),
    ],
)
def test_gate_list_form_rejects_bad_blocks(op: dict[str, object], words: str) -> None:
    with pytest.raises(CircuitError, match=words):
        Circuit.from_dict({"num_qubits": 2, "num_clbits": 1, "ops": [op]})


def test_parameter_strings_with_powers_and_functions_of_free_parameters() -> None:
    """What the gate-list form writes for ctrl @ phase(theta * 2 ** k) or sin(t) reads back
    and binds (it failed before: the OpenQASM 3 phase-estimation loop could not reach the
    editor's run request)."""
    from qtcore._expr import parse_param

    e = parse_param("(1.5 * (2.0 ** k))")
    assert e.parameters == {"k"} and e.bind({"k": 3}) == 12.0  # type: ignore[union-attr]
    f = parse_param("sin(t) * 2")
    assert f.bind({"t": 0.5}) == pytest.approx(2 * math.sin(0.5))  # type: ignore[union-attr]
    g = parse_param("(-1) ** t")
    assert parse_param(str(g)).bind({"t": 2.0}) == 1.0  # type: ignore[union-attr]
    with pytest.raises(CircuitError, match="not a finite real number"):
        g.bind({"t": 0.5})  # type: ignore[union-attr]
