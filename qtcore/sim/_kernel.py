"""The kernel contract: what every state-vector kernel provides.

A kernel owns the representation of an n-qubit state (``2**n`` complex amplitudes,
qubit ``q`` = bit ``q`` of a basis index) and every operation on it. Callers never
look inside a state: they pass it back to the kernel that made it and copy out only
what they need (amplitudes, probabilities, Bloch vectors, the top-k basis states).
So a state may be a ``list[complex]`` (:class:`~qtcore.sim._kernel_python.PythonKernel`),
a NumPy array (:class:`~qtcore.sim._kernel_numpy.NumpyKernel`) or a handle to memory
the Python side cannot see at all (a WebAssembly kernel).

Rules every kernel follows (checked by :func:`qtcore.testing.assert_kernel_consistent`):

* Operations may work in place; they return the state to use from then on (a kernel
  that cannot work in place returns a new one). :meth:`Kernel.copy` is the only way
  to keep a state unchanged.
* Results agree with the pure-Python kernel to about 1e-12 (complex128). Randomness
  comes only from the :class:`~qtcore.rng.Rng` passed in, in a fixed order, so the same
  seed gives the same outcomes with any kernel.
* Behaviour that differs between kernels is declared, never inferred from
  :attr:`Kernel.name`: :attr:`Kernel.fusion` says whether (and how) runs of gates
  should be fused before they reach the kernel.

Matrix, diagonal and permutation arguments are given as Python sequences (a
:data:`~qtcore.ops._matrix.Matrix` is a tuple of tuples); a NumPy array of the same
shape is accepted wherever NumPy is importable (gate fusion passes arrays).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from qtcore.ops import Gate
    from qtcore.ops._matrix import Matrix
    from qtcore.rng import Rng

__all__ = ["Bloch", "FusionProfile", "GateRuns", "Kernel", "StateT", "TopStates"]

StateT = TypeVar("StateT")
"""A kernel's own state type (opaque to everyone else)."""

Bloch = tuple[float, float, float]
"""A Bloch vector ``(x, y, z)``."""

TopStates = tuple[list[int], list[float], list[complex]]
"""Basis indices, their probabilities and their amplitudes, most probable first."""


@dataclass(frozen=True)
class FusionProfile:
    """What gate fusion needs to know about a kernel that wants fused programs.

    Fusion (:mod:`qtcore.sim._fusion`) regroups runs of gates into fewer, wider
    ``apply_matrix`` / ``apply_diagonal`` / ``apply_permutation`` calls; whether a gate
    joins a group is decided with the kernel's own measured costs.

    Attributes:
        min_qubits: fuse from this many qubits on (below, building the fused matrices
            costs more than the passes they save).
        dense_cost: cost of one dense pass of width ``k`` (any unit, e.g. ms at a
            reference size); widths missing here are never built.
        diagonal_cost: cost of one diagonal pass, in the same unit.
        permutation_cost: cost of one permutation-gate pass (CX-like).
        max_span: widest contiguous qubit range a fused dense matrix may cover.
        perm_max_width: widest qubit window of a fused run of permutation gates ...
        perm_gather_bits: ... which must lie below this qubit (gathered per block) or
            start at or above ``perm_run_bits`` (long runs moved along cycles).
        perm_run_bits: see ``perm_gather_bits``.
        max_op_qubits: most qubits one fused op may act on (a diagonal's controls
            included), or ``None`` for no limit.
    """

    min_qubits: int
    dense_cost: Mapping[int, float]
    diagonal_cost: float
    permutation_cost: float
    max_span: int
    perm_max_width: int
    perm_gather_bits: int
    perm_run_bits: int
    max_op_qubits: int | None = None


