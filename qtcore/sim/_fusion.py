"""Gate fusion for the NumPy and WebAssembly kernels: fewer, denser passes over the state.

A run of gates between barriers, measurements, resets and classically conditioned
instructions is regrouped (never reordered across a gate it does not commute with
trivially, i.e. one sharing a qubit) into:

* ``"matrix"`` ops: a dense ``2**k x 2**k`` matrix on ``k <= max_qubits`` qubits;
* ``"diagonal"`` ops: a product of diagonal gates (CZ, CP, RZZ, ...) on up to
  ``max_diagonal_qubits`` qubits, applied as one in-place multiply;
* ``"permutation"`` ops: a run of permutation gates (a CX ladder, a SWAP network) on
  a window of at most 10 adjacent qubits, moved in one pass (``data`` is the window's
  source table, ``new[i] = old[data[i]]``);
* ``"gate"`` ops: a permutation gate (CX, SWAP, CCX, ...) kept as it is, because the
  kernel swaps sub-views for it faster than any matrix product;
* ``"instruction"`` ops: anything that is not a plain gate, passed through for the
  caller to run (measure, reset, barrier, conditioned gates).

Single-qubit gates are held back per qubit (multiplied together) and absorbed by the
next multi-qubit op on that qubit, so a layer of rotations followed by a CX ladder
becomes a few 4- or 5-qubit matrices. Whether a gate joins an open group is decided
with the kernel's measured cost of a dense pass of each width.

Usage (what the simulator's gate loop does)::

    for op in fuse(circuit.instructions, n):
        if op.kind == "instruction":
            s, _, _ = runner.run(s, op.instruction, bits)
        else:
            s = op.apply(kernel, s, n)

Fusion builds its matrices with NumPy where NumPy imports, and in plain Python where
it does not (:mod:`qtcore.sim._fusion_algebra`): the same program either way, the same
groups of the same gates. (No kernel asks for fusion without NumPy today: under Pyodide
the WebAssembly kernel measured faster gate by gate.) It talks to kernels only through
the kernel contract
(:class:`~qtcore.sim._kernel.Kernel`: ``apply_matrix``, ``apply_diagonal``,
``apply_permutation``, ``apply_gate``) and groups gates by the costs the kernel declares
in its :attr:`~qtcore.sim._kernel.Kernel.fusion` profile; a kernel without a profile is
not fused. The NumPy kernel's profile starts at 15 qubits (below, building the fused
matrices costs more than the passes it saves).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qtcore.circuit import Instruction, expand_composites
from qtcore.ops import Gate
from qtcore.sim._fusion_algebra import Algebra, algebra
from qtcore.sim._kernel import FusionProfile, Kernel

__all__ = ["FusedOp", "fuse", "run_fused"]

_DIAG_TOTAL = 4  # a fused diagonal may hold this many control qubits beyond its targets


@dataclass
class FusedOp:
    """One operation of a fused program.

    Attributes:
        kind: ``"matrix"``, ``"diagonal"``, ``"permutation"``, ``"gate"`` or
            ``"instruction"``.
        qubits: the qubits (for a matrix or diagonal: bit ``j`` of its index is
            ``qubits[j]``; for a gate: its argument order).
        data: the ``2**k x 2**k`` matrix or the length-``2**k`` diagonal.
        gate: the gate of a ``"gate"`` op.
        instruction: the instruction of an ``"instruction"`` op.
        count: how many original gates this op stands for.
    """

    kind: str
    qubits: tuple[int, ...]
    data: Any = None
    gate: Gate | None = None
    instruction: Instruction | None = None
    count: int = 1

    def apply(self, kernel: Kernel[Any], s: Any, n: int) -> Any:
        """Applies the op with ``kernel`` and returns the state."""
        if self.kind == "matrix":
            return kernel.apply_matrix(s, n, self.data, self.qubits)
        if self.kind == "diagonal":
            return kernel.apply_diagonal(s, n, self.data, self.qubits)
        if self.kind == "permutation":
            return kernel.apply_permutation(s, n, self.data, self.qubits[0])
        if self.kind == "gate":
            assert self.gate is not None
            return kernel.apply_gate(s, n, self.gate, self.qubits)
        raise ValueError(f"op of kind {self.kind!r} must be run by the caller")


@dataclass(eq=False)  # compared by identity
class _Group:
    alg: Algebra
    kind: str  # "matrix" | "diagonal" | "gate" | "perm"
    qubits: list[int]
    data: Any = None
    gate: Gate | None = None
    count: int = 0
    qset: set[int] = field(default_factory=set)
    ctrl: set[int] = field(default_factory=set)  # diagonal: qubits it is 1 on when 0
    # diagonal: its factors (diagonal, qubits, control qubits), multiplied out at the end,
    # so that a factor can still be moved into an earlier matrix group (see _Fuser._pull)
    factors: list[tuple[Any, tuple[int, ...], set[int]]] = field(default_factory=list)
    gates: list[tuple[Gate, tuple[int, ...]]] = field(default_factory=list)  # perm: in order

    def targets_after(self, qubits: Sequence[int], ctrl: set[int]) -> int:
        """Non-control qubits of this diagonal group once a diagonal on ``qubits`` joins."""
        both = self.ctrl & ctrl if self.count else ctrl
        return len((self.qset | set(qubits)) - both)

    def widen(self, qubits: Iterable[int]) -> None:
        new = [q for q in qubits if q not in self.qset]
        if not new:
            return
        if self.kind == "matrix":  # kron(I, data): one copy of data per value of the new bits
            self.data = self.alg.widen(self.data, 1 << len(new))
        self.qubits.extend(new)
        self.qset.update(new)

    def add(
        self, data: Any, qubits: Sequence[int], diagonal: bool, where: Sequence[int] | None = None
    ) -> None:
        """Multiplies ``data`` (a matrix, or a diagonal if ``diagonal``) on ``qubits`` in.

        ``where``: for a diagonal, its control positions if already known.
        """
        if self.kind == "diagonal":
            if where is None:
                where = self.alg.diagonal_controls(data, len(qubits))
            ctrl = {qubits[j] for j in where}
            self.factors.append((data, tuple(qubits), ctrl))
            self.ctrl = self.ctrl & ctrl if self.count else ctrl
            self.widen(qubits)
            self.count += 1
            return
        self.widen(qubits)
        pos = [self.qubits.index(q) for q in qubits]
        width = len(self.qubits)
        if diagonal:
            self.data = self.alg.scale_rows(self.data, data, pos, width)
        else:
            self.data = self.alg.left_multiply(self.data, data, pos, width)
        self.count += 1

    def remove_factors(self, qubit: int) -> list[tuple[Any, tuple[int, ...], set[int]]]:
        """Takes this diagonal group's factors on ``qubit`` out of it, and returns them."""
        taken = [f for f in self.factors if qubit in f[1]]
        self.factors = [f for f in self.factors if qubit not in f[1]]
        used = {q for f in self.factors for q in f[1]}
        self.qubits = [q for q in self.qubits if q in used]
        self.qset = used
        self.count -= len(taken)
        ctrl: set[int] = set()
        for i, f in enumerate(self.factors):
            ctrl = f[2] if i == 0 else ctrl & f[2]
        self.ctrl = ctrl
        return taken

    def diagonal(self) -> Any:
        """The product of this diagonal group's factors, bit ``j`` at ``qubits[j]``."""
        return self.alg.diagonal_product(self.factors, self.qubits)


