"""Reference implementations and gate checks (re-exported by :mod:`qtcore.testing`).

The references here are deliberately naive and independent of the kernels: a gate
is embedded into the full ``2**n`` space by explicit index arithmetic and applied
as a dense matrix-vector product. Use them only for small ``n``.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence

from qtcore.circuit import Circuit
from qtcore.ops import GATES, Gate, InverseGate, UnitaryGate
from qtcore.ops._matrix import Matrix, dagger, is_unitary, matmul
from qtcore.rng import Rng

__all__ = [
    "apply_dense",
    "assert_gate_consistent",
    "assert_states_close",
    "dense_unitary",
    "embed",
    "random_circuit",
    "random_gate",
    "random_state",
    "random_unitary_gate",
]


def embed(m: Matrix, qubits: Sequence[int], n: int) -> list[list[complex]]:
    """The full ``2**n`` matrix of ``m`` acting on ``qubits`` (``qubits[0]`` = LSB of m)."""
    dim = 1 << n
    k = len(qubits)
    mask = sum(1 << q for q in qubits)
    full = [[0j] * dim for _ in range(dim)]
    for col in range(dim):
        sub_col = sum(((col >> q) & 1) << j for j, q in enumerate(qubits))
        rest = col & ~mask
        for sub_row in range(1 << k):
            v = m[sub_row][sub_col]
            if v != 0:
                row = rest | sum(((sub_row >> j) & 1) << q for j, q in enumerate(qubits))
                full[row][col] += v
    return full


def apply_dense(full: Sequence[Sequence[complex]], state: Sequence[complex]) -> list[complex]:
    """``full @ state`` in plain Python."""
    return [sum(a * b for a, b in zip(row, state, strict=True)) for row in full]


def dense_unitary(circuit: Circuit) -> list[list[complex]]:
    """The unitary of a gate-only circuit as a product of embedded dense matrices."""
    n = circuit.num_qubits
    dim = 1 << n
    u: Matrix = tuple(tuple(1 + 0j if i == j else 0j for j in range(dim)) for i in range(dim))
    for ins in circuit.instructions:
        if ins.kind == "barrier":
            continue
        if ins.kind != "gate" or ins.condition is not None or ins.gate is None:
            raise ValueError("dense_unitary needs a circuit of unconditioned gates")
        g = embed(ins.gate.matrix(), ins.qubits, n)
        u = matmul(tuple(tuple(r) for r in g), u)
    return [list(r) for r in u]


def random_state(n: int, rng: Rng) -> list[complex]:
    """A Haar-ish random normalised state (Gaussian amplitudes)."""
    amps = [complex(rng.gauss(), rng.gauss()) for _ in range(1 << n)]
    norm = math.sqrt(sum(abs(a) ** 2 for a in amps))
    return [a / norm for a in amps]


def random_gate(rng: Rng, max_qubits: int) -> Gate:
    """A random gate from :data:`GATES` (and arbitrary unitaries) with random angles."""
    names = [s for s in GATES.values() if s.num_controls + s.num_targets <= max_qubits]
    spec = names[rng.randrange(len(names))]
    params = [rng.random() * 4 * math.pi - 2 * math.pi for _ in range(spec.num_params)]
    if spec.variadic:
        nc = 1 + rng.randrange(max(1, max_qubits - spec.num_targets))
        return Gate(spec.name, params, nc)
    return Gate(spec.name, params)


def random_circuit(
    n: int, num_gates: int, rng: Rng, *, unitaries: bool = True, max_gate_qubits: int = 3
) -> Circuit:
    """A random gate-only circuit over the whole gate set."""
    c = Circuit(n)
    for _ in range(num_gates):
        if unitaries and rng.random() < 0.05:
            k = 1 + rng.randrange(min(2, n))
            g: Gate = random_unitary_gate(k, rng)
        else:
            g = random_gate(rng, min(n, max_gate_qubits))
        qs = list(range(n))
        picked = []
        for _ in range(g.num_qubits):
            picked.append(qs.pop(rng.randrange(len(qs))))
        c.append(g, picked)
    return c


def random_unitary_gate(k: int, rng: Rng) -> UnitaryGate:
    """A random k-qubit unitary (Gram-Schmidt of a complex Gaussian matrix)."""
    dim = 1 << k
    cols: list[list[complex]] = []
    while len(cols) < dim:
        v = [complex(rng.gauss(), rng.gauss()) for _ in range(dim)]
        for c in cols:
            ip = sum(x.conjugate() * y for x, y in zip(c, v, strict=True))
            v = [y - ip * x for x, y in zip(c, v, strict=True)]
        norm = math.sqrt(sum(abs(x) ** 2 for x in v))
        if norm > 1e-6:
            cols.append([x / norm for x in v])
    return UnitaryGate([[cols[j][i] for j in range(dim)] for i in range(dim)], label="rand")


def assert_states_close(
    a: Sequence[complex], b: Sequence[complex], atol: float = 1e-10, up_to_phase: bool = False
) -> None:
    """Raises AssertionError when two amplitude lists differ by more than ``atol``."""
    a, b = list(a), list(b)
    assert len(a) == len(b), f"lengths differ: {len(a)} != {len(b)}"
    if up_to_phase:
        i = max(range(len(a)), key=lambda j: abs(a[j]))
        if abs(b[i]) > 0:
            rot = cmath.exp(1j * (cmath.phase(a[i]) - cmath.phase(b[i])))
            b = [x * rot for x in b]
    worst = max(abs(x - y) for x, y in zip(a, b, strict=True))
    assert worst <= atol, f"states differ by {worst:.3e} > {atol:.1e}"


def assert_gate_consistent(gate: Gate, *, backends: Sequence[str] = ("python",)) -> None:
    """Checks that a gate's matrix, inverse, kernels and repr all agree.

    * its matrix is unitary;
    * ``inverse().matrix()`` equals the conjugate transpose;
    * every kernel in ``backends`` applies it like the dense embedded matrix, on a random
      state, with the gate's qubits in a scrambled order inside a larger register;
    * ``repr`` round-trips through ``eval``.
    """
    from qtcore.sim import get_kernel

    m = gate.matrix()
    assert is_unitary(m, 1e-10), f"{gate!r}: matrix is not unitary"
    inv = gate.inverse().matrix()
    want = dagger(m)
    worst = max(abs(inv[i][j] - want[i][j]) for i in range(len(m)) for j in range(len(m)))
    assert worst < 1e-12, f"{gate!r}: inverse matrix differs from dagger by {worst:.2e}"
    k = gate.num_qubits
    n = k + 2
    rng = Rng(1234 + k)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.randrange(i + 1)
        order[i], order[j] = order[j], order[i]
    qubits = order[:k]
    state = random_state(n, rng)
    expected = apply_dense(embed(m, qubits, n), state)
    for name in backends:
        kern = get_kernel(name)
        got = kern.to_list(kern.apply_gate(kern.from_amplitudes(state), n, gate, qubits))
        assert_states_close(got, expected, 1e-12)
    namespace = {"Gate": Gate, "UnitaryGate": UnitaryGate, "InverseGate": InverseGate}
    if not isinstance(gate, UnitaryGate):
        again = eval(repr(gate), namespace)
        assert again == gate, f"repr {gate!r} does not round-trip"
