"""Running circuits: exact evolution, sampled shots, shot branching and trajectories.

* No mid-circuit measurement, reset, classical control or noise: the circuit's gates
  run once and every shot is sampled from the final distribution in one pass
  (method ``"sampled"``).
* Otherwise the shots run as branches (method ``"branching"``, see
  :mod:`qtcore.sim._branching`): a branch holds a state and a number of shots, split
  among the outcomes at each measurement, reset or noise site by exact multinomial
  draws. Past the memory budget, or when asked, each shot is one trajectory (method
  ``"trajectories"``).

Either way every random choice comes from qtcore's portable :class:`~qtcore.rng.Rng`,
in a fixed order, so a seed gives the same counts with either kernel and interpreter
(for the same method and qtcore version).

Counts keys are classical-bit strings with bit 0 rightmost. A circuit with no
measurement reports counts over all qubits (qubit 0 rightmost).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qtcore.circuit import Circuit, CompositeGate, Instruction
from qtcore.control import walk
from qtcore.errors import SimulationError, UnboundParameterError
from qtcore.ops._matrix import Matrix
from qtcore.rng import Rng, check_seed, fresh_seed
from qtcore.sim._apply import apply_gates
from qtcore.sim._backend import get_kernel
from qtcore.sim._branching import branch_memory, compile_program, run_branches, tally_leaf
from qtcore.sim._plan import CircuitPlan, plan_of
from qtcore.sim._statevector import StateVector
from qtcore.wire import js_safe

if TYPE_CHECKING:
    from qtcore.noise import NoiseModel
    from qtcore.sim._kernel import Kernel

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "METHODS",
    "Result",
    "Step",
    "iter_steps",
    "sampled_result",
    "simulate",
    "unitary_of",
]

MAX_QUBITS = 34
METHODS = ("auto", "branching", "trajectories")
"""What :func:`simulate` accepts as ``method`` (``"auto"``: branching within the budget)."""
DEFAULT_MEMORY_BUDGET = 1 << 30
"""Bytes of states shot branching may hold at once before ``"auto"`` runs trajectories."""


@dataclass
class Result:
    """The outcome of :func:`simulate`.

    Attributes:
        counts: ``{bitstring: count}`` sorted by bitstring (empty when ``shots == 0``).
        state: the final state (of the last branch or trajectory when those ran).
        clbits: classical bits at the end (of the last shot), bit 0 first.
        memory: per-shot bitstrings in shot order, when asked for (with branching, the
            shots of all branches in an order shuffled by the run's RNG).
        method: ``"statevector"`` (no shots), ``"sampled"``, ``"branching"`` or
            ``"trajectories"``.
        kernel: ``"numpy"`` or ``"python"``.
        seed: the seed used (drawn from the OS when none was given).
    """

    circuit: Circuit
    shots: int
    seed: int
    kernel: str
    method: str
    state: StateVector
    counts: dict[str, int] = field(default_factory=dict)
    clbits: list[int] = field(default_factory=list)
    memory: list[str] | None = None

    @property
    def state_vector(self) -> list[complex]:
        """Final amplitudes as Python complex numbers."""
        return self.state.to_list()

    def probabilities(self, qargs: Sequence[int] | None = None) -> list[float]:
        """Final-state probabilities (marginal over ``qargs`` when given)."""
        return self.state.probabilities(qargs)

    def frequencies(self) -> dict[str, float]:
        """Counts divided by the number of shots."""
        return {k: v / self.shots for k, v in self.counts.items()} if self.shots else {}

    def to_dict(self, amplitudes: bool = True) -> dict[str, Any]:
        """A JSON-ready summary (amplitudes as ``[re, im]`` pairs when asked and small)."""
        out: dict[str, Any] = {
            "num_qubits": self.circuit.num_qubits,
            "num_clbits": self.circuit.num_clbits,
            "shots": self.shots,
            "seed": self.seed,
            "kernel": self.kernel,
            "method": self.method,
            "counts": dict(self.counts),
            "clbits": list(self.clbits),
        }
        if self.state.num_qubits <= 12:
            out["probabilities"] = self.probabilities()
            if amplitudes:
                out["amplitudes"] = [[z.real, z.imag] for z in self.state_vector]
        if self.memory is not None:
            out["memory"] = list(self.memory)
        return out

    def to_wire(self, amplitudes: bool = False) -> dict[str, Any]:
        """The result as the site's worker protocol carries it (camelCase keys, see
        :mod:`qtcore.wire`: a seed beyond 2**53 - 1 is a decimal string).

        ``numQubits``, ``numClbits``, ``shots``, ``seed``, ``kernel``, ``method``,
        ``counts``, ``clbits``; ``probabilities`` up to 12 qubits; ``amplitudes`` as
        ``[re, im]`` pairs when asked (same limit); ``memory`` when recorded.
        """
        out: dict[str, Any] = {
            "numQubits": self.circuit.num_qubits,
            "numClbits": self.circuit.num_clbits,
            "shots": self.shots,
            "seed": js_safe(self.seed),
            "kernel": self.kernel,
            "method": self.method,
            "counts": dict(self.counts),
            "clbits": list(self.clbits),
        }
        if self.state.num_qubits <= 12:
            out["probabilities"] = self.probabilities()
            if amplitudes:
                out["amplitudes"] = [[z.real, z.imag] for z in self.state_vector]
        if self.memory is not None:
            out["memory"] = list(self.memory)
        return out


@dataclass
class Step:
    """The state right after one instruction of one trajectory (the raw form of a frame).

    Attributes:
        index: 0-based instruction index.
        instruction: the instruction just applied (``None`` for the initial step).
        executed: False when a classical condition skipped the instruction.
        outcome: the measurement or reset outcome, when there was one.
    """

    index: int
    instruction: Instruction | None
    state: StateVector
    clbits: list[int]
    executed: bool = True
    outcome: int | None = None


def _check(circuit: Circuit) -> CircuitPlan:
    if not isinstance(circuit, Circuit):
        raise SimulationError(f"expected a Circuit, got {type(circuit).__name__}")
    plan = plan_of(circuit)
    if plan.parameters:
        raise UnboundParameterError(
            f"circuit has unbound parameter(s) {sorted(plan.parameters)}; "
            "bind them with circuit.bind({...}) before running"
        )
    if circuit.num_qubits > MAX_QUBITS:
        raise SimulationError(
            f"{circuit.num_qubits} qubits is beyond the state-vector limit of {MAX_QUBITS}"
        )
    return plan


class _Runner:
    """Applies instructions to one trajectory."""

    def __init__(self, kernel: Kernel[Any], n: int, rng: Rng, noise: NoiseModel | None) -> None:
        self.k = kernel
        self.n = n
        self.rng = rng
        self.noise = noise

    def gate(self, s: Any, ins: Instruction) -> Any:
        g = ins.gate
        assert g is not None
        if isinstance(g, CompositeGate):
            for sub in g.bound_definition().instructions:
                if sub.kind == "gate":
                    mapped = Instruction("gate", tuple(ins.qubits[q] for q in sub.qubits), sub.gate)
                    s = self.gate(s, mapped)
            return s
        s = self.k.apply_gate(s, self.n, g, ins.qubits)
        if self.noise is not None:
            s = self.noise.after_gate(self.k, s, self.n, g, ins.qubits, self.rng)
        return s

    def measure(self, s: Any, q: int) -> tuple[Any, int]:
        p1 = min(max(self.k.prob_one(s, self.n, q), 0.0), 1.0)  # rounding only: |p1| <= 1 + 1e-15
        u = self.rng.random()
        outcome = 1 if u >= 1.0 - p1 else 0
        s = self.k.collapse(s, self.n, q, outcome, p1 if outcome else 1.0 - p1)
        return s, outcome

    def run(self, s: Any, ins: Instruction, bits: list[int]) -> tuple[Any, bool, int | None]:
        if ins.condition is not None and not ins.condition.holds(bits):
            return s, False, None
        if ins.kind == "gate":
            return self.gate(s, ins), True, None
        if ins.kind == "measure":
            s, outcome = self.measure(s, ins.qubits[0])
            recorded = outcome
            if self.noise is not None:
                recorded = self.noise.readout(ins.qubits[0], outcome, self.rng)
            bits[ins.clbits[0]] = recorded
            return s, True, recorded
        if ins.kind == "reset":
            s, outcome = self.measure(s, ins.qubits[0])
            if outcome:
                from qtcore.ops import X

                s = self.k.apply_gate(s, self.n, X, ins.qubits)
            return s, True, outcome
        return s, True, None  # barrier


def _initial(kernel: Kernel[Any], n: int, initial_state: Any) -> Any:
    if initial_state is None:
        return kernel.zeros(n)
    if isinstance(initial_state, str):
        initial_state = StateVector.from_label(initial_state, backend=kernel)
    if not isinstance(initial_state, StateVector):
        initial_state = StateVector(initial_state, backend=kernel)
    if initial_state.num_qubits != n:
        raise SimulationError(
            f"initial state has {initial_state.num_qubits} qubits, circuit has {n}"
        )
    return (
        kernel.from_amplitudes(initial_state.to_list())
        if initial_state.kernel is not kernel
        else kernel.copy(initial_state.data)
    )


@dataclass
class _Run:
    """A run's validated arguments (see :func:`_prepare`)."""

    plan: CircuitPlan
    seed: int
    kernel: Kernel[Any]
    noise: NoiseModel | None
    state: Any  # the initial state, in the kernel's own representation
    _rng: Rng | None = None

    @property
    def rng(self) -> Rng:
        """The run's RNG, seeded when first asked for (a state-vector run needs none)."""
        if self._rng is None:
            self._rng = Rng(self.seed)
        return self._rng


