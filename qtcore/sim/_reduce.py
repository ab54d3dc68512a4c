"""Per-qubit reductions in pure Python with exactly rounded sums, shared by kernels.

:func:`bloch_and_marginals` sums with :func:`math.fsum`, so its result does not depend
on summation order: kernels that hand it the same amplitudes get the same bits (the
pure-Python kernel always, the NumPy kernel up to :data:`EXACT_MAX_QUBITS`), which keeps
their frames byte-identical.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Any

from qtcore.errors import SimulationError
from qtcore.sim._kernel import Bloch, TopStates

__all__ = ["EXACT_MAX_QUBITS", "bloch_and_marginals", "bloch_qubits", "top_states"]

EXACT_MAX_QUBITS = 12
"""Kernels that sum in their own order above this width use exact sums up to it."""


def _halves(xs: Sequence[Any], q: int) -> tuple[list[Any], list[Any]]:
    """Elements whose index has bit ``q`` clear / set, paired position by position."""
    stride = 1 << q
    block = stride << 1
    size = len(xs)
    lo: list[Any] = []
    hi: list[Any] = []
    if stride >= size // block:
        for start in range(0, size, block):
            lo += xs[start : start + stride]
            hi += xs[start + stride : start + block]
    else:
        for off in range(stride):
            lo += xs[off::block]
            hi += xs[off + stride :: block]
    return lo, hi


def bloch_qubits(n: int, qubits: Sequence[int] | None) -> list[int]:
    """The qubits a ``bloch_and_marginals`` call asks for: all of them for ``None``.

    Raises:
        SimulationError: a repeated qubit or one outside ``[0, n)``.
    """
    if qubits is None:
        return list(range(n))
    qs = [int(q) for q in qubits]
    if len(set(qs)) != len(qs) or any(not 0 <= q < n for q in qs):
        raise SimulationError(f"qubits {qs} are not distinct qubits of {n}")
    return qs


def bloch_and_marginals(
    amps: Sequence[complex], probs: Sequence[float], n: int, qubits: Sequence[int] | None = None
) -> tuple[list[Bloch], list[float]]:
    """Each qubit's (or each of ``qubits``') Bloch vector and P(1) from the amplitudes and
    their probabilities."""
    bloch: list[Bloch] = []
    marginals: list[float] = []
    fsum = math.fsum
    for q in bloch_qubits(n, qubits):
        lo, hi = _halves(amps, q)
        plo, phi = _halves(probs, q)
        p0, p1 = fsum(plo), fsum(phi)
        # rho01 = sum lo * conj(hi): x = 2 Re rho01, y = -2 Im rho01, z = p0 - p1
        x = 2.0 * fsum(a.real * b.real + a.imag * b.imag for a, b in zip(lo, hi))
        y = 2.0 * fsum(a.real * b.imag - a.imag * b.real for a, b in zip(lo, hi))
        bloch.append((x, y, p0 - p1))
        marginals.append(p1)
    return bloch, marginals


def top_states(amps: Sequence[complex], probs: Sequence[float], k: int) -> TopStates:
    """The ``k`` most probable non-zero basis states (ties: lower index first)."""
    # nlargest is stable: equal probabilities keep ascending index order
    idx = heapq.nlargest(k, range(len(probs)), key=probs.__getitem__)
    idx = [i for i in idx if probs[i] > 0.0]
    return idx, [probs[i] for i in idx], [amps[i] for i in idx]
