"""Noise channels and readout errors, simulated as Monte-Carlo trajectories.

Every channel knows its exact Kraus operators (:meth:`Channel.kraus`) and how to
apply one randomly chosen Kraus branch to a state vector (:meth:`Channel.apply`).
Averaged over trajectories, the branch choice reproduces the channel
``rho -> sum_i K_i rho K_i^dagger``.

Each application draws exactly **one** uniform from the run's :class:`~qtcore.rng.Rng`,
whatever the state, the branch or the kernel, so a seed reproduces the same
trajectory with either kernel.

Parametrisations (Nielsen & Chuang, *Quantum Computation and Quantum Information*, §8.3):

* ``depolarizing(p)``: ``rho -> (1 - p) rho + p/3 (X rho X + Y rho Y + Z rho Z)``;
  ``p`` is the probability that a Pauli error happens (Cirq's convention). It equals
  N&C's ``rho -> p' I/2 + (1 - p') rho`` with ``p' = 4p/3``; ``p = 3/4`` is the fully
  depolarizing channel.
* ``depolarizing2(p)``: ``rho -> (1 - p) rho + p/15 sum_{P != II} P rho P`` over the
  15 non-identity two-qubit Paulis (``p' = 16p/15`` in the ``I/4`` form).
* ``bit_flip(p)``: X with probability ``p``; ``phase_flip(p)``: Z with probability ``p``.
* ``amplitude_damping(gamma)``: ``K0 = [[1, 0], [0, sqrt(1-gamma)]]``,
  ``K1 = [[0, sqrt(gamma)], [0, 0]]`` (|1> decays to |0> with probability ``gamma``).
* ``phase_damping(lam)``: ``K0 = [[1, 0], [0, sqrt(1-lam)]]``, ``K1 = [[0, 0], [0, sqrt(lam)]]``;
  coherences shrink by ``sqrt(1 - lam)``, populations are unchanged.
* ``ReadoutError(p01, p10)``: ``p01 = P(read 1 | true 0)``, ``p10 = P(read 0 | true 1)``.

Qubit order: for a two-qubit Pauli label such as ``"XZ"`` the rightmost letter acts on
the first qubit of the pair (qubit 0 rightmost, as everywhere in qtcore).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product
from typing import TYPE_CHECKING, Any, ClassVar

from qtcore.errors import NoiseError
from qtcore.ops import Gate, X, Y, Z
from qtcore.ops._matrix import Matrix
from qtcore.rng import Rng

if TYPE_CHECKING:
    from qtcore.sim._kernel import Kernel

__all__ = [
    "Channel",
    "DampingChannel",
    "PauliChannel",
    "ReadoutError",
    "amplitude_damping",
    "bit_flip",
    "depolarizing",
    "depolarizing2",
    "phase_damping",
    "phase_flip",
]

_PAULI_GATES: dict[str, Gate] = {"X": X, "Y": Y, "Z": Z}
_PAULI_MATRICES: dict[str, Matrix] = {
    "I": ((1 + 0j, 0j), (0j, 1 + 0j)),
    "X": ((0j, 1 + 0j), (1 + 0j, 0j)),
    "Y": ((0j, -1j), (1j, 0j)),
    "Z": ((1 + 0j, 0j), (0j, -1 + 0j)),
}


def check_probability(owner: str, name: str, value: object) -> float:
    """``value`` as a float in [0, 1], else :class:`NoiseError` naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NoiseError(f"{owner}: {name} must be a real number in [0, 1], got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise NoiseError(f"{owner}: {name} must be in [0, 1], got {value!r}")
    return v


def _pauli_matrix(label: str) -> Matrix:
    """Matrix of a Pauli string; the rightmost letter acts on the least significant bit."""
    mats = [_PAULI_MATRICES[ch] for ch in reversed(label)]  # mats[j] acts on bit j
    dim = 1 << len(label)
    rows = []
    for i in range(dim):
        row = []
        for j in range(dim):
            x = 1 + 0j
            for b, m in enumerate(mats):
                x *= m[(i >> b) & 1][(j >> b) & 1]
            row.append(x)
        rows.append(tuple(row))
    return tuple(rows)


def _scaled(m: Matrix, f: float) -> Matrix:
    return tuple(tuple(f * x for x in row) for row in m)


class Channel:
    """A quantum channel acting on ``num_qubits`` qubits.

    Attributes:
        name: the channel's type name (``"depolarizing"``, ...), used in scenario files.
        num_qubits: 1 or 2.
    """

    name: str = "channel"
    num_qubits: int = 1

    def params(self) -> dict[str, float]:
        """The channel's parameters by name (``{"p": 0.01}``)."""
        raise NotImplementedError

    def kraus(self) -> list[Matrix]:
        """The exact Kraus operators (first qubit = least significant bit of the index)."""
        raise NotImplementedError

    def apply(self, kernel: Kernel[Any], s: Any, n: int, qubits: Sequence[int], rng: Rng) -> Any:
        """Applies one randomly chosen Kraus branch to ``s`` (one uniform drawn).

        Args:
            kernel: the kernel holding ``s``.
            s: the normalised state.
            n: number of qubits of the state.
            qubits: the ``num_qubits`` qubits the channel acts on.
            rng: the run's random stream.

        Returns:
            The normalised state after the branch (possibly a new object).
        """
        raise NotImplementedError

    def num_outcomes(self) -> int:
        """How many Kraus branches :meth:`outcome_weights` lists."""
        raise NotImplementedError

    def outcome_weights(
        self, kernel: Kernel[Any], s: Any, n: int, qubits: Sequence[int]
    ) -> list[float]:
        """The probability of each Kraus branch for the state ``s`` (they sum to 1).

        What shot branching splits a branch's shots by (:mod:`qtcore.sim._branching`).
        """
        raise NotImplementedError

    def apply_outcome(
        self,
        kernel: Kernel[Any],
        s: Any,
        n: int,
        qubits: Sequence[int],
        outcome: int,
        weights: Sequence[float],
    ) -> Any:
        """Applies Kraus branch ``outcome`` (of probability ``weights[outcome]``, from
        :meth:`outcome_weights` of the same state) and renormalises; returns the state."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """``{"type": name, **params}``."""
        return {"type": self.name, **self.params()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Channel):
            return NotImplemented
        return (self.name, self.params()) == (other.name, other.params())

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params().items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({args})"


class PauliChannel(Channel):
    """A mixed-unitary channel: Pauli string ``P`` with probability ``p_P``, else identity.

    The branch is chosen with one uniform, independently of the state.

    Args:
        name: the channel's type name.
        errors: ``[(pauli_label, probability), ...]`` for the non-identity branches.
        params: the user-facing parameters (for ``repr`` and serialisation).
    """

    def __init__(
        self, name: str, errors: Sequence[tuple[str, float]], params: dict[str, float]
    ) -> None:
        self.name = name
        self.num_qubits = len(errors[0][0])
        self.errors = tuple(errors)
        self._params = dict(params)
        total = math.fsum(p for _, p in errors)
        if total > 1.0 + 1e-12:
            raise NoiseError(f"{name}: Pauli error probabilities sum to {total!r} > 1")
        cum = []
        acc = 0.0
        for _, p in errors:
            acc += p
            cum.append(acc)
        self._cum = cum
        self._p_identity = max(0.0, 1.0 - total)

    def params(self) -> dict[str, float]:
        return dict(self._params)

    def kraus(self) -> list[Matrix]:
        ops = [_scaled(_pauli_matrix("I" * self.num_qubits), math.sqrt(self._p_identity))]
        ops += [_scaled(_pauli_matrix(label), math.sqrt(p)) for label, p in self.errors if p > 0]
        return ops

    def num_outcomes(self) -> int:
        return 1 + len(self.errors)

    def outcome_weights(
        self, kernel: Kernel[Any], s: Any, n: int, qubits: Sequence[int]
    ) -> list[float]:
        return [self._p_identity, *(p for _, p in self.errors)]

    def apply_outcome(
        self,
        kernel: Kernel[Any],
        s: Any,
        n: int,
        qubits: Sequence[int],
        outcome: int,
        weights: Sequence[float],
    ) -> Any:
        if outcome:
            label = self.errors[outcome - 1][0]
            for j, ch in enumerate(reversed(label)):
                if ch != "I":
                    s = kernel.apply_gate(s, n, _PAULI_GATES[ch], (qubits[j],))
        return s

    def apply(self, kernel: Kernel[Any], s: Any, n: int, qubits: Sequence[int], rng: Rng) -> Any:
        u = rng.random()
        for (label, _), c in zip(self.errors, self._cum):
            if u < c:
                for j, ch in enumerate(reversed(label)):
                    if ch != "I":
                        s = kernel.apply_gate(s, n, _PAULI_GATES[ch], (qubits[j],))
                return s
        return s


class DampingChannel(Channel):
    """Amplitude or phase damping of one qubit (Nielsen & Chuang §8.3.5-8.3.6).

    Both have a "jump" branch of probability ``rate * P(qubit = 1)`` and a no-jump
    branch ``K0 = diag(1, sqrt(1 - rate))``; the chosen branch is renormalised.

    Args:
        name: ``"amplitude_damping"`` (parameter ``gamma``) or ``"phase_damping"`` (``lam``).
        rate: the damping parameter in [0, 1].
    """

    _PARAM: ClassVar[dict[str, str]] = {"amplitude_damping": "gamma", "phase_damping": "lam"}
    _LOWER: Matrix = ((0j, 1 + 0j), (0j, 0j))  # |0><1|

    def __init__(self, name: str, rate: float) -> None:
        if name not in self._PARAM:
            raise NoiseError(f"unknown damping channel {name!r}; allowed: {sorted(self._PARAM)}")
        self.name = name
        self.num_qubits = 1
        self.rate = check_probability(name, self._PARAM[name], rate)
        self._k0: Matrix = ((1 + 0j, 0j), (0j, complex(math.sqrt(1.0 - self.rate))))

    def params(self) -> dict[str, float]:
        return {self._PARAM[self.name]: self.rate}

    def kraus(self) -> list[Matrix]:
        r = math.sqrt(self.rate)
        if self.name == "amplitude_damping":
            k1: Matrix = ((0j, complex(r)), (0j, 0j))
        else:
            k1 = ((0j, 0j), (0j, complex(r)))
        return [self._k0, k1]

    def num_outcomes(self) -> int:
        return 2

    def outcome_weights(
        self, kernel: Kernel[Any], s: Any, n: int, qubits: Sequence[int]
    ) -> list[float]:
        p1 = min(max(float(kernel.prob_one(s, n, qubits[0])), 0.0), 1.0)  # rounding only
        p_jump = self.rate * p1
        return [1.0 - p_jump, p_jump]

    def apply_outcome(
        self,
        kernel: Kernel[Any],
        s: Any,
        n: int,
        qubits: Sequence[int],
        outcome: int,
        weights: Sequence[float],
    ) -> Any:
        q = qubits[0]
        if outcome:
            p1 = weights[1] / self.rate  # the jump weight is rate * P(1), rate > 0 here
            if self.name == "phase_damping":
                return kernel.collapse(s, n, q, 1, p1)
            s = kernel.apply_matrix(s, n, self._LOWER, (q,))
            return kernel.scale(s, 1.0 / math.sqrt(p1))
        s = kernel.apply_matrix(s, n, self._k0, (q,))
        return kernel.scale(s, 1.0 / math.sqrt(weights[0]))

    def apply(self, kernel: Kernel[Any], s: Any, n: int, qubits: Sequence[int], rng: Rng) -> Any:
        q = qubits[0]
        p1 = min(max(float(kernel.prob_one(s, n, q)), 0.0), 1.0)  # rounding only
        p_jump = self.rate * p1
        u = rng.random()
        if u < p_jump or p_jump >= 1.0:
            if self.name == "phase_damping":  # K1 psi is psi projected onto |1>
                return kernel.collapse(s, n, q, 1, p1)
            s = kernel.apply_matrix(s, n, self._LOWER, (q,))
            return kernel.scale(s, 1.0 / math.sqrt(p1))
        s = kernel.apply_matrix(s, n, self._k0, (q,))
        return kernel.scale(s, 1.0 / math.sqrt(1.0 - p_jump))


class ReadoutError:
    """A classical flip of a recorded measurement outcome.

    Args:
        p01: probability of reading 1 when the qubit was measured in 0.
        p10: probability of reading 0 when the qubit was measured in 1.

    Raises:
        NoiseError: a probability outside [0, 1].
    """

    __slots__ = ("p01", "p10")

    def __init__(self, p01: float, p10: float) -> None:
        self.p01 = check_probability("ReadoutError", "p01", p01)
        self.p10 = check_probability("ReadoutError", "p10", p10)

    def apply(self, outcome: int, rng: Rng) -> int:
        """The recorded bit for the true ``outcome`` (one uniform drawn)."""
        u = rng.random()
        flip = self.p01 if outcome == 0 else self.p10
        return 1 - outcome if u < flip else outcome

    def matrix(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """``M[read][true]``: the confusion matrix (columns sum to 1)."""
        return ((1.0 - self.p01, self.p10), (self.p01, 1.0 - self.p10))

    def to_dict(self) -> dict[str, float]:
        """``{"p01": ..., "p10": ...}``."""
        return {"p01": self.p01, "p10": self.p10}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReadoutError):
            return NotImplemented
        return (self.p01, self.p10) == (other.p01, other.p10)

    def __hash__(self) -> int:
        return hash((self.p01, self.p10))

    def __repr__(self) -> str:
        return f"ReadoutError(p01={self.p01!r}, p10={self.p10!r})"


def depolarizing(p: float) -> PauliChannel:
    """Single-qubit depolarizing: X, Y or Z each with probability ``p/3``.

    ``rho -> (1 - p) rho + p/3 (X rho X + Y rho Y + Z rho Z)``; the Bloch vector
    shrinks by ``1 - 4p/3``. (N&C's ``p' I/2 + (1 - p') rho`` form has ``p' = 4p/3``.)

    Raises:
        NoiseError: ``p`` outside [0, 1].
    """
    p = check_probability("depolarizing", "p", p)
    return PauliChannel("depolarizing", [(c, p / 3) for c in "XYZ"], {"p": p})


def depolarizing2(p: float) -> PauliChannel:
    """Two-qubit depolarizing: each of the 15 non-identity Paulis with probability ``p/15``.

    Raises:
        NoiseError: ``p`` outside [0, 1].
    """
    p = check_probability("depolarizing2", "p", p)
    labels = ["".join(t) for t in product("IXYZ", repeat=2)][1:]
    return PauliChannel("depolarizing2", [(lb, p / 15) for lb in labels], {"p": p})


def bit_flip(p: float) -> PauliChannel:
    """X with probability ``p``: ``rho -> (1 - p) rho + p X rho X``.

    Raises:
        NoiseError: ``p`` outside [0, 1].
    """
    p = check_probability("bit_flip", "p", p)
    return PauliChannel("bit_flip", [("X", p)], {"p": p})


def phase_flip(p: float) -> PauliChannel:
    """Z with probability ``p``: ``rho -> (1 - p) rho + p Z rho Z``.

    Raises:
        NoiseError: ``p`` outside [0, 1].
    """
    p = check_probability("phase_flip", "p", p)
    return PauliChannel("phase_flip", [("Z", p)], {"p": p})


def amplitude_damping(gamma: float) -> DampingChannel:
    """Energy relaxation: ``|1>`` decays to ``|0>`` with probability ``gamma``.

    Raises:
        NoiseError: ``gamma`` outside [0, 1].
    """
    return DampingChannel("amplitude_damping", gamma)


def phase_damping(lam: float) -> DampingChannel:
    """Pure dephasing: coherences ``rho01`` shrink by ``sqrt(1 - lam)``.

    Raises:
        NoiseError: ``lam`` outside [0, 1].
    """
    return DampingChannel("phase_damping", lam)
