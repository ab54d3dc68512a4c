"""Kernel selection: the fastest kernel this interpreter can run.

``backend="auto"`` picks, under Pyodide, the WebAssembly kernel (when the JavaScript engine
compiles its SIMD128 module), then NumPy, then pure Python; in CPython, NumPy when it
imports, otherwise pure Python. ``"wasm"``, ``"numpy"`` or ``"python"`` forces one. The
environment variable ``QTCORE_KERNEL`` (one of those names) overrides ``"auto"``, so a
whole test run or page can be pinned to one kernel. :func:`available_kernels` says which
kernels run here and, for the others, why not.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from qtcore.errors import SimulationError
from qtcore.sim._kernel import Kernel

__all__ = [
    "BACKENDS",
    "PRECISIONS",
    "available_kernels",
    "get_kernel",
    "numpy_available",
    "qubit_limit",
]

BACKENDS = ("auto", "numpy", "python", "wasm")
PRECISIONS = ("double", "single")
_CACHE: dict[str, Kernel[Any]] = {}
_WASM_ERROR: list[str] = []  # why the wasm kernel cannot run here (found once)


def _wasm_kernel() -> Kernel[Any]:
    """The WebAssembly kernel, instantiated once; raises SimulationError where it cannot run."""
    if "wasm-double" in _CACHE:
        return _CACHE["wasm-double"]
    if _WASM_ERROR:
        raise SimulationError(_WASM_ERROR[0])
    from qtcore.sim._kernel_wasm import WasmKernel, load_pyodide_module

    try:
        kernel: Kernel[Any] = WasmKernel(load_pyodide_module())
    except SimulationError as e:
        _WASM_ERROR.append(str(e))
        raise
    _CACHE["wasm-double"] = kernel
    return kernel


def available_kernels() -> dict[str, str | None]:
    """Each kernel name mapped to ``None`` if it runs here, else the reason it does not.

    What a page shows when it falls back (no WebAssembly SIMD, no NumPy).
    """
    out: dict[str, str | None] = {}
    try:
        _wasm_kernel()
        out["wasm"] = None
    except SimulationError as e:
        out["wasm"] = str(e)
    out["numpy"] = None if numpy_available() else "NumPy is not installed"
    out["python"] = None
    return out


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
        backend: ``"auto"``, ``"wasm"``, ``"numpy"`` or ``"python"``; or a kernel object, which is
            returned as it is (so a state's own kernel, whatever its precision, can be
            passed on).
        precision: ``"double"`` (complex128) or ``"single"`` (complex64, NumPy only); only
            for a kernel name.

    Raises:
        SimulationError: unknown name, ``"numpy"`` asked where NumPy is missing,
            ``"wasm"`` outside Pyodide or where WebAssembly SIMD is missing,
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
        if env and env not in BACKENDS[1:]:
            raise SimulationError(f"QTCORE_KERNEL must be one of {BACKENDS[1:]}, got {env!r}")
        backend = env or _auto(precision)
    if precision == "single" and backend != "numpy":
        raise SimulationError(
            f"single precision needs the NumPy kernel (the {backend} kernel is complex128 only)"
        )
    if backend == "wasm":
        return _wasm_kernel()
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


def _auto(precision: str) -> str:
    if precision == "double" and sys.platform == "emscripten":
        try:
            _wasm_kernel()
            return "wasm"
        except SimulationError:
            pass
    return "numpy" if numpy_available() else "python"


# Bytes per amplitude a run holds at its peak: the state, the initial state copied per
# trajectory, and the probabilities sampled or framed (8 B) ...
_BYTES_PER_AMP = {"wasm": 16 + 16 + 8, "numpy": 16 + 16 + 8, "python": 3 * 40 + 8}
# ... in a pure-Python list each amplitude is a pointer plus a 32-byte complex object.


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def qubit_limit(backend: str | Kernel[Any] = "auto") -> tuple[int, str]:
    """The widest circuit a run may simulate with ``backend`` here, and why.

    Derived from the memory the kernel can use: under Pyodide the WebAssembly address
    space (4 GiB, less where the browser reports less device memory) for the wasm kernel
    and Pyodide's own heap for pure Python; in CPython the machine's physical memory. What
    a page checks before it runs, instead of failing with ``MemoryError``.

    Returns:
        ``(num_qubits, reason)``, the reason a sentence for the user.
    """
    kernel = get_kernel(backend)
    name = kernel.name if kernel.name in _BYTES_PER_AMP else "numpy"
    per_amp = _BYTES_PER_AMP[name]
    cap = 62
    if name == "wasm":
        from qtcore.sim._kernel_wasm import MAX_QUBITS, memory_budget

        budget, where = memory_budget()
        cap = MAX_QUBITS
    elif sys.platform == "emscripten":
        budget, where = 2 << 30, "Pyodide's 2 GiB heap"
    else:
        phys = _physical_memory()
        budget, where = (phys, "this machine's memory") if phys else (4 << 30, "an assumed 4 GiB")
    n = min(cap, max(1, (budget // per_amp).bit_length() - 1))
    return n, (
        f"at most {n} qubits with the {kernel.name} kernel: 2^n amplitudes at {per_amp} bytes "
        f"each (the state, a copy and its probabilities) must fit in {where}"
    )
