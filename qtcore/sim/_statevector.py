"""The :class:`StateVector`: a state plus the kernel that holds it (Qiskit-like API)."""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qtcore.analysis import bloch_from_rdm, parse_pauli, von_neumann_entropy
from qtcore.circuit import Circuit
from qtcore.errors import SimulationError, UnboundParameterError
from qtcore.ops import Gate
from qtcore.ops._matrix import Matrix
from qtcore.sim._apply import apply_gates
from qtcore.sim._backend import get_kernel

if TYPE_CHECKING:
    from qtcore.sim._kernel import Kernel

__all__ = ["StateVector"]


def _num_qubits(dim: int) -> int:
    n = dim.bit_length() - 1
    if dim < 2 or 1 << n != dim:
        raise SimulationError(f"state length must be a power of two >= 2, got {dim}")
    return n


class StateVector:
    """An n-qubit pure state.

    Args:
        data: ``2**n`` amplitudes (index bit ``q`` = qubit ``q``).
        backend: ``"auto"``, ``"numpy"``, ``"python"`` or a kernel object.
        normalize_check: raise when the norm differs from 1 by more than ``atol``.

    ``kernel`` holds the state and ``data`` is the kernel's own (opaque) representation:
    pass it only back to that kernel.

    Attributes:
        atol: absolute tolerance of :meth:`equiv` and the norm check.
    """

    atol = 1e-10
    rtol = 1e-10

    def __init__(
        self,
        data: Sequence[complex] | Any,
        backend: str | Kernel[Any] = "auto",
        *,
        _kernel: Kernel[Any] | None = None,
        normalize_check: bool = True,
    ) -> None:
        if _kernel is not None:  # data is already the kernel's own state
            self.kernel: Kernel[Any] = _kernel
            self.data: Any = data
            self.num_qubits: int = _kernel.num_qubits(data)
            return
        self.kernel = get_kernel(backend)
        self.num_qubits = _num_qubits(len(data))
        self.data = self.kernel.from_amplitudes(data)
        if normalize_check:
            norm = self.kernel.norm_sq(self.data)
            if not math.isclose(norm, 1.0, abs_tol=self.atol * 100):
                raise SimulationError(f"state is not normalised: |psi|^2 = {norm!r}")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_int(
        cls, index: int, num_qubits: int, backend: str | Kernel[Any] = "auto"
    ) -> StateVector:
        """The basis state ``|index>``."""
        if not 0 <= index < 1 << num_qubits:
            raise SimulationError(f"basis index {index} out of range for {num_qubits} qubits")
        k = get_kernel(backend)
        return cls(k.basis_state(num_qubits, index), _kernel=k)

    @classmethod
    def from_label(cls, label: str, backend: str | Kernel[Any] = "auto") -> StateVector:
        """A product state from a label of ``0 1 + - r l`` (rightmost = qubit 0)."""
        k = get_kernel(backend)
        n = len(label)
        if n == 0:
            raise SimulationError("empty state label")
        s = k.zeros(n)
        for i, ch in enumerate(label):
            q = n - 1 - i
            if ch == "0":
                continue
            if ch not in "1+-rl":
                raise SimulationError(f"state label characters are 0 1 + - r l; got {ch!r}")
            if ch in "1-l":
                s = k.apply_gate(s, n, Gate("x"), (q,))
            if ch in "+-rl":
                s = k.apply_gate(s, n, Gate("h"), (q,))
            if ch in "rl":
                s = k.apply_gate(s, n, Gate("s"), (q,))
        return cls(s, _kernel=k)

    @classmethod
    def zero(cls, num_qubits: int, backend: str | Kernel[Any] = "auto") -> StateVector:
        """``|0...0>``."""
        k = get_kernel(backend)
        return cls(k.zeros(num_qubits), _kernel=k)

    # ------------------------------------------------------------ evolution
    def evolve(self, circuit: Circuit) -> StateVector:
        """A new state: this one after the gates of ``circuit`` (barriers are ignored).

        Like Qiskit's ``Statevector.evolve``, only unitary circuits evolve a state: for
        measurements, resets or classical control run
        :func:`~qtcore.sim.simulate` (or :func:`~qtcore.sim.iter_steps`) with
        ``initial_state=state``.

        Raises:
            SimulationError: not a circuit, another number of qubits, or a measurement,
                reset or condition in it.
            UnboundParameterError: a parameter is still symbolic.
        """
        if not isinstance(circuit, Circuit):
            raise SimulationError(f"expected a Circuit, got {type(circuit).__name__}")
        if circuit.num_qubits != self.num_qubits:
            raise SimulationError(
                f"circuit has {circuit.num_qubits} qubits, the state has {self.num_qubits}"
            )
        if circuit.has_nonunitary:
            raise SimulationError(
                "evolve applies unitary circuits only; for measurement, reset or classical "
                "control use simulate(circuit, initial_state=state)"
            )
        if circuit.parameters:
            raise UnboundParameterError(
                f"circuit has unbound parameter(s) {sorted(circuit.parameters)}; "
                "bind them with circuit.bind({...}) before evolving"
            )
        k = self.kernel
        s = apply_gates(k, k.copy(self.data), self.num_qubits, circuit.instructions)
        return StateVector(s, _kernel=k)

    def copy(self) -> StateVector:
        """An independent copy."""
        return StateVector(self.kernel.copy(self.data), _kernel=self.kernel)

    # ------------------------------------------------------------ queries
    def to_list(self) -> list[complex]:
        """The amplitudes as Python complex numbers."""
        return list(self.kernel.to_list(self.data))

    def probabilities(self, qargs: Sequence[int] | None = None) -> list[float]:
        """Probabilities of every basis state, or the marginal over ``qargs``
        (``qargs[0]`` is the least significant bit of the result's index)."""
        if qargs is None:
            return [float(p) for p in self.kernel.probabilities(self.data)]
        self._check_qargs(qargs)
        return list(self.kernel.marginal(self.data, self.num_qubits, list(qargs)))

    def probabilities_dict(
        self, qargs: Sequence[int] | None = None, atol: float = 0.0
    ) -> dict[str, float]:
        """``{bitstring: p}`` for outcomes with ``p > atol`` (rightmost bit = qargs[0])."""
        probs = self.probabilities(qargs)
        width = len(qargs) if qargs is not None else self.num_qubits
        return {format(i, f"0{width}b"): p for i, p in enumerate(probs) if p > atol}

    def _check_qargs(self, qargs: Sequence[int]) -> None:
        for q in qargs:
            if isinstance(q, bool) or not isinstance(q, int) or not 0 <= q < self.num_qubits:
                raise SimulationError(f"qubit {q!r} out of range for {self.num_qubits} qubits")
        if len(set(qargs)) != len(qargs):
            raise SimulationError(f"duplicate qubits in {list(qargs)}")

    def reduced_density_matrix(self, qargs: Sequence[int]) -> Matrix:
        """The density matrix of ``qargs`` (others traced out; ``qargs[0]`` = LSB)."""
        self._check_qargs(qargs)
        return self.kernel.reduced_density_matrix(self.data, self.num_qubits, list(qargs))

    def bloch_vector(self, qubit: int) -> tuple[float, float, float]:
        """The Bloch vector of one qubit (length < 1 when it is entangled)."""
        return bloch_from_rdm(self.reduced_density_matrix([qubit]))

    def bloch_vectors(self) -> list[tuple[float, float, float]]:
        """Bloch vectors of every qubit, qubit 0 first (one kernel call)."""
        return self.kernel.bloch_and_marginals(self.data, self.num_qubits)[0]

    def entropy(self, qargs: Sequence[int]) -> float:
        """Entanglement entropy (bits) between ``qargs`` and the rest."""
        self._check_qargs(qargs)
        other = [q for q in range(self.num_qubits) if q not in qargs]
        side = list(qargs) if len(qargs) <= len(other) else other
        if not side:
            return 0.0
        return von_neumann_entropy(self.reduced_density_matrix(side))

    def expectation_value(self, pauli: str | dict[int, str]) -> float:
        """``<psi|P|psi>`` for a Pauli string such as ``"ZZ"`` or ``"-XIY"``
        (rightmost letter = qubit 0) or a dict ``{qubit: letter}``."""
        sign = 1.0
        if isinstance(pauli, str) and pauli[:1] in "+-" and pauli:
            sign = -1.0 if pauli[0] == "-" else 1.0
            pauli = pauli[1:]
        try:
            terms = parse_pauli(pauli, self.num_qubits)
        except ValueError as e:
            raise SimulationError(str(e)) from None
        k = self.kernel
        phi = k.copy(self.data)
        for q, ch in terms:
            phi = k.apply_gate(phi, self.num_qubits, Gate(ch.lower()), (q,))
        return sign * k.inner(self.data, phi).real

    def inner(self, other: StateVector) -> complex:
        """``<self|other>``."""
        self._check_same_size(other)
        return complex(self.kernel.inner(self.data, self._coerce(other)))

    def fidelity(self, other: StateVector) -> float:
        """``|<self|other>|^2`` for pure states."""
        return abs(self.inner(other)) ** 2

    def equiv(self, other: StateVector, atol: float | None = None) -> bool:
        """True when equal up to a global phase."""
        atol = self.atol if atol is None else atol
        return abs(1.0 - self.fidelity(other)) <= atol

    def _check_same_size(self, other: StateVector) -> None:
        if other.num_qubits != self.num_qubits:
            raise SimulationError(f"states have {self.num_qubits} and {other.num_qubits} qubits")

    def _coerce(self, other: StateVector) -> Any:
        if other.kernel is self.kernel:
            return other.data
        return self.kernel.from_amplitudes(other.to_list())

    def phase_aligned(self) -> list[complex]:
        """Amplitudes with the global phase removed (largest amplitude made real > 0)."""
        amps = self.to_list()
        big = max(amps, key=abs)
        rot = cmath.exp(-1j * cmath.phase(big)) if big else 1
        return [a * rot for a in amps]

    def __len__(self) -> int:
        return 1 << self.num_qubits

    def __repr__(self) -> str:
        return f"<StateVector {self.num_qubits} qubits, kernel={self.kernel.name}>"
