"""The ``python -m qtcore`` command line.

Subcommands::

    run FILE        run an OpenQASM file (.qasm) or a scenario file (.toml/.json)
    sweep FILE      sweep scenario parameters: --param name=start:stop:num[:log]
    rel CALC ...    quick relativity answers (gamma, dilation, redshift, static, orbit,
                    gps, twin, schwarzschild, clock,
                    hafele-keating, kepler, galileo, perihelion,
                    deflection, shapiro, gravity-probe-a, gravity-probe-b)
    scenarios       list the scenario library
    gates           list the gate registry

``run`` and ``sweep`` take ``--workers N`` (a local pool of N processes) or
``--scheduler ADDRESS`` (a Dask distributed scheduler, e.g. ``tcp://10.0.0.5:8786``): sweep
points, Monte-Carlo batches and shot batches (``run FILE.qasm --shot-batch N``) then run
there, with the same results as in one process.

User errors (bad files, bad values, QASM syntax) print ``qtcore: error: ...`` on stderr
and exit with status 2, never a traceback; a scenario whose expected checks fail exits 1.
The library code never exits: :func:`main` returns the status.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from qtcore._version import __version__
from qtcore.errors import QasmError, QtcoreError, ScenarioError

if TYPE_CHECKING:
    from concurrent.futures import Executor, ProcessPoolExecutor

__all__ = ["default_library", "main"]


class _UsageError(Exception):
    """An argparse usage error, turned into exit status 2 by :func:`main`."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def default_library() -> str:
    """The scenario library folder: ``$QTCORE_SCENARIOS`` or ``scenarios/`` next to qtcore."""
    env = os.environ.get("QTCORE_SCENARIOS")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return str(v)


def _kv_table(data: dict[str, Any], out: TextIO, indent: str = "") -> None:
    from qtcore.sweep import flatten

    flat = flatten(data)
    width = max((len(k) for k in flat), default=0)
    for k, v in flat.items():
        out.write(f"{indent}{k:<{width}}  {_fmt(v)}\n")


