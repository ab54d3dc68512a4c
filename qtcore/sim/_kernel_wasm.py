"""The WebAssembly state-vector kernel: qtcore's C kernel with SIMD128, under Pyodide.

The state lives in the module's own linear memory (``2**n`` complex doubles, qubit ``q``
= bit ``q`` of the index); Python holds a :class:`WasmState` handle and copies out only
what it asks for (probabilities to sample, the amplitudes or summary a frame shows, each
qubit's Bloch vector). One call per operation: matrices, diagonals and qubit lists are
written into a scratch area of the same memory first. A circuit's compiled program stays
in that memory, and a run of it from a fresh basis state is one call (``qt_exec``), which
starts sparsely instead of sweeping the zeros; dropped states are kept for the next one of
their width (no allocation call per run).

The module is ``qtcore/sim/_qtkernel.wasm``, compiled from ``kernels/wasm/qtkernel.c``
by ``make wheel`` (clang for ``wasm32`` with ``-msimd128``; no Emscripten runtime, no
imports) and shipped inside the wheel. Under Pyodide it is instantiated once through
the ``js`` module (:class:`PyodideModule`). The same C file also builds as a native
shared library, loaded with :mod:`ctypes` (:class:`NativeModule`), which is how CPython's
tests check this kernel's Python side and its C code without a browser.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from qtcore.errors import SimulationError
from qtcore.ops import Gate
from qtcore.ops._matrix import Matrix
from qtcore.rng import Rng
from qtcore.sim._kernel import Bloch, FusionProfile, Kernel, TopStates
from qtcore.sim._reduce import bloch_qubits

__all__ = [
    "MAX_QUBITS",
    "WASM_FILE",
    "WASM_FUSION",
    "NativeModule",
    "PyodideModule",
    "WasmKernel",
    "WasmModule",
    "WasmState",
    "load_pyodide_module",
    "memory_budget",
]

WASM_FILE = "_qtkernel.wasm"
"""The module's file name inside the ``qtcore.sim`` package."""

MAX_QUBITS = 27
"""Widest state: ``2**27`` complex doubles are 2 GiB of the 4 GiB wasm32 address space."""

_MAX_K = 12  # widest matrix, diagonal or permutation table in one call (C: MAX_K)

WASM_FUSION = FusionProfile(
    min_qubits=14,
    # relative cost of one pass of width w: a gather, 2**w complex products per amplitude
    dense_cost={1: 10.0, 2: 12.0, 3: 16.0, 4: 24.0, 5: 42.0, 6: 80.0},
    diagonal_cost=8.0,
    permutation_cost=8.0,
    max_span=6,
    perm_max_width=10,
    perm_gather_bits=30,  # every window is one gather per base (the C loop)
    perm_run_bits=30,
    max_op_qubits=_MAX_K,
)
"""How gate fusion would group gates for this kernel (``fuse(..., WASM_FUSION)``); the
kernel itself declares no fusion (see :class:`WasmKernel`)."""

# Exported functions: name -> (result, arguments); p = pointer, u = uint32, d = double.
SIGNATURES: dict[str, tuple[str, str]] = {
    "qt_alloc": ("p", "u"),
    "qt_free": ("", "p"),
    "qt_memory_bytes": ("d", ""),
    "qt_apply_dense": ("", "puppuu"),
    "qt_apply_diagonal": ("", "puppuu"),
    "qt_apply_permutation": ("", "puppuu"),
    "qt_scale": ("", "pudd"),
    "qt_copy": ("", "ppu"),
    "qt_basis_state": ("", "puu"),
    "qt_prob_one": ("d", "puu"),
    "qt_collapse": ("", "puuud"),
    "qt_norm_sq": ("d", "pu"),
    "qt_inner": ("", "ppup"),
    "qt_probabilities": ("", "pup"),
    "qt_sample": ("", "pupupp"),
    "qt_marginal": ("", "pupup"),
    "qt_reduced_density_matrix": ("", "pupup"),
    "qt_bloch": ("", "pup"),
    "qt_bloch_qubits": ("", "pupup"),
    "qt_top_states": ("u", "puupp"),
    "qt_gather": ("", "ppup"),
    "qt_run": ("u", "pupu"),
    "qt_prepare": ("u", "upu"),
    "qt_exec": ("", "pupuu"),
}

