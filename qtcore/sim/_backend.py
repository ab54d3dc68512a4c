"""Kernel selection: NumPy when it imports, otherwise pure Python.

``backend="auto"`` picks NumPy when it imports; ``"numpy"`` or ``"python"`` forces one.
The environment variable ``QTCORE_KERNEL`` (``numpy`` or ``python``) overrides
``"auto"``, so a whole test run or page can be pinned to one kernel.
"""

from __future__ import annotations

import os
from typing import Any

from qtcore.errors import SimulationError
from qtcore.sim._kernel import Kernel

__all__ = ["BACKENDS", "PRECISIONS", "get_kernel", "numpy_available"]

BACKENDS = ("auto", "numpy", "python")
PRECISIONS = ("double", "single")
_CACHE: dict[str, Kernel[Any]] = {}


def numpy_available() -> bool:
    """True when NumPy imports in this interpreter."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def get_kernel(backend: str | Kernel[Any] = "auto", precision: str = "double") -> Kernel[Any]:
    """The kernel object for ``backend``.

    Args:
        backend: ``"auto"``, ``"numpy"`` or ``"python"``; or a kernel object, which is
            returned as it is (so a state's own kernel, whatever its precision, can be
            passed on).
        precision: ``"double"`` (complex128) or ``"single"`` (complex64, NumPy only); only
            for a kernel name.

    Raises:
        SimulationError: unknown name, ``"numpy"`` asked where NumPy is missing,
            single precision asked of the pure-Python kernel, or a precision given with
            a kernel object.
    """
    if not isinstance(backend, str):
        if not isinstance(backend, Kernel):
            raise SimulationError(
                f"backend must be one of {BACKENDS} or a kernel, got {type(backend).__name__}"
            )
        if precision != "double":
            raise SimulationError(
                f"precision {precision!r} applies to a backend name, not to the kernel object "
                f"{backend.name!r}, which has its own"
            )
        return backend
    if backend not in BACKENDS:
        raise SimulationError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if precision not in PRECISIONS:
        raise SimulationError(f"unknown precision {precision!r}; choose one of {PRECISIONS}")
    if backend == "auto":
        env = os.environ.get("QTCORE_KERNEL", "").strip().lower()
        if env and env not in ("numpy", "python"):
            raise SimulationError(f"QTCORE_KERNEL must be 'numpy' or 'python', got {env!r}")
        backend = env or ("numpy" if numpy_available() else "python")
    if precision == "single" and backend != "numpy":
        raise SimulationError(
            "single precision needs the NumPy kernel (the pure-Python kernel is complex128 only)"
        )
    key = f"{backend}-{precision}"
    if key in _CACHE:
        return _CACHE[key]
    if backend == "numpy":
        if not numpy_available():
            raise SimulationError("backend 'numpy' requested but NumPy is not installed")
        import numpy as np

        from qtcore.sim._kernel_numpy import NumpyKernel

        kernel: Kernel[Any] = NumpyKernel(np.complex64 if precision == "single" else np.complex128)
    else:
        from qtcore.sim._kernel_python import PythonKernel

        kernel = PythonKernel()
    _CACHE[key] = kernel
    return kernel
