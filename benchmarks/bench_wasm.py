"""The WebAssembly kernel against the pure-Python kernel (both under Pyodide in Node.js) and
qtcore's NumPy kernel in CPython, in the same run, on the same machine.

The CPython process times ``simulate(circuit, backend="numpy")``, then starts Pyodide
(``node build/pyodide_run.mjs --wheel``, the built wheel with its ``.wasm``) running this
file with ``--child``, which times ``backend="wasm"`` and ``backend="python"`` (the latter up
to ``--python-max`` qubits: above, it takes minutes) and prints JSON. Each time is the best
of ``--reps`` runs of ``simulate`` from circuit to final state. The wasm state is checked
against NumPy's (amplitudes at 64 spread indices, |diff| < 1e-10): a wrong result fails
the run. A second table times the frame player's work: every frame of an 80-gate random
circuit (``iter_frames``), wasm (best of ``--reps``) against pure Python (one run: it takes
seconds) under Pyodide. The load average is printed before and after.

Usage::

    python benchmarks/bench_wasm.py                 # n = 10 12 14 16 18 20
    python benchmarks/bench_wasm.py --small         # n = 8 10 (CI)
    python benchmarks/bench_wasm.py --sizes 14 16 --families rand
    python benchmarks/bench_wasm.py --wheel /tmp/before.whl   # an older build, to compare
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "QTCORE_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
if sys.platform != "emscripten":
    sys.path.insert(0, str(ROOT))

from bench_statevector import FAMILIES, pure_circuit, to_qtcore  # noqa: E402

from qtcore import simulate  # noqa: E402
from qtcore.frames import iter_frames  # noqa: E402

DEFAULT_SIZES = [10, 12, 14, 16, 18, 20]
SMALL_SIZES = [8, 10]
FRAME_SIZES = [10, 12, 14, 16]
SMALL_FRAME_SIZES = [8]


def _probe(n: int) -> list[int]:
    return sorted({(i * 2654435761) % (1 << n) for i in range(64)})


def _best(fn: Any, reps: int) -> tuple[float, Any]:
    """Best of ``reps`` timed runs after one untimed warm-up (JIT, caches)."""
    best, out = math.inf, fn()
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _run(family: str, n: int, backend: str, reps: int) -> tuple[float, Any]:
    c = to_qtcore(n, FAMILIES[family](n))
    return _best(lambda: simulate(c, backend=backend).state, reps)


def child(
    sizes: list[int], families: list[str], reps: int, python_max: int, frames: list[int]
) -> None:
    """Under Pyodide: times the wasm and pure-Python kernels, prints one JSON object."""
    out: dict[str, Any] = {"runs": [], "frames": []}
    for family in families:
        for n in sizes:
            t_wasm, state = _run(family, n, "wasm", reps)
            assert state.kernel.name == "wasm"
            amps = state.to_list()
            probe = [[amps[i].real, amps[i].imag] for i in _probe(n)]
            t_py = _run(family, n, "python", reps)[0] if n <= python_max else None
            out["runs"].append(
                {"family": family, "n": n, "wasm": t_wasm, "python": t_py, "probe": probe}
            )
            print(f"# {family} n={n} done", file=sys.stderr, flush=True)
    for n in frames:
        c = pure_circuit(n, 80, 11)
        row: dict[str, Any] = {"n": n}
        for backend in ("wasm", "python"):
            if backend == "python" and n > python_max:
                row[backend] = None
                continue
            # wasm: best of ``reps`` like the runs; pure Python (seconds per run): one run
            reps_here = reps if backend == "wasm" else 1
            row[backend] = _best(
                lambda b=backend, c=c: list(iter_frames(c, seed=1, backend=b)), reps_here
            )[0]
        out["frames"].append(row)
    print("BENCH_JSON " + json.dumps(out), flush=True)


def _fmt(t: float | None) -> str:
    """Milliseconds, to the microsecond below 10 ms (a GHZ(10) run takes ~20 us)."""
    if t is None:
        return "—"
    return f"{t * 1e3:.3f}" if t < 0.01 else f"{t * 1e3:.1f}"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"# load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--small", action="store_true", help="n = 8 10 (CI)")
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--families", nargs="+", choices=sorted(FAMILIES), default=list(FAMILIES))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--python-max", type=int, default=14, help="widest pure-Python run")
    ap.add_argument("--frames", type=int, nargs="*", help="widths of the frames table")
    ap.add_argument(
        "--wheel", help="the qtcore wheel to run under Pyodide (default: newest in dist/)"
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sizes = args.sizes or (SMALL_SIZES if args.small else DEFAULT_SIZES)
    frames = (
        args.frames
        if args.frames is not None
        else (SMALL_FRAME_SIZES if args.small else FRAME_SIZES)
    )
    if args.child:
        child(sizes, args.families, args.reps, args.python_max, frames)
        return 0
    import numpy as np

    cmd = ["node", str(ROOT / "build" / "pyodide_run.mjs"), "--wheel"]
    cmd += [str(Path(args.wheel).resolve())] if args.wheel else []
    cmd += [__file__, "--child"]
    cmd += ["--sizes", *map(str, sizes), "--families", *args.families]
    cmd += ["--reps", str(args.reps), "--python-max", str(args.python_max)]
    cmd += ["--frames", *map(str, frames)]
    print(
        f"# numpy {np.__version__} single thread (CPython {sys.version.split()[0]}); "
        f"Pyodide in Node.js from {args.wheel or 'the built wheel'}; best of {args.reps}; "
        "times in ms"
    )
    print(_load(), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        print(proc.stdout[-3000:] + proc.stderr[-3000:], file=sys.stderr)
        return 2
    data = json.loads(line[len("BENCH_JSON ") :])
    failures = 0
    print(
        f"{'family':<7}{'n':>4}{'wasm':>11}{'py(pyodide)':>13}{'numpy(CPy)':>12}"
        f"{'py/wasm':>10}{'wasm/numpy':>12}  check"
    )
    for run in data["runs"]:
        family, n = run["family"], run["n"]
        t_np, state = _run(family, n, "numpy", args.reps)
        amps = state.to_list()
        diff = max(abs(complex(*z) - amps[i]) for z, i in zip(run["probe"], _probe(n), strict=True))
        ok = diff < 1e-10
        failures += not ok
        py = run["python"]
        ratio_py = "—" if py is None else f"{py / run['wasm']:.0f}x"
        print(
            f"{family:<7}{n:>4}{_fmt(run['wasm']):>11}{_fmt(py):>13}{_fmt(t_np):>12}"
            f"{ratio_py:>10}{run['wasm'] / t_np:>11.2f}x  {'ok' if ok else 'DIFF'} {diff:.0e}"
        )
    if data["frames"]:
        print("\n# every frame of an 80-gate random circuit (iter_frames), Pyodide in Node.js")
        print(f"{'n':>4}{'wasm':>11}{'py(pyodide)':>13}{'py/wasm':>10}")
        for row in data["frames"]:
            py = row["python"]
            ratio = "—" if py is None else f"{py / row['wasm']:.0f}x"
            print(f"{row['n']:>4}{_fmt(row['wasm']):>11}{_fmt(py):>13}{ratio:>10}")
    print(_load())
    if failures:
        print(f"{failures} wasm result(s) disagree with the NumPy kernel", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