_NOT_FRESH = 0xFFFFFFFF  # qt_exec's `fresh` when the state is already written


class WasmModule(Protocol):
    """A loaded kernel module: its functions and its memory."""

    def function(self, name: str) -> Callable[..., Any]:
        """The exported function ``name`` (pointers are plain ints)."""
        ...

    def read(self, ptr: int, nbytes: int) -> bytes:
        """``nbytes`` bytes of the module's memory from ``ptr``."""
        ...

    def write(self, ptr: int, data: bytes) -> None:
        """Copies ``data`` into the module's memory at ``ptr``."""
        ...

    def grew(self) -> None:
        """Called after every allocation (which may have grown the memory)."""
        ...


class PyodideModule:
    """The ``.wasm`` module instantiated by the JavaScript engine Pyodide runs in."""

    def __init__(self, wasm: bytes) -> None:
        import js  # type: ignore[import-not-found]
        from pyodide.ffi import to_js  # type: ignore[import-not-found]

        self._js = js
        module = js.WebAssembly.Module.new(to_js(wasm))  # raises where SIMD is unsupported
        self._exports = js.WebAssembly.Instance.new(module).exports
        self._memory = self._exports.memory
        self._functions: dict[str, Callable[..., Any]] = {}
        self._views: dict[tuple[int, int], Any] = {}
        self._memory_bytes = self._exports.qt_memory_bytes
        self._size = self._memory_bytes()
        self._stale = False

    def function(self, name: str) -> Callable[..., Any]:
        got = self._functions.get(name)
        if got is None:
            raw = getattr(self._exports, name)
            if SIGNATURES[name][0] == "p":  # i32 results come back signed

                def got(*args: Any, _raw: Any = raw) -> int:
                    return int(_raw(*args)) & 0xFFFFFFFF

            else:
                got = raw
            self._functions[name] = got
        return got

    def _view(self, ptr: int, nbytes: int) -> Any:
        """A Uint8Array over ``[ptr, ptr + nbytes)``, cached: creating one costs ~50 us
        through the FFI, assigning into a cached one ~2 us."""
        if self._stale:
            self._stale = False
            size = self._memory_bytes()
            if size != self._size:
                self._size = size
                self._views.clear()
        key = (ptr, nbytes)
        view = self._views.get(key)
        if view is None:
            if len(self._views) >= 256:
                self._views.clear()
            view = self._views[key] = self._js.Uint8Array.new(self._memory.buffer, ptr, nbytes)
        return view

    def grew(self) -> None:
        """Notes that the memory may have grown: the next read or write forgets every view
        if it did (growing replaces, detaches, the buffer they cover). Checked then, not
        now: a run that reads nothing back makes one call into the module, not two. Most
        allocations reuse freed blocks, and a view costs ~50 us to make."""
        self._stale = True

    def read(self, ptr: int, nbytes: int) -> bytes:
        return bytes(self._view(ptr, nbytes).to_bytes())

    def write(self, ptr: int, data: bytes) -> None:
        if data:
            self._view(ptr, len(data)).assign(data)


class NativeModule:
    """The same C kernel built as a native shared library, loaded with :mod:`ctypes`."""

    def __init__(self, path: str) -> None:
        import ctypes

        self._ctypes = ctypes
        self._lib = ctypes.CDLL(path)
        codes = {"p": ctypes.c_size_t, "u": ctypes.c_uint32, "d": ctypes.c_double, "": None}
        for name, (res, args) in SIGNATURES.items():
            fn = getattr(self._lib, name)
            fn.restype = codes[res]
            fn.argtypes = [codes[a] for a in args]

    def function(self, name: str) -> Callable[..., Any]:
        return getattr(self._lib, name)  # type: ignore[no-any-return]

    def grew(self) -> None:
        """Nothing to forget: native memory never moves."""

    def read(self, ptr: int, nbytes: int) -> bytes:
        return self._ctypes.string_at(ptr, nbytes)

    def write(self, ptr: int, data: bytes) -> None:
        self._ctypes.memmove(ptr, data, len(data))