def _prepare(
    circuit: Circuit,
    shots: int,
    seed: int | None,
    backend: str | Kernel[Any],
    precision: str,
    noise: NoiseModel | None,
    initial_state: Any,
) -> _Run:
    """Validates a run's arguments once: the circuit's plan, the seed and its RNG, the
    kernel, the noise (``None`` when empty) and the initial state in the kernel's own
    representation."""
    plan = _check(circuit)
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 0:
        raise SimulationError(f"shots must be a non-negative integer, got {shots!r}")
    seed = fresh_seed() if seed is None else check_seed(seed)
    kernel = get_kernel(backend, precision)
    if noise is not None and noise.is_empty():
        noise = None
    if noise is not None:
        noise.validate(circuit)
    s0 = _initial(kernel, circuit.num_qubits, initial_state)
    return _Run(plan, seed, kernel, noise, s0)


def simulate(
    circuit: Circuit,
    shots: int = 0,
    *,
    seed: int | None = None,
    backend: str | Kernel[Any] = "auto",
    noise: NoiseModel | None = None,
    initial_state: StateVector | Sequence[complex] | str | None = None,
    memory: bool = False,
    precision: str = "double",
    method: str = "auto",
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> Result:
    """Runs ``circuit`` and returns its :class:`Result`.

    Args:
        circuit: a circuit with every parameter bound.
        shots: number of samples (0: just evolve the state, one trajectory).
        seed: seed of qtcore's portable RNG (drawn from the OS when ``None``).
        backend: ``"auto"``, ``"numpy"``, ``"python"`` or a kernel object.
        noise: a :class:`~qtcore.noise.NoiseModel`.
        initial_state: a state, amplitudes or a label such as ``"01+"``.
        memory: also return each shot's bitstring in order.
        precision: ``"double"`` (complex128) or, with the NumPy kernel, ``"single"``
            (complex64: half the memory, about 1e-7 accuracy; 31 qubits fit in 24 GiB).
        method: for circuits with mid-circuit measurement, reset, classical control or
            noise: ``"branching"``, ``"trajectories"`` (one per shot) or ``"auto"``
            (branching unless it could need more than ``memory_budget`` bytes of states).
        memory_budget: bytes of states shot branching may hold at once.

    Raises:
        UnboundParameterError: a parameter is still symbolic.
        SimulationError: bad shots/seed/backend/initial state/method, or ``"branching"``
            asked for beyond ``memory_budget``.
    """
    if method not in METHODS:
        raise SimulationError(f"method must be one of {list(METHODS)}, got {method!r}")
    if isinstance(memory_budget, bool) or not isinstance(memory_budget, int) or memory_budget < 0:
        raise SimulationError(
            f"memory_budget must be a non-negative number of bytes, got {memory_budget!r}"
        )
    run = _prepare(circuit, shots, seed, backend, precision, noise, initial_state)
    seed, kernel, noise, s0 = run.seed, run.kernel, run.noise, run.state
    n = circuit.num_qubits
    measures = run.plan.measures
    width = circuit.num_clbits if measures else n
    if noise is None and not run.plan.mid_circuit:
        # fused if the kernel asks; compiled once per circuit if the kernel compiles
        s = apply_gates(kernel, s0, n, run.plan.instructions, run.plan.compiled)
        state = StateVector(s, _kernel=kernel)
        return sampled_result(circuit, state, shots, seed, memory, run.plan.measures)

    rng = run.rng
    variables = circuit.classical_variables
    if shots and method != "trajectories":
        program = compile_program(circuit.instructions, noise, variables)
        itemsize = 8 if precision == "single" else 16
        need = branch_memory(program, n, shots, itemsize)
        if need <= memory_budget:
            return _branching(
                circuit, shots, seed, kernel, s0, rng, program, bool(measures), width, memory
            )
        if method == "branching":
            raise SimulationError(
                f"shot branching could hold up to {need} bytes of states, beyond the "
                f"memory_budget of {memory_budget}; raise it or use method='trajectories'"
            )

    if circuit.has_control_flow:
        return _flow_trajectories(circuit, shots, seed, kernel, s0, rng, noise, width, memory)
    runner = _Runner(kernel, n, rng, noise)
    tally: Counter[str] = Counter()
    mem: list[str] | None = [] if memory else None
    s = None
    bits = []
    for _ in range(max(shots, 1)):
        s = kernel.copy(s0)  # the initial state is prepared once, copied per shot
        bits = [0] * circuit.num_clbits
        for ins in circuit.instructions:
            s, _, _ = runner.run(s, ins, bits)
        if not measures:
            key = format(kernel.sample_state(s, 1, rng)[0], f"0{width}b") if shots else ""
        else:
            key = "".join(str(b) for b in reversed(bits))
        if shots:
            tally[key] += 1
            if mem is not None:
                mem.append(key)
    return _tallied(circuit, shots, seed, kernel, "trajectories", s, tally, bits, mem)


def sampled_result(
    circuit: Circuit,
    state: StateVector,
    shots: int,
    seed: int,
    memory: bool,
    measures: Sequence[Instruction] | None = None,
) -> Result:
    """The :class:`Result` of a circuit without mid-circuit measurement (or noise) whose
    gates have brought the state to ``state``: ``shots`` samples of it, drawn with a fresh
    ``Rng(seed)`` (what :func:`simulate` does after running the gates). ``measures``: the
    circuit's measurements, if the caller has them."""
    kernel, s = state.kernel, state.data
    if measures is None:
        measures = plan_of(circuit).measures
    width = circuit.num_clbits if measures else circuit.num_qubits
    counts: dict[str, int] = {}
    mem: list[str] | None = [] if memory else None
    bits = [0] * circuit.num_clbits
    if shots:
        idx = kernel.sample_state(s, shots, Rng(seed))  # no full probability array
        # Each distinct basis index is mapped to its bitstring once (a run has at most
        # 2**n of them, often far fewer than shots), then the tally is summed per string.
        qc = [(i.qubits[0], i.clbits[0]) for i in measures]
        per_index = Counter(idx)
        names = {b: format(_clbits_of(b, qc) if qc else b, f"0{width}b") for b in per_index}
        per_key: Counter[str] = Counter()
        for b, k in per_index.items():
            per_key[names[b]] += k
        counts = dict(sorted(per_key.items()))
        if mem is not None:
            mem.extend(map(names.__getitem__, idx))
        if measures:
            last = _clbits_of(idx[-1], qc)
            bits = [(last >> c) & 1 for c in range(circuit.num_clbits)]
    return Result(
        circuit,
        shots,
        seed,
        kernel.name,
        "sampled" if shots else "statevector",
        state,
        counts,
        bits,
        mem,
    )


def _clbits_of(b: int, qc: Sequence[tuple[int, int]]) -> int:
    """The classical bits (as an int) that terminal measurements ``(qubit, clbit)``, in
    order, write when the state is the basis state ``b`` (a later one wins)."""
    v = 0
    for q, c in qc:
        if (b >> q) & 1:
            v |= 1 << c
        else:
            v &= ~(1 << c)
    return v


def _tallied(
    circuit: Circuit,
    shots: int,
    seed: int,
    kernel: Kernel[Any],
    method: str,
    state: Any,
    tally: Counter[str],
    clbits: list[int],
    memory: list[str] | None,
) -> Result:
    """The :class:`Result` of a run that tallied its shots one outcome at a time."""
    return Result(
        circuit,
        shots,
        seed,
        kernel.name,
        method,
        StateVector(state, _kernel=kernel),
        dict(sorted(tally.items())),
        clbits,
        memory,
    )


def _flow_trajectories(
    circuit: Circuit,
    shots: int,
    seed: int,
    kernel: Kernel[Any],
    s0: Any,
    rng: Rng,
    noise: NoiseModel | None,
    width: int,
    memory: bool,
) -> Result:
    """One trajectory per shot of a circuit with control flow (a branch of one shot)."""
    n = circuit.num_qubits
    program = compile_program(circuit.instructions, noise, circuit.classical_variables, False)
    measured = any(i.kind == "measure" for i in walk(circuit.instructions))
    tally: Counter[str] = Counter()
    mem: list[str] | None = [] if memory else None
    last: list[Any] = [s0, [0] * circuit.num_clbits]

    def leaf(s: Any, k: int, bits: list[int]) -> None:
        last[0], last[1] = s, bits

    for _ in range(max(shots, 1)):
        run_branches(kernel, n, program, kernel.copy(s0), 1, [0] * circuit.num_clbits, rng, leaf)
        if not shots:
            break
        if measured:
            key = "".join(str(b) for b in reversed(last[1]))
        else:
            key = format(kernel.sample_state(last[0], 1, rng)[0], f"0{width}b")
        tally[key] += 1
        if mem is not None:
            mem.append(key)
    return _tallied(circuit, shots, seed, kernel, "trajectories", last[0], tally, last[1], mem)


def _branching(
    circuit: Circuit,
    shots: int,
    seed: int,
    kernel: Kernel[Any],
    s0: Any,
    rng: Rng,
    program: Any,
    measured: bool,
    width: int,
    memory: bool,
) -> Result:
    tally: Counter[str] = Counter()
    mem: list[str] | None = [] if memory else None
    sample = tally_leaf(kernel, program, rng, width, measured, tally, mem)
    last: list[Any] = [s0, [0] * circuit.num_clbits]

    def leaf(s: Any, k: int, bits: list[int]) -> None:
        last[0] = s
        last[1] = sample(s, k, bits)

    n = circuit.num_qubits
    run_branches(kernel, n, program, s0, shots, [0] * circuit.num_clbits, rng, leaf)
    if mem:
        rng.shuffle(mem)
        last[1] = [int(ch) for ch in reversed(mem[-1])] if measured else last[1]
    return _tallied(circuit, shots, seed, kernel, "branching", last[0], tally, last[1], mem)


def iter_steps(
    circuit: Circuit,
    *,
    seed: int | None = None,
    backend: str | Kernel[Any] = "auto",
    noise: NoiseModel | None = None,
    initial_state: StateVector | Sequence[complex] | str | None = None,
) -> Iterator[Step]:
    """Yields the state after each instruction of one seeded trajectory.

    The first step (``index == -1``, ``instruction is None``) is the initial state.
    Steps share one live state object: copy a step's state before advancing if you
    need to keep it.
    """
    run = _prepare(circuit, 0, seed, backend, "double", noise, initial_state)
    kernel, noise, s = run.kernel, run.noise, run.state
    n = circuit.num_qubits
    if circuit.has_control_flow:
        yield from _flow_steps(circuit, kernel, s, run.rng, noise)
        return
    runner = _Runner(kernel, n, run.rng, noise)
    bits = [0] * circuit.num_clbits
    yield Step(-1, None, StateVector(s, _kernel=kernel), list(bits))
    for i, ins in enumerate(circuit.instructions):
        s, executed, outcome = runner.run(s, ins, bits)
        yield Step(i, ins, StateVector(s, _kernel=kernel), list(bits), executed, outcome)


def _flow_steps(
    circuit: Circuit, kernel: Kernel[Any], s: Any, rng: Rng, noise: NoiseModel | None
) -> Iterator[Step]:
    """Steps of one trajectory through control flow: one per operation as it runs.

    A block (``if``, ``while``, ``for``, ``switch``, an assignment) is a step when it is
    entered, then each operation inside its body is a step of its own, every pass of a
    loop again; ``index`` counts steps in the order they ran (not instruction positions,
    which a loop revisits). The states are copies (the run completes first).
    """
    n = circuit.num_qubits
    program = compile_program(circuit.instructions, noise, circuit.classical_variables, False)
    steps: list[Step] = [
        Step(-1, None, StateVector(kernel.copy(s), _kernel=kernel), [0] * circuit.num_clbits)
    ]

    def on_step(ins: Any, st: Any, bits: list[int], executed: bool, outcome: int | None) -> None:
        state = StateVector(kernel.copy(st), _kernel=kernel)
        steps.append(Step(len(steps) - 1, ins, state, list(bits), executed, outcome))

    run_branches(kernel, n, program, s, 1, [0] * circuit.num_clbits, rng, lambda *_: None, on_step)
    yield from steps


def unitary_of(circuit: Circuit) -> Matrix:
    """The unitary matrix of a small gate-only circuit (columns = images of basis states).

    Raises:
        SimulationError: for measurement/reset/conditions or more than 10 qubits.
    """
    if circuit.has_nonunitary:
        raise SimulationError("unitary_of needs a circuit of gates only")
    if circuit.num_qubits > 10:
        raise SimulationError(f"unitary_of is limited to 10 qubits, got {circuit.num_qubits}")
    _check(circuit)
    kernel = get_kernel("python")
    n = circuit.num_qubits
    runner = _Runner(kernel, n, Rng(0), None)
    cols = []
    for j in range(1 << n):
        s = [0j] * (1 << n)
        s[j] = 1 + 0j
        for ins in circuit.instructions:
            if ins.kind == "gate":
                s = runner.gate(s, ins)
        cols.append(s)
    return tuple(tuple(cols[j][i] for j in range(1 << n)) for i in range(1 << n))


def interpreter() -> str:
    """``"cpython 3.11.7"`` or ``"pyodide 3.14.0"``: part of every result's provenance."""
    impl = "pyodide" if sys.platform == "emscripten" else sys.implementation.name
    v = sys.version_info
    return f"{impl} {v.major}.{v.minor}.{v.micro}"