def _span(a: Iterable[int], b: Iterable[int]) -> int:
    qs = [*a, *b]
    return max(qs) - min(qs) + 1


def _perm_window(qubits: Iterable[int], profile: FusionProfile) -> tuple[int, int] | None:
    """``(lo, width)`` of the qubit window a fused permutation on ``qubits`` runs on.

    None when the window is too wide, or neither low enough for the gather path nor
    starting high enough for the kernel to move long runs (see the profile).
    """
    qs = list(qubits)
    lo, hi = min(qs), max(qs)
    w = hi - lo + 1
    if w > profile.perm_max_width or (
        hi >= profile.perm_gather_bits and lo < profile.perm_run_bits
    ):
        return None
    return lo, w


def _perm_ops(
    gates: list[tuple[Gate, tuple[int, ...]]], profile: FusionProfile, alg: Algebra
) -> list[FusedOp]:
    """One ``"permutation"`` op for a run of permutation gates, or the gates themselves.

    A window pass costs about a copy when it moves long runs and a few copies when it
    gathers; a single CX-like pass costs one to two, so short runs stay as they are.
    """
    window = _perm_window((q for _, qs in gates for q in qs), profile)
    assert window is not None
    lo, w = window
    if len(gates) < (2 if lo >= profile.perm_run_bits else 3):
        return [FusedOp("gate", qs, gate=g) for g, qs in gates]
    src = alg.window_table(gates, lo, w)
    return [FusedOp("permutation", tuple(range(lo, lo + w)), src, count=len(gates))]