def load_pyodide_module() -> PyodideModule:
    """Instantiates the packaged ``.wasm`` module (under Pyodide only).

    Raises:
        SimulationError: not under Pyodide, the module is not in this build of qtcore,
            or the JavaScript engine cannot compile it (no WebAssembly SIMD).
    """
    if sys.platform != "emscripten":
        raise SimulationError(
            "backend 'wasm' runs under Pyodide (it calls WebAssembly through the js "
            "module); in CPython use 'numpy' or 'python'"
        )
    from importlib import resources

    try:
        wasm = resources.files("qtcore.sim").joinpath(WASM_FILE).read_bytes()
    except FileNotFoundError:
        raise SimulationError(
            f"this build of qtcore has no WebAssembly kernel (qtcore/sim/{WASM_FILE}); "
            "build the wheel with `make wheel`"
        ) from None
    try:
        return PyodideModule(wasm)
    except Exception as e:  # a JsException: CompileError where SIMD128 is missing
        raise SimulationError(
            f"this JavaScript engine cannot compile qtcore's WebAssembly kernel "
            f"(it needs WebAssembly SIMD): {e}"
        ) from None


def memory_budget() -> tuple[int, str]:
    """Bytes the kernel's memory may grow to, and a phrase naming the limit.

    The wasm32 address space (4 GiB), or half the device memory the browser reports
    (``navigator.deviceMemory``, in GiB) if that is less.
    """
    budget, where = 4 << 30, "the 4 GiB WebAssembly address space"
    if sys.platform == "emscripten":
        try:
            import js  # type: ignore[import-not-found]

            gib = float(getattr(js.navigator, "deviceMemory", 0) or 0)
        except Exception:  # no navigator (Node.js): the address space is the limit
            gib = 0.0
        if gib and gib * (1 << 30) / 2 < budget:
            budget = int(gib * (1 << 30) / 2)
            where = f"half of the {gib:g} GiB of memory this browser reports"
    return budget, where


class WasmState:
    """A state in the module's memory: ``2**n`` complex doubles.

    A fresh basis state (:meth:`WasmKernel.basis_state`) is not written until it is first
    used: a compiled run (:meth:`WasmKernel.run_compiled`) starts from it sparsely, any
    other use (``ptr``) writes it out first. Returned to the kernel when the handle is
    garbage-collected. Opaque to everyone but :class:`WasmKernel`.
    """

    __slots__ = ("__weakref__", "_fresh", "_kernel", "_ptr", "n")

    def __init__(self, ptr: int, n: int, kernel: WasmKernel, fresh: int = -1) -> None:
        self._ptr = ptr
        self.n = n
        self._kernel = kernel
        self._fresh = fresh

    @property
    def ptr(self) -> int:
        """Where the amplitudes are, written out first if the state is still fresh."""
        if self._fresh >= 0:
            self._kernel._fn["qt_basis_state"](self._ptr, self.n, self._fresh)
            self._fresh = -1
        return self._ptr

    def __del__(self) -> None:
        ptr, self._ptr = self._ptr, 0
        if ptr:
            self._kernel._release(ptr, self.n)

    def __repr__(self) -> str:
        return f"<WasmState of {self.n} qubits at {self._ptr:#x}>"


class _Program:
    """A compiled gate list, prepared (``qt_prepare``) in the module's memory once and run
    from there by ``qt_exec`` as often as asked: a run copies nothing into the module."""

    __slots__ = ("_free", "count", "n", "ptr")

    def __init__(self, ptr: int, n: int, count: int, free: Callable[[int], Any]) -> None:
        self.ptr = ptr
        self.n = n
        self.count = count
        self._free = free

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, 0
        if ptr:
            self._free(ptr)


_POOL_MAX_QUBITS = 20
"""Widest state the kernel keeps for reuse when it is dropped (16 MiB)."""

_OPCODES = {"qt_apply_dense": 0, "qt_apply_diagonal": 1, "qt_apply_permutation": 2}


def _record(fn: str, data: bytes, targets: Sequence[int], cmask: int) -> bytes:
    """One operation of a program for ``qt_run``: a 16-byte header (opcode, k, control
    mask, record size), the targets, then ``data``, each part padded to 16 bytes."""
    k = len(targets)
    head = _u32(targets) + bytes(-4 * k % 16)
    size = 16 + len(head) + len(data) + (-len(data) % 16)
    return _u32((_OPCODES[fn], k, cmask, size)) + head + data + bytes(-len(data) % 16)


def _u32(values: Sequence[int]) -> bytes:
    return array("I", [int(v) for v in values]).tobytes()


