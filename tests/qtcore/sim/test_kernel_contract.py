"""Every available kernel against the kernel contract (``qtcore.testing.assert_kernel_consistent``).

The helper compares each method with plain-Python references; the broken kernels at
the end show that it notices a wrong sign, a wrong tie order, a wrong random draw
and a missing method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qtcore.ops import Gate
from qtcore.rng import Rng
from qtcore.sim import Kernel, get_kernel
from qtcore.sim._kernel_python import PythonKernel
from qtcore.testing import assert_kernel_consistent


def _numpy(**kwargs: Any) -> Callable[[], Kernel[Any]]:
    def make() -> Kernel[Any]:
        import numpy

        from qtcore.sim._kernel_numpy import NumpyKernel

        if kwargs.get("dtype") == "complex64":
            kwargs["dtype"] = numpy.complex64
        return NumpyKernel(**kwargs)

    return make


@pytest.mark.parametrize(
    ("make", "num_qubits", "atol"),
    [
        pytest.param(PythonKernel, 4, 1e-12, id="python"),
        pytest.param(PythonKernel, 7, 1e-12, id="python-7"),
        pytest.param(_numpy(), 4, 1e-12, id="numpy", marks=pytest.mark.numpy),
        # 2**7 amplitudes in blocks of 64: the blocked reductions and plans
        pytest.param(_numpy(chunk=64), 7, 1e-12, id="numpy-chunk64", marks=pytest.mark.numpy),
        pytest.param(
            _numpy(dtype="complex64"), 4, 2e-6, id="numpy-complex64", marks=pytest.mark.numpy
        ),
    ],
)
def test_kernel_satisfies_the_contract(
    make: Callable[[], Kernel[Any]], num_qubits: int, atol: float
) -> None:
    assert_kernel_consistent(make(), num_qubits=num_qubits, atol=atol)


def test_get_kernel_auto_gives_a_kernel_that_satisfies_the_contract() -> None:
    kernel = get_kernel("auto")
    assert isinstance(kernel, Kernel)
    assert_kernel_consistent(kernel)
    assert get_kernel(kernel) is kernel  # a kernel object passes through


class _WrongBloch(PythonKernel):
    def bloch_and_marginals(self, s: Any, n: int, qubits: Any = None) -> Any:
        bloch, marginals = super().bloch_and_marginals(s, n, qubits)
        return [(x, -y, z) for x, y, z in bloch], marginals


class _SubsetIgnored(PythonKernel):
    """Answers a call for some qubits with every qubit's numbers."""

    def bloch_and_marginals(self, s: Any, n: int, qubits: Any = None) -> Any:
        return super().bloch_and_marginals(s, n)


class _WrongTies(PythonKernel):
    def top_states(self, s: Any, n: int, k: int) -> Any:
        probs = self.probabilities(s)
        idx = sorted(range(len(probs)), key=lambda i: (-probs[i], -i))[:k]
        idx = [i for i in idx if probs[i] > 0]
        return idx, [probs[i] for i in idx], [s[i] for i in idx]


class _WrongDraws(PythonKernel):
    def sample_state(self, s: Any, shots: int, rng: Rng) -> list[int]:
        rng.random()  # one uniform too many: other kernels would draw other outcomes
        return super().sample_state(s, shots, rng)


class _WrongDiagonal(PythonKernel):
    def apply_diagonal(self, s: Any, n: int, d: Any, qubits: Any) -> Any:
        return super().apply_diagonal(s, n, d, list(reversed(qubits)))


class _NoPermutation:
    """Delegates everything except apply_permutation."""

    def __init__(self) -> None:
        self._k = PythonKernel()

    def __getattr__(self, name: str) -> Any:
        if name == "apply_permutation":
            raise AttributeError(name)
        return getattr(self._k, name)


@pytest.mark.parametrize(
    ("kernel", "match"),
    [
        (_WrongBloch(), r"bloch\[\d\]\[y\]"),
        (_SubsetIgnored(), r"bloch_and_marginals\(qubits="),
        (_WrongTies(), "top_states"),
        (_WrongDraws(), "sample_state"),
        (_WrongDiagonal(), "apply_diagonal"),
        (_NoPermutation(), "kernel contract"),
    ],
)
def test_kernel_contract_check_catches_a_broken_kernel(kernel: Any, match: str) -> None:
    with pytest.raises(AssertionError, match=match):
        assert_kernel_consistent(kernel)


def test_python_kernel_window_permutation_rejects_a_window_outside_the_state() -> None:
    from qtcore.errors import SimulationError

    k = PythonKernel()
    with pytest.raises(SimulationError, match="window"):
        k.apply_permutation(k.zeros(3), 3, list(range(8)), 1)
    with pytest.raises(SimulationError, match="window"):
        k.apply_permutation(k.zeros(3), 3, [0, 1, 2], 0)  # not a power of two


def test_kernel_object_with_a_precision_is_refused() -> None:
    from qtcore.errors import SimulationError

    with pytest.raises(SimulationError, match="precision 'single' applies to a backend name"):
        get_kernel(PythonKernel(), "single")
    with pytest.raises(SimulationError, match="or a kernel, got Gate"):
        get_kernel(Gate("x"))  # type: ignore[arg-type]