class _Fuser:
    def __init__(
        self, max_qubits: int, max_diagonal_qubits: int, profile: FusionProfile, alg: Algebra
    ) -> None:
        self.alg = alg
        self.profile = profile
        self.max_qubits = max_qubits
        self.max_diag = max_diagonal_qubits
        self.max_diag_total = max_diagonal_qubits + _DIAG_TOTAL  # controls included
        if profile.max_op_qubits is not None:  # the wasm kernel's tables hold 2**12 entries
            self.max_diag_total = min(self.max_diag_total, profile.max_op_qubits)
        self.groups: list[_Group] = []
        self.pending: dict[int, tuple[Any, int]] = {}  # qubit -> (2x2 product, count)
        self.out: list[FusedOp] = []

    def _cost(self, kind: str, k: int) -> float:
        if kind == "diagonal":
            return self.profile.diagonal_cost
        if kind == "gate":
            return self.profile.permutation_cost
        return self.profile.dense_cost.get(k, 1e9)

    def _latest(self, qubits: Iterable[int]) -> int:
        qs = set(qubits)
        for i in range(len(self.groups) - 1, -1, -1):
            if self.groups[i].qset & qs:
                return i
        return -1

    def _best(
        self,
        qubits: Sequence[int],
        kinds: tuple[str, ...],
        limit: int,
        ctrl: set[int] | None = None,
    ) -> int:
        """Index of the open group that can take ``qubits`` growing least, or -1.

        For diagonal groups (``ctrl``: the joining diagonal's control qubits) ``limit``
        bounds the non-control qubits: controls cost the kernel nothing to widen.
        """
        start = max(self._latest(qubits), 0)
        best, best_growth = -1, limit + _DIAG_TOTAL + 1
        for i in range(start, len(self.groups)):
            g = self.groups[i]
            if g.kind not in kinds:
                continue
            growth = len(set(qubits) - g.qset)
            if kinds == ("matrix",) and growth and _span(g.qset, qubits) > self.profile.max_span:
                continue  # the kernel's fast dense paths need a narrow qubit range
            if g.kind == "diagonal" and ctrl is not None:
                fits = g.targets_after(qubits, ctrl) <= limit
                fits = fits and len(g.qset) + growth <= self.max_diag_total
            else:
                fits = len(g.qset) + growth <= limit
            if fits and growth <= best_growth:
                best, best_growth = i, growth
        return best

    def gate(self, gate: Gate, qubits: tuple[int, ...], ahead: Sequence[Instruction] = ()) -> None:
        """Adds one gate; ``ahead`` are the instructions after it (for one look-ahead rule)."""
        m = self.alg.gate_matrix(gate)
        if len(qubits) == 1:
            q = qubits[0]
            prev = self.pending.get(q)
            self.pending[q] = (m, 1) if prev is None else (self.alg.matmul(m, prev[0]), prev[1] + 1)
            return
        structure = gate.structure
        if len(qubits) > self.max_qubits or (
            structure != "diagonal" and _span((), qubits) > self.profile.max_span
        ):
            for q in qubits:  # too wide for a matrix: settle its qubits' 1-qubit gates first
                self._place_pending(q)
            if structure != "diagonal" or len(qubits) > self.max_diag:
                self.groups.append(
                    _Group(self.alg, "gate", list(qubits), None, gate, 1, set(qubits))
                )
                return
        if structure == "diagonal":
            for q in qubits:  # QFT: H(j-1) joins H(j)'s group, CP(k, j-1) the ladder
                if q in self.pending and (i := self._pull(q)) >= 0:
                    self._join(i, q)
        if structure == "diagonal" and self._ladder_ahead(qubits, ahead):
            for q in qubits:  # e.g. QFT: H(j) stays 1-qubit, CP(k, j) joins the CP ladder
                self._place_pending(q)
        pre = [(q, self.pending.pop(q)) for q in qubits if q in self.pending]
        if structure == "diagonal" and not pre:
            d, where = self.alg.gate_diagonal(gate)
            ctrl = {qubits[j] for j in where}
            i = self._best(qubits, ("diagonal",), self.max_diag, ctrl)
            if i < 0:
                i = self._best(qubits, ("matrix",), self.max_qubits)
                if i >= 0 and len(set(qubits) - self.groups[i].qset) > 0:
                    i = -1  # only free (no-growth) merges into a matrix
            if i < 0:
                self.groups.append(_Group(self.alg, "diagonal", []))
                i = len(self.groups) - 1
            self.groups[i].add(d, qubits, True, where)
            return
        i = self._best(qubits, ("matrix",), self.max_qubits)
        if i >= 0:
            grp = self.groups[i]
            grow = len(set(qubits) - grp.qset)
            k = len(grp.qset)
            absorbed = len(pre) * self._cost("matrix", 1)
            standalone = self._cost("gate" if structure == "permutation" else "matrix", len(qubits))
            if (
                grow
                and self._cost("matrix", k + grow) - self._cost("matrix", k) > standalone + absorbed
            ):
                i = -1
        if i < 0 and structure == "permutation" and not pre:
            j = self._best_perm(qubits)
            if j < 0:
                self.groups.append(_Group(self.alg, "perm", []))
            grp = self.groups[j]
            grp.gates.append((gate, qubits))
            grp.qset.update(qubits)
            grp.count += 1
            return
        if i < 0:
            self.groups.append(_Group(self.alg, "matrix", [], self.alg.identity1()))
            i = len(self.groups) - 1
        grp = self.groups[i]
        for q, (pm, cnt) in pre:
            grp.add(pm, (q,), False)
            grp.count += cnt - 1
        grp.add(m, qubits, False)

    def _best_perm(self, qubits: Sequence[int]) -> int:
        """Index of the open permutation group whose window can take ``qubits``, or -1."""
        best, best_growth = -1, self.profile.perm_max_width + 1
        for i in range(max(self._latest(qubits), 0), len(self.groups)):
            g = self.groups[i]
            if g.kind != "perm":
                continue
            if _perm_window(g.qset | set(qubits), self.profile) is None:
                continue
            growth = len(set(qubits) - g.qset)
            if growth <= best_growth:
                best, best_growth = i, growth
        return best

    def _ladder_ahead(self, qubits: Sequence[int], ahead: Sequence[Instruction]) -> bool:
        """True when this diagonal starts a run of diagonals wider than a dense matrix.

        The run: this gate and the following diagonal gates that share one of its
        pending qubits and have no held-back 1-qubit gate of their own. Folding the
        pending gates into a matrix then only moves the run's first gate into a wider
        (dearer) dense pass; the rest would need a diagonal pass anyway.
        """
        held = [q for q in qubits if q in self.pending]
        if not held:
            return False
        seen = set(qubits)
        for ins in ahead:
            g = ins.gate
            if ins.kind != "gate" or ins.condition is not None or g is None:
                break
            if g.structure != "diagonal" or not set(held) & set(ins.qubits):
                break
            if any(q in self.pending and q not in held for q in ins.qubits):
                break
            seen.update(ins.qubits)
            if len(seen) > self.max_qubits:
                return True
        return False

    def _place_pending(self, q: int) -> None:
        """Moves qubit ``q``'s held-back 1-qubit product into a group."""
        if q not in self.pending:
            return
        pm, cnt = self.pending.pop(q)
        i = self._pull(q)
        if i < 0:
            i = self._best((q,), ("matrix",), self.max_qubits)
        if i >= 0:
            grp = self.groups[i]
            k = len(grp.qset)
            grow = 0 if q in grp.qset else 1
            if grow and self._cost("matrix", k + 1) - self._cost("matrix", k) > self._cost(
                "matrix", 1
            ):
                i = -1
        if i < 0:
            self.groups.append(_Group(self.alg, "matrix", [], self.alg.identity1()))
        self._join(i, q, (pm, cnt))

    def _join(self, i: int, q: int, held: tuple[Any, int] | None = None) -> None:
        """Adds qubit ``q``'s held-back 1-qubit product to group ``i``."""
        pm, cnt = self.pending.pop(q) if held is None else held
        grp = self.groups[i]
        grp.add(pm, (q,), False)
        grp.count += cnt - 1

    def _pull(self, q: int) -> int:
        """Makes room for a 1-qubit gate on ``q`` in an earlier matrix group, or returns -1.

        A dense group that is the last one on ``q`` takes the gate as it is.

        When the last group on ``q`` is a diagonal whose factors on ``q`` only involve
        qubits of an earlier matrix group ``M`` (QFT: after ``H(j)`` and its ladder
        ``CP(k, j)``, the next ``H(j-1)`` meets the ladder only through ``CP(j-1, j)``),
        those factors move into ``M`` (diagonals commute with the diagonal groups in
        between), the diagonal no longer touches ``q``, and the gate can join ``M``:
        consecutive Hadamards and the phases between them become one dense pass.

        Returns:
            The index of ``M``, ready to take the gate, or -1 (nothing was moved).
        """
        dgrps: list[_Group] = []  # the diagonal groups on q after M, latest first
        need = {q}
        for m_at in range(len(self.groups) - 1, -1, -1):
            grp = self.groups[m_at]
            if not grp.qset & need:
                continue
            if grp.kind == "diagonal":
                if q in grp.qset:
                    dgrps.append(grp)
                    need.update(p for f in grp.factors if q in f[1] for p in f[1])
                continue  # a diagonal without q commutes with the factors and with the gate
            if not dgrps:  # the gate's last group: free to join if it is dense on q already
                return m_at if grp.kind == "matrix" and q in grp.qset else -1
            others = need - {q}
            if grp.kind != "matrix" or not others <= grp.qset:
                return -1
            k, grow = len(grp.qset), int(q not in grp.qset)
            if k + grow > self.max_qubits or _span(grp.qset, (q,)) > self.profile.max_span:
                return -1
            if grow and self._cost("matrix", k + 1) - self._cost("matrix", k) > self._cost(
                "matrix", 1
            ):
                return -1
            for dgrp in reversed(dgrps):  # earliest first: the factors keep their order
                for d, qs, _ in dgrp.remove_factors(q):
                    grp.add(d, qs, True)
            self.groups = [g for g in self.groups if g.kind != "diagonal" or g.factors]
            return self.groups.index(grp)
        return -1

    def flush(self) -> None:
        for q in sorted(self.pending):
            self._place_pending(q)
        for g in self.groups:
            if g.kind == "perm":
                self.out.extend(_perm_ops(g.gates, self.profile, self.alg))
            elif g.kind == "gate":
                self.out.append(FusedOp("gate", tuple(g.qubits), gate=g.gate, count=g.count))
            elif g.kind == "diagonal":
                self.out.append(FusedOp(g.kind, tuple(g.qubits), g.diagonal(), count=g.count))
            else:
                self.out.append(FusedOp(g.kind, tuple(g.qubits), g.data, count=g.count))
        self.groups.clear()