# --------------------------------------------------------------------------- executors
_EXECUTOR_HELP = """\
where sweep points, Monte-Carlo batches and shot batches run (results are the same
everywhere): by default one after another in this process; --workers N starts a local
pool of N processes; --scheduler ADDRESS sends them to a Dask distributed cluster
(`dask scheduler` on one machine, `dask worker ADDRESS` on each of the others, all with
the same qtcore wheel and Python version installed; this machine needs the
`distributed` package too)."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _check_executor_options(args: argparse.Namespace) -> None:
    """Usage errors of ``--workers``/``--scheduler``, found before any file is read."""
    if args.workers is not None and args.scheduler is not None:
        raise _UsageError("give --workers or --scheduler, not both")


# What a sweep's, a Monte-Carlo run's or a shot batch's task imports on a worker.
_PRELOAD = ["qtcore.scenario", "qtcore.sim"]


def _process_pool(workers: int, method: str | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started the platform's way (or by ``method``).

    Where processes start from a fork server (Python 3.14's default on Linux), the server
    imports qtcore (and NumPy) once and every worker starts with it loaded, instead of each
    worker importing it for its first task.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(method)
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Executor | None]:
    """The executor ``--workers``/``--scheduler`` ask for (None: run here), closed after."""
    _check_executor_options(args)
    if args.workers is not None:
        pool = _process_pool(args.workers)
        try:
            yield pool
        except BaseException:  # Ctrl-C or an error: drop what has not started
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return
    if args.scheduler is None:
        yield None
        return
    import importlib

    try:  # imported here, and untyped: qtcore does not depend on Dask
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise QtcoreError(
            "--scheduler needs Dask's 'distributed' package here "
            "(pip install distributed); qtcore itself does not depend on it"
        ) from None
    try:  # before any Client: one given a bad address hangs for 2 timeouts when collected
        distributed.comm.get_address_host_port(args.scheduler)
    except ValueError as e:
        raise QtcoreError(
            f"--scheduler {args.scheduler}: not a scheduler address ({e}); "
            "give its scheme, host and port, like tcp://10.0.0.5:8786"
        ) from None
    try:
        client = distributed.Client(
            args.scheduler, timeout=args.connect_timeout, set_as_default=False
        )
    except (OSError, TimeoutError, ValueError) as e:
        raise QtcoreError(f"--scheduler {args.scheduler}: cannot connect: {e}") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()


# --------------------------------------------------------------------------- run
def _resolve(path: str, library: str) -> str:
    if os.path.exists(path):
        return path
    for ext in (".toml", ".json"):
        candidate = os.path.join(library, path + ext)
        if os.path.exists(candidate):
            return candidate
    raise ScenarioError(f"{path}: no such file (and no library scenario of that name)")


def _run_qasm(args: argparse.Namespace, out: TextIO) -> int:
    from qtcore import qasm
    from qtcore.montecarlo import wilson_interval
    from qtcore.sim import interpreter, simulate

    try:
        with open(args.file, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise ScenarioError(f"{args.file}: cannot read: {e.strerror}") from None
    try:
        circ = qasm.loads(text)
    except QasmError as e:
        where = f"{args.file}:{e.line}:{e.column}" if e.line is not None else args.file
        raise ScenarioError(f"{where}: {e.message}") from None
    shots = 1024 if args.shots is None else args.shots
    seed = 0 if args.seed is None else args.seed
    if args.shot_batch is not None:
        return _run_qasm_batches(args, circ, shots, seed, out)
    if args.workers is not None or args.scheduler is not None:
        raise _UsageError(
            "a .qasm run is one task: give --shot-batch N to split its shots into batches "
            "for --workers/--scheduler"
        )
    res = simulate(circ, shots, seed=seed, backend=args.kernel)
    provenance = {
        "qtcore_version": __version__,
        "kernel": res.kernel,
        "method": res.method,
        "seed": seed,
        "shots": shots,
        "interpreter": interpreter(),
        "source": os.path.basename(args.file),
    }
    if args.format == "json":
        from qtcore.scenario import dumps_stable

        body = res.to_dict(amplitudes=circ.num_qubits <= 10)
        out.write(dumps_stable({"result": body, "provenance": provenance}))
        return 0
    out.write(
        f"{os.path.basename(args.file)}: {circ.num_qubits} qubit(s), "
        f"{circ.num_clbits} clbit(s), {len(circ.instructions)} op(s)\n"
    )
    out.write(f"kernel {res.kernel}, seed {seed}, shots {shots}, method {res.method}\n")
    if shots:
        out.write(
            f"{'outcome':>{max(7, circ.num_clbits)}}  {'count':>7}  {'freq':>7}  95% Wilson\n"
        )
        for k, c in res.counts.items():
            w = wilson_interval(c, shots)
            out.write(
                f"{k:>{max(7, circ.num_clbits)}}  {c:>7}  {c / shots:>7.4f}  "
                f"[{w.low:.4f}, {w.high:.4f}]\n"
            )
    else:
        for k, p in res.state.probabilities_dict().items():
            out.write(f"{k}  {p:.12g}\n")
    return 0


def _run_qasm_batches(
    args: argparse.Namespace, circ: Any, shots: int, seed: int, out: TextIO
) -> int:
    from qtcore.montecarlo import wilson_interval
    from qtcore.parallel import run_shot_batches
    from qtcore.sim import interpreter

    if shots < 1:
        raise _UsageError("--shot-batch needs --shots >= 1")
    with _executor(args) as executor:
        res = run_shot_batches(
            circ,
            shots,
            seed=seed,
            batch_shots=args.shot_batch,
            backend=args.kernel,
            executor=executor,
        )
    provenance = {
        "qtcore_version": __version__,
        "kernel": res.kernel,
        "seed": seed,
        "shots": shots,
        "shot_batch": args.shot_batch,
        "interpreter": interpreter(),
        "source": os.path.basename(args.file),
    }
    if args.format == "json":
        from qtcore.scenario import dumps_stable

        out.write(dumps_stable({"result": res.to_dict(), "provenance": provenance}))
        return 0
    out.write(
        f"{os.path.basename(args.file)}: {circ.num_qubits} qubit(s), "
        f"{circ.num_clbits} clbit(s), {len(circ.instructions)} op(s)\n"
    )
    out.write(
        f"kernel {res.kernel}, seed {seed}, shots {shots} in {res.batches} batch(es) of "
        f"{args.shot_batch}, method {res.method}\n"
    )
    width = max(7, circ.num_clbits)
    out.write(f"{'outcome':>{width}}  {'count':>7}  {'freq':>7}  95% Wilson\n")
    for k, c in res.counts.items():
        w = wilson_interval(c, shots)
        out.write(f"{k:>{width}}  {c:>7}  {c / shots:>7.4f}  [{w.low:.4f}, {w.high:.4f}]\n")
    return 0


def _print_scenario_result(result: Any, out: TextIO) -> None:
    sc = result.scenario
    out.write(f"{sc.name}: {sc.title}\n")
    prov = result.provenance
    out.write(
        f"kind {sc.kind}, kernel {prov['kernel']}, seed {prov['seed']}, "
        f"shots {prov['shots']}, {prov['interpreter']}, {prov['scenario_hash'][:19]}\n"
    )
    outputs = dict(result.outputs)
    table = outputs.pop("table", None)
    counts = outputs.pop("counts", None)
    estimates = outputs.pop("estimates", None)
    if counts:
        out.write("counts:\n")
        for k, c in counts.items():
            e = (estimates or {}).get(k)
            ci = f"  [{e['low']:.4f}, {e['high']:.4f}]" if e else ""
            out.write(f"  {k}  {c}{ci}\n")
    elif estimates:
        outputs["estimates"] = estimates
    if outputs:
        _kv_table(outputs, out, "  ")
    if table is not None:
        _write_table(table, out)
    for c in result.checks:
        out.write(f"{'PASS' if c.passed else 'FAIL'}  {c.check} {c.target}: {c.detail}\n")
    if result.status != "completed":
        out.write(f"status: {result.status}\n")


def _write_table(table: dict[str, Any], out: TextIO) -> None:
    cols = table["columns"][2:]
    out.write("  ".join(f"{c:>22}" for c in cols) + "\n")
    for row in table["rows"]:
        out.write("  ".join(f"{_fmt(v):>22}" for v in row[2:]) + "\n")


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_executor_options(args)
    if args.file.lower().endswith(".qasm"):
        return _run_qasm(args, out)
    from qtcore.scenario import load_scenario, run_scenario

    if args.shot_batch is not None:
        raise _UsageError("--shot-batch applies to .qasm files")
    sc = load_scenario(_resolve(args.file, args.library))
    with _executor(args) as executor:
        result = run_scenario(
            sc, seed=args.seed, shots=args.shots, backend=args.kernel, executor=executor
        )
    if args.format == "json":
        out.write(result.to_json())
    else:
        _print_scenario_result(result, out)
    if not result.passed:
        failed = [c for c in result.checks if not c.passed]
        err.write(f"qtcore: {len(failed)} expected check(s) failed in {sc.source}\n")
        return 1
    return 0


# --------------------------------------------------------------------------- sweep
class _ProgressBar:
    def __init__(self, err: TextIO, enabled: bool) -> None:
        self.err = err
        self.enabled = enabled

    def __call__(self, done: int, total: int, point: dict[str, float]) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(total, 1)
        self.err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            self.err.write("\n")
        self.err.flush()


def _cmd_sweep(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_executor_options(args)
    from qtcore.scenario import load_scenario, parse_axis, run_scenario
    from qtcore.sweep import table_csv

    sc = load_scenario(_resolve(args.file, args.library))
    axes = [parse_axis(p, seed=sc.seed) for p in args.param] or None
    if axes is None and sc.kind != "sweep":
        raise ScenarioError(f"{sc.source}: not a sweep scenario; give --param name=start:stop:num")
    if axes is not None:
        for ax in axes:  # validate every name against the scenario now, not mid-sweep
            sc.with_value(ax.name, ax.values[0])
    show = args.progress if args.progress is not None else err.isatty()
    with _executor(args) as executor:
        result = run_scenario(
            sc,
            seed=args.seed,
            shots=args.shots,
            backend=args.kernel,
            axes=axes,
            progress=_ProgressBar(err, show),
            executor=executor,
            chunksize=args.chunksize,
        )
    table = result.outputs["table"]
    if args.format == "csv":
        text = table_csv(table)
    elif args.format == "json":
        text = result.to_json()
    else:
        import io

        buf = io.StringIO()
        _print_scenario_result(result, buf)
        text = buf.getvalue()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        out.write(text)
    return 0 if result.passed else 1


# --------------------------------------------------------------------------- rel
_REL: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    # name: (calculator, [(cli option, field, help)])
    "gamma": ("gamma", [("--mass", "mass", "rest mass, e.g. '1.67e-27 kg'")]),
    "dilation": (
        "dilation",
        [
            ("--speed", "speed", "speed, e.g. '0.9c'"),
            ("--gamma", "gamma", "Lorentz factor instead of a speed"),
            ("--duration", "coordinate_duration", "lab (coordinate) duration, e.g. '1 day'"),
            ("--proper-duration", "proper_duration", "proper duration, e.g. '2.197 us'"),
        ],
    ),
    "redshift": (
        "redshift",
        [
            ("--height", "emitter_height", "emitter height above the receiver (m)"),
            ("--receiver-height", "receiver_height", "receiver height above the surface"),
            ("--body", "body", "earth, sun, moon, jupiter, sirius_b, neutron_star"),
        ],
    ),
    "static": (
        "static_clock",
        [
            ("--height", "height", "height above the mean radius"),
            ("--body", "body", "preset body"),
        ],
    ),
    "orbit": (
        "orbit",
        [
            ("--altitude", "altitude", "orbit altitude, e.g. '400 km'"),
            ("--body", "body", "preset body"),
        ],
    ),
    "gps": (
        "gps",
        [
            ("--altitude", "altitude", "orbit altitude (default: GPS, 26561.75 km radius)"),
            ("--orbit-radius", "orbit_radius", "orbit radius instead of altitude"),
            ("--latitude", "latitude_deg", "ground clock latitude in degrees (rotating Earth)"),
            ("--body", "body", "preset body"),
        ],
    ),
    "schwarzschild": ("schwarzschild", [("--body", "body", "preset body")]),
    "clock": (
        "clock",
        [
            ("--r", "radius", "distance from the centre, e.g. '6371 km'"),
            ("--height", "height", "height above the mean radius (or the ellipsoid)"),
            ("--v", "speed", "speed through the body's non-rotating frame, e.g. '7.66 km/s'"),
            ("--latitude", "latitude_deg", "latitude in degrees: a clock on the rotating body"),
            ("--ground-speed", "ground_speed_east", "with --latitude: eastward ground speed"),
            ("--north-speed", "ground_speed_north", "with --latitude: northward ground speed"),
            ("--duration", "duration", "coordinate duration for the accumulated loss"),
            ("--body", "body", "preset body"),
        ],
    ),
    "kepler": (
        "kepler_orbit",
        [
            ("--a", "semi_major_axis", "semi-major axis, e.g. '26561.75 km'"),
            ("--e", "eccentricity", "eccentricity, 0 <= e < 1"),
            ("--body", "body", "preset body"),
        ],
    ),
    "galileo": ("galileo_redshift", []),
    "perihelion": (
        "perihelion",
        [
            ("--a", "semi_major_axis", "semi-major axis (default Mercury's)"),
            ("--e", "eccentricity", "eccentricity (default Mercury's)"),
            ("--period", "period", "orbital period (default Kepler's law)"),
            ("--body", "body", "central body (default sun)"),
        ],
    ),
    "deflection": (
        "light_deflection",
        [
            ("--b", "impact_parameter", "impact parameter (default the body's radius)"),
            ("--body", "body", "deflecting body (default sun)"),
            ("--gamma-ppn", "gamma", "PPN gamma (1 in general relativity)"),
        ],
    ),
    "shapiro": (
        "shapiro_delay",
        [
            ("--emitter", "emitter_distance", "emitter distance from the mass (8.43 AU)"),
            ("--receiver", "receiver_distance", "receiver distance (1 AU)"),
            ("--b", "impact_parameter", "closest approach of the ray (1.6 solar radii)"),
            ("--body", "body", "the mass (default sun)"),
            ("--gamma-ppn", "gamma", "PPN gamma (1 in general relativity)"),
        ],
    ),
    "gravity-probe-a": (
        "gravity_probe_a",
        [("--apex", "apex_altitude", "apex altitude (10000 km)")],
    ),
    "gravity-probe-b": (
        "gravity_probe_b",
        [
            ("--a", "semi_major_axis", "orbit semi-major axis (7027.4 km)"),
            ("--e", "eccentricity", "orbit eccentricity (0.0014)"),
            ("--declination", "guide_star_declination_deg", "guide star declination (16.84)"),
        ],
    ),
    "hafele-keating": (
        "hafele_keating",
        [("--direction", "direction", "east, west or both (default)")],
    ),
}
_NUMERIC = {
    "gamma",
    "latitude_deg",
    "eccentricity",
    "guide_star_declination_deg",
}


def _number_or_text(field: str, text: str) -> Any:
    if field in _NUMERIC:
        try:
            return float(text)
        except ValueError:
            raise ScenarioError(f"--{field.replace('_', '-')}: {text!r} is not a number") from None
    return text


def _cmd_rel(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from qtcore.scenario import calculate, dumps_stable

    fields: dict[str, Any] = {}
    name = args.calc
    if name == "twin":
        calc = "trajectory"
        fields["segments"] = [
            {"kind": "coast", "velocity": args.speed, "coordinate_duration": args.half},
            {
                "kind": "coast",
                "velocity": "-" + args.speed.lstrip("+"),
                "coordinate_duration": args.half,
            },
        ]
    else:
        calc, options = _REL[name]
        if name == "gamma":
            fields["speed"] = args.speed
        for opt, field, _ in options:
            value = getattr(args, opt.lstrip("-").replace("-", "_"))
            if value is not None:
                fields[field] = _number_or_text(field, value)
        far = name == "redshift" and args.to_infinity
        if far:
            fields["receiver_at_infinity"] = True
        if name == "redshift" and "emitter_height" not in fields and not far:
            raise ScenarioError(
                "rel redshift: give --height (emitter above the receiver) or --to-infinity"
            )
        if name == "redshift" and "receiver_height" in fields and not far:
            fields["emitter_height"] = _sum_lengths(
                fields["emitter_height"], fields["receiver_height"]
            )
    result = calculate(calc, fields, source="rel", path=name)
    if args.json:
        out.write(dumps_stable({"calculator": calc, "input": fields, "result": result}))
    else:
        _kv_table(result, out)
    return 0


def _sum_lengths(a: Any, b: Any) -> float:
    from qtcore.units import to_si

    return to_si(a, "length") + to_si(b, "length")


# --------------------------------------------------------------------------- lists
def _cmd_scenarios(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from qtcore.scenario import dumps_stable, load_scenario

    lib = args.library
    if not os.path.isdir(lib):
        raise ScenarioError(f"{lib}: scenario library folder not found (use --library)")
    rows = []
    for fname in sorted(os.listdir(lib)):
        if fname.endswith((".toml", ".json")):
            sc = load_scenario(os.path.join(lib, fname))
            rows.append(
                {
                    "name": sc.name,
                    "kind": sc.kind,
                    "title": sc.title,
                    "file": fname,
                    "checks": len(sc.expected),
                }
            )
    if args.json:
        out.write(dumps_stable(rows))
    else:
        width = max((len(r["name"]) for r in rows), default=4)
        for r in rows:
            out.write(f"{r['name']:<{width}}  {r['kind']:<10}  {r['title']}\n")
    return 0


def _cmd_gates(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from qtcore.ops import GATES
    from qtcore.scenario import dumps_stable

    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    for spec in (GATES[k] for k in sorted(GATES)):
        rows.append(
            {
                "name": spec.name,
                "params": list(spec.params),
                "num_params": spec.num_params,
                "num_controls": spec.num_controls,
                "num_targets": spec.num_targets,
                "qasm2": spec.qasm2,
                "qasm3": spec.qasm3,
                "structure": spec.structure,
                "variadic": spec.variadic,
                "summary": spec.summary,
            }
        )
        params = f"({', '.join(spec.params)})" if spec.params else ""
        qubits = "n" if spec.variadic else str(spec.num_controls + spec.num_targets)
        lines.append(f"{spec.name + params:<24} {qubits:>2}q  {spec.summary}\n")
    if args.json:
        out.write(dumps_stable(rows))
    else:
        out.write("".join(lines))
    return 0


# --------------------------------------------------------------------------- parser
def _parser() -> _Parser:
    p = _Parser(prog="qtcore", description="QuantumTime core: circuits, relativity, scenarios.")
    p.add_argument("--version", action="version", version=f"qtcore {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--shots", type=int, default=None, help="override the shot count")
        sp.add_argument("--seed", type=int, default=None, help="override the seed")
        sp.add_argument("--kernel", choices=("auto", "numpy", "python"), default="auto")
        sp.add_argument("--library", default=default_library(), help="scenario library folder")
        ex = sp.add_argument_group("workers", _EXECUTOR_HELP)
        ex.add_argument(
            "--workers", type=_positive, metavar="N", help="run on a local pool of N processes"
        )
        ex.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help="run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786)",
        )
        ex.add_argument(
            "--connect-timeout",
            type=_seconds,
            default=10.0,
            metavar="SECONDS",
            help="how long to wait for the scheduler (default 10)",
        )

    run = sub.add_parser("run", help="run a QASM or scenario file")
    run.add_argument("file", help="a .qasm, .toml or .json file, or a library scenario name")
    common(run)
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.add_argument(
        "--shot-batch",
        type=_positive,
        metavar="N",
        help="(.qasm) run the shots in seeded batches of N, in parallel with --workers or "
        "--scheduler; counts depend on the seed and N, not on where the batches ran",
    )

    sw = sub.add_parser("sweep", help="sweep scenario parameters")
    sw.add_argument("file")
    sw.add_argument(
        "--param",
        action="append",
        default=[],
        help="name=start:stop:num[:log|:random] or name=v1,v2,... (repeatable)",
    )
    common(sw)
    sw.add_argument("--format", choices=("table", "json", "csv"), default="json")
    sw.add_argument("--output", "-o", help="write to this file instead of stdout")
    sw.add_argument(
        "--chunksize",
        type=_positive,
        default=None,
        metavar="N",
        help="sweep points per task sent to the workers (default: sized from what the "
        "first tasks cost; more points per task, less overhead)",
    )
    sw.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )

    rel = sub.add_parser("rel", help="relativity calculators")
    rsub = rel.add_subparsers(dest="calc", required=True, parser_class=_Parser)
    for name, (calc, options) in _REL.items():
        rp = rsub.add_parser(name, help=f"the {calc} calculator")
        if name == "gamma":
            rp.add_argument("speed", help="speed, e.g. 0.9c or '7.66 km/s'")
        for opt, _, hlp in options:
            rp.add_argument(opt, help=hlp)
        if name == "redshift":
            rp.add_argument(
                "--to-infinity",
                action="store_true",
                help="receiver far away (--height is then the emitter's height, default 0)",
            )
        rp.add_argument("--json", action="store_true")
    tw = rsub.add_parser("twin", help="twin paradox: out and back at constant speed")
    tw.add_argument("--speed", required=True, help="cruise speed, e.g. 0.8c")
    tw.add_argument("--half", required=True, help="lab duration of each leg, e.g. '5 yr'")
    tw.add_argument("--json", action="store_true")

    sc = sub.add_parser("scenarios", help="list the scenario library")
    sc.add_argument("--library", default=default_library())
    sc.add_argument("--json", action="store_true")

    g = sub.add_parser("gates", help="list the gate registry")
    g.add_argument("--json", action="store_true")
    return p


_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "run": _cmd_run,
    "sweep": _cmd_sweep,
    "rel": _cmd_rel,
    "scenarios": _cmd_scenarios,
    "gates": _cmd_gates,
}


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Runs the command line and returns the exit status (0 ok, 1 checks failed, 2 error).

    Args:
        argv: arguments without the program name (default ``sys.argv[1:]``).
        stdout: where results go (default ``sys.stdout``).
        stderr: where errors and progress go (default ``sys.stderr``).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        return _COMMANDS[args.command](args, out, err)
    except _UsageError as e:
        err.write(f"usage error: {e}\n")
        return 2
    except SystemExit as e:  # --help / --version
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else 2
    except (QtcoreError, OSError) as e:
        err.write(f"qtcore: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        err.write("qtcore: interrupted\n")
        return 130