def _complex_bytes(values: Any) -> bytes:
    """Little-endian complex128 bytes of a flat sequence or an array of complex numbers."""
    if hasattr(values, "dtype"):  # a NumPy array (gate fusion)
        import numpy as np

        return np.ascontiguousarray(values, dtype="<c16").tobytes()
    out = array("d")
    for z in values:
        z = complex(z)
        out.append(z.real)
        out.append(z.imag)
    return out.tobytes()


def _complexes(data: bytes) -> list[complex]:
    a = array("d")
    a.frombytes(data)
    return list(map(complex, a[0::2], a[1::2]))


def _doubles(data: bytes) -> list[float]:
    a = array("d")
    a.frombytes(data)
    return a.tolist()


class WasmKernel:
    """State-vector operations on :class:`WasmState` handles, run by the C kernel."""

    name = "wasm"

    def __init__(self, module: WasmModule) -> None:
        if array("I").itemsize != 4 or sys.byteorder != "little":
            raise SimulationError("the wasm kernel needs 4-byte unsigned ints, little-endian")
        self.module = module
        fn = module.function
        self._alloc = fn("qt_alloc")
        self._free = fn("qt_free")
        self._fn = {name: fn(name) for name in SIGNATURES}
        self._scratch = 0
        self._scratch_size = 0
        # Freed states kept for the next state of the same width (up to _POOL_MAX_QUBITS):
        # a page or a benchmark runs circuit after circuit, each allocating one state and
        # dropping the last; reusing it saves two calls into the module per run.
        self._pool: dict[int, list[int]] = {}
        self._gates: dict[tuple[Any, ...], bytes] = {}
        # No gate fusion, with or without NumPy: a circuit's gates go to the kernel as one
        # program (apply_gates), which merges one-qubit runs, sweeps runs of phases once
        # and blocks runs on low qubits itself. Measured (native build, CPU time, 20
        # qubits): the program beats the fused path 9x on RAND, 2x on QFT and 4x on GHZ,
        # and beats NumPy's fused kernel; this kernel's dense k-qubit passes (k >= 3)
        # cost more than the gates they replace. WASM_FUSION stays for fuse() callers.
        self._fusion: FusionProfile | None = None

    @property
    def fusion(self) -> FusionProfile | None:
        """``None``: the kernel runs gate lists as programs instead (see ``__init__``)."""
        return self._fusion

    # ------------------------------------------------------------ memory
    def _allocate(self, nbytes: int, what: str) -> int:
        ptr = int(self._alloc(nbytes)) if nbytes < 1 << 32 else 0
        if not ptr and any(self._pool.values()):  # give the kept states back, then retry
            self._drain_pool()
            ptr = int(self._alloc(nbytes)) if nbytes < 1 << 32 else 0
        self.module.grew()
        if not ptr:
            raise SimulationError(
                f"the WebAssembly kernel cannot grow its memory by {nbytes / 2**20:.0f} MiB "
                f"for {what}"
            )
        return ptr

    def _scratch_for(self, nbytes: int) -> int:
        if nbytes > self._scratch_size:
            if self._scratch:
                self._free(self._scratch)
                self._scratch = 0
            size = max(nbytes, 1 << 16)
            self._scratch = self._allocate(size, "scratch")
            self._scratch_size = size
        return self._scratch

    def _put(self, *parts: bytes | int) -> list[int]:
        """Lays ``parts`` out one after another (16-byte aligned) in scratch; their pointers.

        A ``bytes`` part is written; an ``int`` part only reserves that many bytes for the
        kernel to fill (output areas: writing zeros there would cost a copy through the
        FFI for nothing). Reserved parts come after every written one.
        """
        offsets: list[int] = []
        written: list[bytes] = []
        at = 0
        for p in parts:
            offsets.append(at)
            size = p if isinstance(p, int) else len(p)
            if not isinstance(p, int):
                assert len(written) == len(offsets) - 1, "reserved parts come last"
                written.append(p + bytes(-size % 16))
            at += (size + 15) & ~15
        base = self._scratch_for(at)
        if written:
            self.module.write(base, b"".join(written))
        return [base + o for o in offsets]

    def _new(self, n: int, fresh: int = -1) -> WasmState:
        if not 0 <= n <= MAX_QUBITS:
            raise SimulationError(
                f"the wasm kernel holds 0 to {MAX_QUBITS} qubits (wasm32 memory), got {n}"
            )
        kept = self._pool.get(n)
        ptr = kept.pop() if kept else self._allocate(16 << n, f"a state of {n} qubits")
        return WasmState(ptr, n, self, fresh)

    def _release(self, ptr: int, n: int) -> None:
        """Takes back a dropped state's memory: kept for the next state of its width (one
        per width up to _POOL_MAX_QUBITS), else freed."""
        kept = self._pool.setdefault(n, [])
        if n <= _POOL_MAX_QUBITS and not kept:
            kept.append(ptr)
        else:
            self._free(ptr)

    def _drain_pool(self) -> None:
        for kept in self._pool.values():
            while kept:
                self._free(kept.pop())

    # ------------------------------------------------------------ construction
    def num_qubits(self, s: WasmState) -> int:
        return s.n

    def zeros(self, n: int) -> WasmState:
        return self.basis_state(n, 0)

    def basis_state(self, n: int, index: int) -> WasmState:
        if not 0 <= index < 1 << n:
            raise SimulationError(f"basis index {index} out of range for {n} qubits")
        if not 0 <= n <= MAX_QUBITS:
            self._new(n)  # raises
        return self._new(n, index)  # written when first used (see WasmState)

    def from_amplitudes(self, amps: Sequence[complex]) -> WasmState:
        data = _complex_bytes(amps)
        count = len(data) // 16
        n = count.bit_length() - 1
        if count != 1 << n:
            raise SimulationError(f"a state needs 2**n amplitudes, got {count}")
        s = self._new(n)
        self.module.write(s.ptr, data)
        return s

    def copy(self, s: WasmState) -> WasmState:
        if s._fresh >= 0:
            return self._new(s.n, s._fresh)
        out = self._new(s.n)
        self._fn["qt_copy"](out._ptr, s.ptr, s.n)
        return out

    def to_list(self, s: WasmState) -> list[complex]:
        return _complexes(self.module.read(s.ptr, 16 << s.n))

    # ------------------------------------------------------------ gates
    def _targets(self, n: int, qubits: Sequence[int]) -> list[int]:
        qs = [int(q) for q in qubits]
        if len(qs) > _MAX_K:
            raise SimulationError(
                f"the wasm kernel applies operations on at most {_MAX_K} qubits, got {len(qs)}"
            )
        if len(set(qs)) != len(qs) or any(not 0 <= q < n for q in qs):
            raise SimulationError(f"qubits {qs} are not distinct qubits of {n}")
        return qs

    def _call(
        self, fn: str, s: WasmState, n: int, data: bytes, targets: Sequence[int], cmask: int = 0
    ) -> WasmState:
        return self._run(s, n, [_record(fn, data, targets, cmask)])

    def _run(self, s: WasmState, n: int, records: Sequence[bytes]) -> WasmState:
        """Runs program records (see ``_record``) on ``s`` in one call into the module,
        copied into scratch (``qt_run`` may rewrite the records it merges)."""
        if not records:
            return s
        prog = b"".join(records)
        base = self._scratch_for(len(prog))
        self.module.write(base, prog)
        done = int(self._fn["qt_run"](s.ptr, n, base, len(records)))
        if done != len(records):  # pragma: no cover - records are built by _record
            raise SimulationError(f"the wasm kernel rejected program record {done}")
        return s

    def run_compiled(self, s: WasmState, n: int, program: object) -> WasmState:
        """Runs a program from :meth:`compile_gates` on ``s``: one call into the module.

        A fresh basis state is not written first: the program starts from it sparsely
        (``qt_exec``), so a run's first gates touch only the amplitudes they make.
        """
        prog = cast("_Program", program)
        if prog.n != n:
            raise SimulationError(f"a program compiled for {prog.n} qubits run on {n}")
        if prog.count:
            fresh, s._fresh = s._fresh, -1
            start = _NOT_FRESH if fresh < 0 else fresh
            self._fn["qt_exec"](s._ptr, n, prog.ptr, prog.count, start)
        return s

    def _prepared(self, n: int, gate: Gate, qubits: Sequence[int]) -> bytes:
        """The program record of ``gate`` on ``qubits``, cached (the simulator applies the
        same few gates over and over)."""
        key = (type(gate), gate, tuple(qubits), n)
        got = self._gates.get(key)
        if got is None:
            qs = self._targets(n, qubits)
            nc = gate.num_controls
            base = gate.base_matrix()
            dim = len(base)
            if gate.structure == "diagonal":
                fn, data = "qt_apply_diagonal", _complex_bytes(base[i][i] for i in range(dim))
            elif gate.structure == "permutation":
                src = [next(c for c in range(dim) if base[r][c] != 0) for r in range(dim)]
                fn, data = "qt_apply_permutation", _u32(src)
            else:
                fn, data = "qt_apply_dense", _complex_bytes(z for row in base for z in row)
            got = _record(fn, data, qs[nc:], sum(1 << c for c in qs[:nc]))
            if len(self._gates) >= 4096:
                self._gates.clear()
            self._gates[key] = got
        return got

    def apply_gate(self, s: WasmState, n: int, gate: Gate, qubits: Sequence[int]) -> WasmState:
        return self._run(s, n, [self._prepared(n, gate, qubits)])

    def apply_gates(
        self, s: WasmState, n: int, gates: Iterable[tuple[Gate, Sequence[int]]]
    ) -> WasmState:
        """Applies ``(gate, qubits)`` pairs in order, as one program: one call into the
        module for the whole run instead of one per gate."""
        prepared = self._prepared
        return self._run(s, n, [prepared(n, g, qs) for g, qs in gates])

    def compile_gates(self, n: int, gates: Iterable[tuple[Gate, Sequence[int]]]) -> object:
        """The program of ``(gate, qubits)`` pairs, prepared in the module's memory for
        ``n``-qubit states (freed with the returned handle)."""
        prepared = self._prepared
        records = [prepared(n, g, qs) for g, qs in gates]
        if not records:
            return _Program(0, n, 0, self._free)
        prog = b"".join(records)
        ptr = self._allocate(len(prog), "a program")
        program = _Program(ptr, n, len(records), self._free)
        self.module.write(ptr, prog)
        done = int(self._fn["qt_prepare"](n, ptr, len(records)))
        if done != len(records):  # pragma: no cover - records are built by _record
            raise SimulationError(f"the wasm kernel rejected program record {done}")
        return program

    def apply_matrix(self, s: WasmState, n: int, m: Any, qubits: Sequence[int]) -> WasmState:
        """Applies a (not necessarily unitary) matrix on ``qubits`` (first = LSB)."""
        qs = self._targets(n, qubits)
        dim = 1 << len(qs)
        if hasattr(m, "dtype"):
            data = _complex_bytes(m)
        else:
            rows = [list(r) for r in m]
            if len(rows) != dim or any(len(r) != dim for r in rows):
                raise SimulationError(f"a matrix on {len(qs)} qubits must be {dim}x{dim}")
            data = _complex_bytes(z for r in rows for z in r)
        if len(data) != 16 * dim * dim:
            raise SimulationError(f"a matrix on {len(qs)} qubits must be {dim}x{dim}")
        return self._call("qt_apply_dense", s, n, data, qs)

    def apply_diagonal(self, s: WasmState, n: int, d: Any, qubits: Sequence[int]) -> WasmState:
        """Multiplies by the diagonal ``d`` (length ``2**k``) on ``qubits`` (first = LSB)."""
        qs = self._targets(n, qubits)
        data = _complex_bytes(d)
        if len(data) != 16 << len(qs):
            raise SimulationError(f"a diagonal on {len(qs)} qubits has {1 << len(qs)} entries")
        return self._call("qt_apply_diagonal", s, n, data, qs)

    def apply_permutation(self, s: WasmState, n: int, src: Any, lo: int) -> WasmState:
        """Moves amplitudes within the window ``[lo, lo + w)``: ``new[i] = old[src[i]]``."""
        table = [int(x) for x in src]
        w = len(table).bit_length() - 1
        if len(table) != 1 << w or lo + w > n or lo < 0:
            raise SimulationError(f"window [{lo}, {lo + w}) does not fit {n} qubits")
        if sorted(table) != list(range(1 << w)):
            raise SimulationError("a permutation table must hold each index of its window once")
        targets = self._targets(n, range(lo, lo + w))
        return self._call("qt_apply_permutation", s, n, _u32(table), targets)

    def scale(self, s: WasmState, factor: complex) -> WasmState:
        f = complex(factor)
        self._fn["qt_scale"](s.ptr, s.n, f.real, f.imag)
        return s

    # ------------------------------------------------------------ measurement
    def prob_one(self, s: WasmState, n: int, q: int) -> float:
        return float(self._fn["qt_prob_one"](s.ptr, n, q))

    def collapse(self, s: WasmState, n: int, q: int, outcome: int, prob: float) -> WasmState:
        self._fn["qt_collapse"](s.ptr, n, q, 1 if outcome else 0, 1.0 / math.sqrt(prob))
        return s

    def sample_state(self, s: WasmState, shots: int, rng: Rng) -> list[int]:
        us = rng.randoms(shots)
        if not shots:
            return []
        pu, order, out = self._put(array("d", us).tobytes(), 4 * shots, 4 * shots)
        self._fn["qt_sample"](s.ptr, s.n, pu, shots, order, out)
        got = array("I")
        got.frombytes(self.module.read(out, 4 * shots))
        return got.tolist()

    # ------------------------------------------------------------ queries
    def norm_sq(self, s: WasmState) -> float:
        return float(self._fn["qt_norm_sq"](s.ptr, s.n))

    def inner(self, a: WasmState, b: WasmState) -> complex:
        if a.n != b.n:
            raise SimulationError(f"inner product of {a.n}- and {b.n}-qubit states")
        (out,) = self._put(16)
        self._fn["qt_inner"](a.ptr, b.ptr, a.n, out)
        re, im = _doubles(self.module.read(out, 16))
        return complex(re, im)

    def probabilities(self, s: WasmState) -> list[float]:
        out = self._scratch_for(8 << s.n)
        self._fn["qt_probabilities"](s.ptr, s.n, out)
        return _doubles(self.module.read(out, 8 << s.n))

    def marginal(self, s: WasmState, n: int, qargs: Sequence[int]) -> list[float]:
        qs = self._targets(n, qargs)
        pq, out = self._put(_u32(qs), 8 << len(qs))
        self._fn["qt_marginal"](s.ptr, n, pq, len(qs), out)
        return _doubles(self.module.read(out, 8 << len(qs)))

    def reduced_density_matrix(self, s: WasmState, n: int, qargs: Sequence[int]) -> Matrix:
        qs = self._targets(n, qargs)
        dim = 1 << len(qs)
        pq, out = self._put(_u32(qs), 16 * dim * dim)
        self._fn["qt_reduced_density_matrix"](s.ptr, n, pq, len(qs), out)
        flat = _complexes(self.module.read(out, 16 * dim * dim))
        return tuple(tuple(flat[r * dim : (r + 1) * dim]) for r in range(dim))

    # ------------------------------------------------------------ frames
    def bloch_and_marginals(
        self, s: WasmState, n: int, qubits: Sequence[int] | None = None
    ) -> tuple[list[Bloch], list[float]]:
        """Each qubit's (or each of ``qubits``') Bloch vector and P(1), in one call (exact
        sums up to 12 qubits; a qubit's numbers do not depend on which others are asked)."""
        if qubits is None:
            out = self._scratch_for(32 * max(n, 1))
            self._fn["qt_bloch"](s.ptr, n, out)
            k = n
        else:
            qs = bloch_qubits(n, qubits)
            k = len(qs)
            pq, out = self._put(_u32(qs), 32 * max(k, 1))
            self._fn["qt_bloch_qubits"](s.ptr, n, pq, k, out)
        v = _doubles(self.module.read(out, 32 * k))
        bloch = [(v[i], v[i + 1], v[i + 2]) for i in range(0, 4 * k, 4)]
        return bloch, v[3::4]

    def top_states(self, s: WasmState, n: int, k: int) -> TopStates:
        """The ``k`` most probable non-zero basis states (ties: lower index first)."""
        k = min(k, 1 << n)
        if k <= 0:
            return [], [], []
        pidx, ppr, pamp = self._put(4 * k, 8 * k, 16 * k)
        count = int(self._fn["qt_top_states"](s.ptr, n, k, pidx, ppr))
        self._fn["qt_gather"](s.ptr, pidx, count, pamp)
        idx = array("I")
        idx.frombytes(self.module.read(pidx, 4 * count))
        return (
            idx.tolist(),
            _doubles(self.module.read(ppr, 8 * count)),
            _complexes(self.module.read(pamp, 16 * count)),
        )


if TYPE_CHECKING:  # mypy checks that the class implements the kernel contract
    _CONTRACT: Kernel[WasmState] = WasmKernel(NativeModule(""))