@runtime_checkable
class Kernel(Protocol[StateT]):
    """State-vector operations; ``StateT`` is the kernel's opaque state type.

    Qubit arguments list the first qubit as the least significant bit of the matrix,
    diagonal or marginal index (``qubits[0]`` = bit 0).
    """

    @property
    def name(self) -> str:
        """A short label (``"numpy"``, ``"python"``...) recorded in every result's provenance."""
        ...

    @property
    def fusion(self) -> FusionProfile | None:
        """How to fuse gates for this kernel, or ``None`` to apply them one by one."""
        ...

    # ------------------------------------------------------------ states
    def num_qubits(self, s: StateT) -> int:
        """The number of qubits of ``s``."""
        ...

    def zeros(self, n: int) -> StateT:
        """The state ``|0...0>`` of ``n`` qubits."""
        ...

    def basis_state(self, n: int, index: int) -> StateT:
        """The basis state ``|index>`` of ``n`` qubits."""
        ...

    def from_amplitudes(self, amps: Sequence[complex]) -> StateT:
        """A state holding ``amps`` (length ``2**n``; not checked for normalisation)."""
        ...

    def copy(self, s: StateT) -> StateT:
        """An independent copy of ``s``."""
        ...

    def to_list(self, s: StateT) -> list[complex]:
        """The amplitudes as Python complex numbers."""
        ...

    # ------------------------------------------------------------ operations
    def apply_gate(self, s: StateT, n: int, gate: Gate, qubits: Sequence[int]) -> StateT:
        """Applies ``gate`` on ``qubits`` (its controls first, as in the gate's arguments)."""
        ...

    def apply_matrix(
        self, s: StateT, n: int, m: Sequence[Sequence[complex]], qubits: Sequence[int]
    ) -> StateT:
        """Applies the ``2**k x 2**k`` matrix ``m`` (not necessarily unitary) on ``qubits``."""
        ...

    def apply_diagonal(
        self, s: StateT, n: int, d: Sequence[complex], qubits: Sequence[int]
    ) -> StateT:
        """Multiplies by the diagonal ``d`` (length ``2**k``) on ``qubits``."""
        ...

    def apply_permutation(self, s: StateT, n: int, src: Sequence[int], lo: int) -> StateT:
        """Moves amplitudes within the qubit window ``[lo, lo + w)``: ``new[i] = old[src[i]]``.

        ``src`` has length ``2**w`` and is read on the window's bits; the other bits are
        kept.
        """
        ...

    def scale(self, s: StateT, factor: complex) -> StateT:
        """Multiplies every amplitude by ``factor``."""
        ...

    # ------------------------------------------------------------ measurement
    def prob_one(self, s: StateT, n: int, q: int) -> float:
        """The probability that qubit ``q`` reads 1."""
        ...

    def collapse(self, s: StateT, n: int, q: int, outcome: int, prob: float) -> StateT:
        """Projects qubit ``q`` onto ``outcome`` (of probability ``prob``) and renormalises."""
        ...

    def sample_state(self, s: StateT, shots: int, rng: Rng) -> list[int]:
        """``shots`` basis indices drawn from ``|amplitude|**2``.

        Draws exactly ``shots`` uniforms ``u`` with ``rng.randoms(shots)`` and returns, for
        each, the first index whose running sum of probabilities exceeds ``u * total``
        (the last index if none does), so every kernel picks the same indices.
        """
        ...

    # ------------------------------------------------------------ queries
    def norm_sq(self, s: StateT) -> float:
        """``<s|s>``."""
        ...

    def inner(self, a: StateT, b: StateT) -> complex:
        """``<a|b>``."""
        ...

    def probabilities(self, s: StateT) -> list[float]:
        """``|amplitude|**2`` of every basis state, computed as ``re * re + im * im``."""
        ...

    def marginal(self, s: StateT, n: int, qargs: Sequence[int]) -> list[float]:
        """Probabilities of the basis states of ``qargs`` (the others summed out)."""
        ...

    def reduced_density_matrix(self, s: StateT, n: int, qargs: Sequence[int]) -> Matrix:
        """The density matrix of ``qargs`` (the other qubits traced out)."""
        ...

    def bloch_and_marginals(
        self, s: StateT, n: int, qubits: Sequence[int] | None = None
    ) -> tuple[list[Bloch], list[float]]:
        """Every qubit's Bloch vector and the probability that it reads 1, qubit 0 first;
        with ``qubits``, those qubits' only, in that order.

        What a frame shows of each qubit, in one call (one pass where the kernel can). A
        qubit's numbers do not depend on which other qubits are asked for, so a frame after
        a gate recomputes only the gate's qubits (the others' reduced states are unchanged).

        Raises:
            SimulationError: ``qubits`` repeats a qubit or names one outside ``[0, n)``.
        """
        ...

    def top_states(self, s: StateT, n: int, k: int) -> TopStates:
        """The (at most) ``k`` most probable basis states with non-zero probability.

        Ordered by decreasing probability, ties by increasing index: what a summary frame
        shows of a state too big to send whole.
        """
        ...


@runtime_checkable
class GateRuns(Protocol[StateT]):
    """An optional extension of :class:`Kernel`: applying a whole list of gates at once.

    A kernel whose per-call overhead matters (the WebAssembly kernel: each call crosses
    from Python to JavaScript to WebAssembly) runs the gates of a measurement-free run in
    one call. The result is the same as ``apply_gate`` on each pair in order.
    """

    def apply_gates(self, s: StateT, n: int, gates: Iterable[tuple[Gate, Sequence[int]]]) -> StateT:
        """Applies each ``(gate, qubits)`` pair in order and returns the state."""
        ...

    def compile_gates(self, n: int, gates: Iterable[tuple[Gate, Sequence[int]]]) -> object:
        """The gates as a program for :meth:`run_compiled` on ``n``-qubit states (opaque;
        a caller may keep it while the gates stay the same, and run it again)."""
        ...

    def run_compiled(self, s: StateT, n: int, program: object) -> StateT:
        """Runs a program from :meth:`compile_gates` (``apply_gates`` of its gates)."""
        ...
