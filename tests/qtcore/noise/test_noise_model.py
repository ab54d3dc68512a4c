"""NoiseModel: parameter validation, attachment rules, serialisation, kernel reproducibility."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from qtcore import Circuit, NoiseError, iter_steps, simulate
from qtcore.noise import (
    NoiseModel,
    ReadoutError,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    phase_damping,
    phase_flip,
)

SEED = 7321

FACTORIES: list[Callable[[Any], Any]] = [
    depolarizing,
    depolarizing2,
    bit_flip,
    phase_flip,
    amplitude_damping,
    phase_damping,
]
BAD = [-0.1, 1.0000001, math.nan, math.inf, -math.inf, "0.1", True, None, 1j]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("value", BAD, ids=repr)
def test_channel_invalid_parameter_raises_noise_error(
    factory: Callable[[Any], Any], value: Any
) -> None:
    with pytest.raises(NoiseError, match=factory.__name__) as info:
        factory(value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_channel_boundary_parameters_are_accepted(factory: Callable[[Any], Any]) -> None:
    assert factory(0).params() != factory(1).params()


@pytest.mark.parametrize(("p01", "p10"), [(-0.01, 0.1), (0.1, 1.5), (math.nan, 0.0), ("x", 0)])
def test_readout_error_invalid_raises_noise_error(p01: Any, p10: Any) -> None:
    with pytest.raises(NoiseError, match="ReadoutError"):
        ReadoutError(p01, p10)


def test_readout_error_confusion_matrix_columns_sum_to_one() -> None:
    m = ReadoutError(0.02, 0.05).matrix()
    assert m[1][0] == 0.02 and m[0][1] == 0.05
    assert m[0][0] + m[1][0] == pytest.approx(1) and m[0][1] + m[1][1] == pytest.approx(1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m: m.add("depolarizing"), "expected a noise channel"),
        (lambda m: m.add(depolarizing(0.1), gates=["cnot"]), "unknown gate name 'cnot'"),
        (lambda m: m.add(depolarizing(0.1), gates=[]), "empty gate list"),
        (lambda m: m.add(depolarizing(0.1), gates=5), "gates must be a list"),
        (lambda m: m.add(depolarizing2(0.1), gates=["h"]), "two-qubit gates only; 'h'"),
        (lambda m: m.add(depolarizing2(0.1), gates=["ccx"]), "'ccx' acts on 3"),
        (lambda m: m.add(depolarizing2(0.1), qubits=[0]), "at least two qubits"),
        (lambda m: m.add(depolarizing(0.1), qubits=[-1]), "non-negative"),
        (lambda m: m.add(depolarizing(0.1), qubits=[1, 1]), "duplicate"),
        (lambda m: m.add(depolarizing(0.1), qubits=[]), "empty qubit list"),
        (lambda m: m.add_readout_error((0.1, 0.1)), "expected a ReadoutError"),
    ],
)
def test_model_add_rejects_bad_attachments(call: Callable[[NoiseModel], Any], match: str) -> None:
    with pytest.raises(NoiseError, match=match):
        call(NoiseModel())


def test_model_readout_duplicates_are_rejected_not_overridden() -> None:
    m = NoiseModel().add_readout_error(ReadoutError(0.1, 0.1), qubits=[0])
    with pytest.raises(NoiseError, match="qubit 0 already"):
        m.add_readout_error(ReadoutError(0.2, 0.2), qubits=[0])
    m.add_readout_error(ReadoutError(0.3, 0.3))
    with pytest.raises(NoiseError, match="default readout error"):
        m.add_readout_error(ReadoutError(0.2, 0.2))


def test_model_validate_rejects_qubit_beyond_circuit() -> None:
    c = Circuit(2).h(0)
    with pytest.raises(NoiseError, match="qubit 3 but the circuit has 2"):
        simulate(c, 10, seed=1, noise=NoiseModel().add(bit_flip(0.1), qubits=[3]))
    with pytest.raises(NoiseError, match="readout error is attached to qubit 2"):
        simulate(c, 10, seed=1, noise=NoiseModel().add_readout_error(ReadoutError(0, 0), 2))


def test_model_empty_keeps_the_fast_sampled_path() -> None:
    c = Circuit(1, 1).h(0).measure(0, 0)
    assert NoiseModel().is_empty()
    assert simulate(c, 10, seed=1, noise=NoiseModel()).method == "sampled"
    assert simulate(c, 10, seed=1, noise=NoiseModel().add(bit_flip(0.0))).method == "branching"


def test_model_certain_errors_are_deterministic() -> None:
    # bit_flip(1) after x only: x(0) then flip -> |0>; h on qubit 1 untouched
    c = Circuit(2, 2).x(0).x(1).measure(0, 0).measure(1, 1)
    m = NoiseModel().add(bit_flip(1.0), gates=["x"], qubits=[0])
    assert simulate(c, 20, seed=SEED, backend="python", noise=m).counts == {"10": 20}
    # amplitude damping gamma=1 always relaxes |1> to |0>
    m2 = NoiseModel().add(amplitude_damping(1.0))
    assert simulate(c, 20, seed=SEED, backend="python", noise=m2).counts == {"00": 20}
    # phase damping never changes populations
    m3 = NoiseModel().add(phase_damping(1.0))
    assert simulate(c, 20, seed=SEED, backend="python", noise=m3).counts == {"11": 20}


def test_model_two_qubit_channel_skips_other_arities() -> None:
    # depolarizing2(1) attached to all gates: ccx (3 qubits) and x (1 qubit) get no noise
    c = Circuit(3, 3).x(0).x(1).ccx(0, 1, 2).measure(0, 0).measure(1, 1).measure(2, 2)
    m = NoiseModel().add(depolarizing2(1.0))
    assert simulate(c, 20, seed=SEED, backend="python", noise=m).counts == {"111": 20}


def test_model_composite_gate_noise_follows_sub_gates() -> None:
    sub = Circuit(1).x(0)
    c = Circuit(1, 1).append(sub.to_gate("myx"), [0]).measure(0, 0)
    m = NoiseModel().add(bit_flip(1.0), gates=["x"])
    assert simulate(c, 10, seed=SEED, backend="python", noise=m).counts == {"0": 10}


def test_model_one_uniform_per_application() -> None:
    # the trajectory consumes exactly one draw per channel application and noisy readout
    class CountingRng:
        def __init__(self) -> None:
            self.n = 0

        def random(self) -> float:
            self.n += 1
            return 0.5

    from qtcore.sim import get_kernel

    k = get_kernel("python")
    m = (
        NoiseModel()
        .add(depolarizing(0.2))
        .add(amplitude_damping(0.3), gates=["cx"])
        .add(depolarizing2(0.1), gates=["cx"])
    )
    rng = CountingRng()
    s = k.zeros(2)
    from qtcore.ops import CX, H

    s = m.after_gate(k, s, 2, H, (0,), rng)  # depolarizing on q0
    assert rng.n == 1
    s = m.after_gate(k, s, 2, CX, (0, 1), rng)  # dep x2, damping x2, dep2 x1
    assert rng.n == 6
    m.add_readout_error(ReadoutError(0.1, 0.1), qubits=[1])
    assert m.readout(0, 1, rng) == 1 and rng.n == 6
    m.readout(1, 1, rng)
    assert rng.n == 7


def _full_model() -> NoiseModel:
    return (
        NoiseModel()
        .add(depolarizing(0.05), gates=["h", "rx"])
        .add(depolarizing2(0.08), gates=["cx"])
        .add(amplitude_damping(0.1), qubits=[0, 2])
        .add(phase_damping(0.2), gates=["id"])
        .add(bit_flip(0.03), gates=["x"], qubits=[1])
        .add(phase_flip(0.04))
        .add_readout_error(ReadoutError(0.02, 0.05))
        .add_readout_error(ReadoutError(0.0, 0.1), qubits=[1, 2])
    )


def test_model_to_dict_round_trips_through_json() -> None:
    m = _full_model()
    d = json.loads(json.dumps(m.to_dict()))
    assert NoiseModel.from_dict(d) == m
    assert NoiseModel.from_dict(d).to_dict() == d
    assert d["readout"][1] == {"p01": 0.0, "p10": 0.1, "qubits": [1, 2]}


def test_model_from_dict_shorthand_equals_builder() -> None:
    d = {"depolarizing": {"p": 0.01, "gates": ["cx"]}, "readout": {"p01": 0.02, "p10": 0.05}}
    want = NoiseModel().add(depolarizing(0.01), gates=["cx"])
    want.add_readout_error(ReadoutError(0.02, 0.05))
    assert NoiseModel.from_dict(d) == want
    lst = {"amplitude_damping": [{"gamma": 0.1}, {"gamma": 0.2, "qubits": [1]}]}
    assert len(NoiseModel.from_dict(lst).entries) == 2


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"depolarising": {"p": 0.1}}, "unknown noise key 'depolarising'"),
        ({"channels": [{"p": 0.1}]}, "has no 'type'"),
        ({"channels": [{"type": "t1", "p": 0.1}]}, "unknown noise channel 't1'"),
        ({"depolarizing": {"gamma": 0.1}}, "needs the parameter 'p'"),
        ({"depolarizing": {"p": 0.1, "gate": ["cx"]}}, r"unknown key\(s\) \['gate'\]"),
        ({"depolarizing": {"p": 2}}, "depolarizing: p must be in"),
        ({"depolarizing": {"p": "0.1"}}, "must be a number"),
        ({"readout": {"p01": 0.1}}, "needs the parameter 'p10'"),
        ({"readout": {"p01": 0.1, "p10": 0.1, "q": 1}}, "unknown key"),
        ({"readout": 0.1}, "object or a list of objects"),
        ([1], "must be a mapping"),
    ],
)
def test_model_from_dict_rejects_bad_input(data: Any, match: str) -> None:
    with pytest.raises(NoiseError, match=match):
        NoiseModel.from_dict(data)


def _noisy_circuit() -> Circuit:
    c = Circuit(3, 4).h(0).rx(0.7, 1).cx(0, 1).id(2).x(1).cx(1, 2)
    c.measure(0, 0).h(0).cx(0, 2).x(2).c_if(0, 1)
    c.measure(0, 1).measure(1, 2).measure(2, 3)
    return c


@pytest.mark.numpy
def test_model_both_kernels_give_identical_counts() -> None:
    c = _noisy_circuit()
    m = _full_model()
    py = simulate(c, 1500, seed=SEED, backend="python", noise=m, memory=True)
    np_ = simulate(c, 1500, seed=SEED, backend="numpy", noise=m, memory=True)
    assert py.memory == np_.memory
    assert len(py.counts) > 4  # the noise really produced spread
    a = [s.state.to_list() for s in iter_steps(c, seed=SEED, backend="python", noise=m)][-1]
    b = [s.state.to_list() for s in iter_steps(c, seed=SEED, backend="numpy", noise=m)][-1]
    assert all(abs(x - y) < 1e-12 for x, y in zip(a, b))


def test_model_same_seed_same_counts_python() -> None:
    c = _noisy_circuit()
    r1 = simulate(c, 300, seed=SEED, backend="python", noise=_full_model())
    r2 = simulate(c, 300, seed=SEED, backend="python", noise=_full_model())
    assert r1.counts == r2.counts