def fuse(
    instructions: Iterable[Instruction],
    n: int,
    profile: FusionProfile,
    *,
    max_qubits: int = 4,
    max_diagonal_qubits: int = 12,
    use_numpy: bool | None = None,
) -> list[FusedOp]:
    """Fuses runs of unconditioned gates into fewer, wider operations.

    Args:
        instructions: a circuit's instructions (composite gates are expanded).
        n: number of qubits of the state.
        profile: the costs of the kernel that will run the program (its ``fusion``).
        max_qubits: widest dense matrix to build (2..6).
        max_diagonal_qubits: widest fused diagonal.
        use_numpy: build the matrices with NumPy (True) or in plain Python (False); by
            default NumPy where it imports. The program is the same either way.

    Returns:
        The program: ops in execution order; non-gate and conditioned instructions
        come back as ``"instruction"`` ops, in place, for the caller to run.

    Raises:
        ValueError: ``max_qubits`` outside 1..6.
    """
    if not 1 <= max_qubits <= 6:
        raise ValueError(f"max_qubits must be in 1..6, got {max_qubits}")
    del n
    f = _Fuser(max_qubits, max(max_diagonal_qubits, max_qubits), profile, algebra(use_numpy))
    flat = list(expand_composites(instructions))
    for i, ins in enumerate(flat):
        if ins.kind == "gate" and ins.condition is None and ins.gate is not None:
            f.gate(ins.gate, tuple(ins.qubits), flat[i + 1 : i + 1 + max_qubits])
        else:
            f.flush()
            f.out.append(FusedOp("instruction", tuple(ins.qubits), instruction=ins, count=0))
    f.flush()
    return f.out


def run_fused(kernel: Kernel[Any], s: Any, n: int, instructions: Iterable[Instruction]) -> Any:
    """Applies the gates of ``instructions`` (others are skipped) with fusion.

    This is the no-measurement fast path; conditioned gates are not allowed here.

    Raises:
        ValueError: a conditioned gate is present, or the kernel has no fusion profile.
    """
    if kernel.fusion is None:
        raise ValueError(f"kernel {kernel.name!r} declares no fusion profile")
    for op in fuse(instructions, n, kernel.fusion):
        if op.kind != "instruction":
            s = op.apply(kernel, s, n)
        elif op.instruction is not None and op.instruction.condition is not None:
            raise ValueError("run_fused cannot evaluate classical conditions")
    return s
