"""The per-circuit plan simulate() caches: reused while the circuit is unchanged, made again
as soon as it changes, dropped with the circuit."""

from __future__ import annotations

import gc
from dataclasses import replace

import pytest

from qtcore import Circuit, Parameter, simulate
from qtcore.errors import UnboundParameterError
from qtcore.ops import Gate
from qtcore.rng import Rng
from qtcore.sim import _plan, get_kernel
from qtcore.sim._plan import MAX_PLANS, plan_of
from qtcore.testing import assert_states_close, random_circuit


def test_plan_is_reused_while_the_circuit_is_unchanged() -> None:
    c = Circuit(3).h(0).cx(0, 1).measure_all()
    first = plan_of(c)
    assert plan_of(c) is first
    assert [i.kind for i in first.measures] == ["measure"] * 3
    assert not first.mid_circuit
    assert first.parameters == frozenset()


def test_plan_is_made_again_when_the_circuit_changes() -> None:
    c = Circuit(2).h(0)
    old = plan_of(c)
    c.cx(0, 1)  # appended
    grown = plan_of(c)
    assert grown is not old and len(grown.instructions) == 2
    c.instructions[0] = replace(c.instructions[0], gate=Gate("x"))
    swapped = plan_of(c)  # replaced in place: same length, another instruction
    assert swapped is not grown and swapped.instructions[0].gate == Gate("x")
    c.rx(Parameter("theta"), 1)
    assert plan_of(c).parameters == frozenset({"theta"})


def test_plan_goes_with_its_circuit() -> None:
    c = Circuit(2).h(0)
    plan_of(c)
    key = id(c)
    assert key in _plan._PLANS
    del c
    gc.collect()
    assert key not in _plan._PLANS


def test_plans_are_bounded() -> None:
    circuits = [Circuit(1).h(0) for _ in range(MAX_PLANS + 5)]
    for c in circuits:
        plan_of(c)
    assert len(_plan._PLANS) <= MAX_PLANS
    assert plan_of(circuits[-1]) is plan_of(circuits[-1])


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_simulate_sees_every_change_to_a_circuit_it_ran(backend: str) -> None:
    """Each edit after a run (append, replace in place, a new parameter, a mid-circuit
    measurement) changes what the next run does, as a fresh copy of the circuit would."""
    rng = Rng(31)
    seed = 31
    print(f"seed {seed}")
    c = random_circuit(4, 30, rng)

    def fresh() -> list[complex]:
        return simulate(c.copy(), backend="python").state_vector

    assert_states_close(simulate(c, backend=backend).state_vector, fresh(), 1e-12)
    c.h(3).cx(3, 0)
    assert_states_close(simulate(c, backend=backend).state_vector, fresh(), 1e-12)
    c.instructions[2] = replace(c.instructions[2], gate=Gate("ry", (0.7,)), qubits=(1,))
    assert_states_close(simulate(c, backend=backend).state_vector, fresh(), 1e-12)
    c.rz(Parameter("phi"), 2)
    with pytest.raises(UnboundParameterError, match="phi"):
        simulate(c, backend=backend)
    c.instructions.pop()
    assert_states_close(simulate(c, backend=backend).state_vector, fresh(), 1e-12)
    m = Circuit(2, 1).h(0).cx(0, 1)
    assert simulate(m, 50, seed=4, backend=backend).method == "sampled"
    m.measure(0, 0).x(0)  # the measurement is no longer terminal
    assert simulate(m, 50, seed=4, backend=backend).method == "branching"


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_sampled_counts_memory_and_clbits_follow_each_shots_measurements(backend: str) -> None:
    """Terminal measurements into permuted classical bits, one bit written twice (the later
    measurement wins) and an unmeasured qubit: counts, per-shot memory and the last shot's
    bits equal a shot-by-shot tally of the kernel's samples made here."""
    seed = 2024
    c = Circuit(4, 3).h(0).h(1).cx(1, 2).ry(0.9, 3)
    c.measure(0, 2).measure(2, 0).measure(3, 1).measure(1, 1)  # clbit 1: qubit 1 wins
    got = simulate(c, 500, seed=seed, backend=backend, memory=True)
    assert got.method == "sampled"
    kernel = get_kernel("python")
    state = simulate(c, backend="python").state.data
    samples = kernel.sample_state(state, 500, Rng(seed))
    strings = []
    for b in samples:
        bits = [0, 0, 0]
        bits[2] = b & 1
        bits[0] = (b >> 2) & 1
        bits[1] = (b >> 3) & 1
        bits[1] = (b >> 1) & 1
        strings.append("".join(str(x) for x in reversed(bits)))
    assert got.memory == strings
    want: dict[str, int] = {}
    for key in strings:
        want[key] = want.get(key, 0) + 1
    assert got.counts == dict(sorted(want.items()))
    assert "".join(str(x) for x in reversed(got.clbits)) == strings[-1]
    assert len(got.counts) > 2
