"""Running a scenario: outputs, expected-outcome checks and provenance.

The runner consumes the typed section that loading built (:attr:`Scenario.section`);
it never re-reads or re-validates the scenario's tables.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qtcore._stable import canonical, dumps_stable
from qtcore._version import __version__
from qtcore.circuit import Circuit
from qtcore.errors import ScenarioError
from qtcore.montecarlo import monte_carlo, wilson_interval
from qtcore.scenario._checks import CheckResult, lookup, run_checks
from qtcore.scenario._model import (
    Scenario,
    _validate_parameters,
    scenario_from_dict,
    set_path,
)
from qtcore.scenario._sections import (
    CircuitSection,
    CircuitTemplate,
    RelativitySection,
    SandboxSection,
    SweepSection,
    _unbound_circuit,
    circuit_template,
)
from qtcore.sim import get_kernel, interpreter, simulate
from qtcore.sweep import Axis, CancelCheck, SweepRow, run_sweep
from qtcore.wire import js_safe

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from qtcore.noise import NoiseModel

__all__ = ["ScenarioResult", "run_scenario"]


@dataclass
class ScenarioResult:
    """A scenario's outputs, checks and provenance.

    Attributes:
        scenario: the scenario that ran.
        outputs: nested JSON-ready outputs (what ``expected`` paths refer to).
        checks: one :class:`CheckResult` per expected check.
        provenance: qtcore version, kernel, seed, shots, interpreter, scenario hash and,
            for a circuit, the simulation method (counts for a seed depend on it).
        status: ``"completed"`` or ``"cancelled"`` (sweeps and Monte-Carlo).
    """

    scenario: Scenario
    outputs: dict[str, Any]
    checks: list[CheckResult] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    status: str = "completed"

    @property
    def passed(self) -> bool:
        """True when every expected check passed."""
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result."""
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "kind": self.scenario.kind,
            "status": self.status,
            "outputs": self.outputs,
            "checks": [c.to_dict() for c in self.checks],
            "passed": self.passed,
            "provenance": self.provenance,
        }

    def to_wire(self) -> dict[str, Any]:
        """The site's wire form: :meth:`to_dict` with camelCase keys.

        ``outputs`` keep their names: the scenario file's ``expected`` paths and
        ``sweep.columns`` address them, and ``python -m qtcore run`` prints them. Integers
        beyond 2**53 - 1 (derived seeds) are decimal strings (:func:`qtcore.wire.js_safe`).
        """
        prov = self.provenance
        wire = {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "kind": self.scenario.kind,
            "status": self.status,
            "outputs": self.outputs,
            "checks": [c.to_dict() for c in self.checks],
            "passed": self.passed,
            "provenance": {
                "qtcoreVersion": prov.get("qtcore_version"),
                "kernel": prov.get("kernel"),
                "backend": prov.get("backend"),
                "seed": prov.get("seed"),
                "shots": prov.get("shots"),
                "interpreter": prov.get("interpreter"),
                "scenarioHash": prov.get("scenario_hash"),
                "schema": prov.get("schema"),
                "method": prov.get("method"),
            },
        }
        safe: dict[str, Any] = js_safe(wire)
        return safe

    def to_json(self) -> str:
        """Stable JSON (sorted keys, shortest round-trip floats)."""
        return dumps_stable(self.to_dict())


def _measure_map(circ: Circuit) -> list[tuple[int, int]]:
    return [(i.qubits[0], i.clbits[0]) for i in circ.instructions if i.kind == "measure"]


def _exact_distribution(circ: Circuit, probs: list[float]) -> dict[str, float]:
    """Exact distribution of the classical register (or of the qubits if nothing is measured)."""
    pairs = _measure_map(circ)
    width = circ.num_clbits if pairs else circ.num_qubits
    out: dict[str, float] = {}
    for b, p in enumerate(probs):
        if p < 1e-15:
            continue
        if pairs:
            v = 0
            for q, c in pairs:
                v = v | (1 << c) if (b >> q) & 1 else v & ~(1 << c)
        else:
            v = b
        key = format(v, f"0{width}b")
        out[key] = out.get(key, 0.0) + p
    return dict(sorted(out.items()))


def _estimates(counts: Mapping[str, int], shots: int) -> dict[str, Any]:
    return {k: wilson_interval(c, shots).to_dict() for k, c in counts.items()}


@dataclass(frozen=True)
class _EventTrial:
    """One Monte-Carlo repetition: a one-shot run, True when its outcome is an event.

    A module-level class, not a closure, so it pickles to a process pool's workers.
    """

    circuit: Circuit
    noise: NoiseModel | None
    backend: str
    events: frozenset[str]

    def __call__(self, seed: int) -> bool:
        one = simulate(self.circuit, 1, seed=seed, backend=self.backend, noise=self.noise)
        return next(iter(one.counts)) in self.events


def _run_circuit(
    sec: CircuitSection,
    seed: int,
    shots: int,
    backend: str,
    cancel: CancelCheck | None,
    executor: Executor | None = None,
) -> tuple[dict[str, Any], str]:
    circ, noise, report = sec.circuit, sec.noise, sec.report
    res = simulate(circ, shots, seed=seed, backend=backend, noise=noise)
    out: dict[str, Any] = {
        "num_qubits": circ.num_qubits,
        "num_clbits": circ.num_clbits,
        "method": res.method,
        "shots": shots,
    }
    if "counts" in report and shots:
        out["counts"] = dict(res.counts)
    if "estimates" in report and shots:
        out["estimates"] = _estimates(res.counts, shots)
    exact = res.method in ("statevector", "sampled")  # one final state for every shot
    if "probabilities" in report and exact:
        out["probabilities"] = _exact_distribution(circ, res.state.probabilities())
    if "statevector" in report and exact and circ.num_qubits <= 10:
        out["statevector"] = [[z.real, z.imag] for z in res.state.to_list()]
    if "bloch" in report and exact:
        out["bloch"] = [list(v) for v in res.state.bloch_vectors()]
    status = "completed"
    mc = sec.montecarlo
    if mc is not None:
        events = frozenset(mc.event)
        result = monte_carlo(
            _EventTrial(circ, noise, backend, events),
            seed=seed,
            repetitions=mc.repetitions,
            target_width=mc.target_width,
            max_repetitions=mc.max_repetitions,
            batch=mc.batch,
            confidence=mc.confidence,
            cancel=cancel,
            executor=executor,
        )
        out["montecarlo"] = {**result.to_dict(), "event": sorted(events)}
        if result.status == "cancelled":
            status = "cancelled"
    return out, status


def _run_point(sc: Scenario, seed: int, shots: int, backend: str) -> dict[str, Any]:
    """One run of a circuit, relativity or sandbox scenario (a sweep point)."""
    match sc.section:
        case RelativitySection() as rel:
            return rel.calculate(sc.source)
        case SandboxSection(experiment=exp):
            out = exp.run(shots=shots, seed=seed, backend=backend)
            if shots:
                ones = sum(c for k, c in out["counts"].items() if k[-1] == "1")
                out["estimates"] = {"p1": wilson_interval(ones, shots).to_dict()}
            return out
        case CircuitSection() as sec:
            return _run_circuit(sec, seed, shots, backend, None)[0]
        case SweepSection():
            raise AssertionError(f"{sc.source}: a sweep is not a point of a sweep")


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None = None,
    shots: int | None = None,
    backend: str = "auto",
    progress: Callable[[int, int, dict[str, float]], None] | None = None,
    cancel: CancelCheck | None = None,
    axes: list[Axis] | None = None,
    on_row: Callable[[SweepRow], None] | None = None,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> ScenarioResult:
    """Runs a scenario and checks its expected outcomes.

    Args:
        scenario: a loaded :class:`Scenario`.
        seed: overrides the scenario's seed.
        shots: overrides the scenario's shots.
        backend: ``"auto"``, ``"numpy"`` or ``"python"``.
        progress: sweep progress callback ``(done, total, point)``.
        cancel: callable or :class:`~qtcore.sweep.CancelToken` checked between sweep
            points and Monte-Carlo batches.
        axes: sweep axes replacing the scenario's (or sweeping a non-sweep scenario).
        on_row: called with each finished sweep row (see :func:`qtcore.sweep.run_sweep`).
        executor: runs sweep points and Monte-Carlo batches there (a process pool, a Dask
            cluster's ``client.get_executor()``); the result is the same as without one.
        chunksize: sweep points per task sent to the executor (None: automatic, see
            :func:`qtcore.sweep.run_sweep`).

    Returns:
        a :class:`ScenarioResult` (``passed`` tells whether every check held).
    """
    seed = scenario.seed if seed is None else seed
    shots = scenario.shots if shots is None else shots
    kernel = get_kernel(backend).name if scenario.point_kind != "relativity" else None
    status = "completed"
    if isinstance(scenario.section, SweepSection) or axes:
        outputs, status = _run_sweep(
            scenario, seed, shots, backend, progress, cancel, axes, on_row, executor, chunksize
        )
    elif isinstance(scenario.section, CircuitSection):
        outputs, status = _run_circuit(scenario.section, seed, shots, backend, cancel, executor)
    else:
        outputs = _run_point(scenario, seed, shots, backend)
    provenance = {
        "qtcore_version": __version__,
        "kernel": kernel,
        "backend": backend,
        "seed": seed,
        "shots": shots,
        "interpreter": interpreter(),
        "scenario_hash": scenario.content_hash,
        "schema": scenario.data.get("schema", 1),
    }
    if "method" in outputs:  # counts for a seed depend on it (branching or trajectories)
        provenance["method"] = outputs["method"]
    # Expected checks describe the scenario as written: a sweep over axes the file does not
    # declare (the CLI's --param) is a different experiment, so its checks are not applied.
    checks = [] if axes else run_checks(scenario.expected, outputs)
    return ScenarioResult(scenario, outputs, checks, provenance, status)


def _parameter_name(path: str) -> str | None:
    """The ``[parameters]`` entry an axis sets (``theta``, ``parameters.theta``), or None."""
    if "." not in path:
        return path
    table, _, name = path.partition(".")
    return name if table == "parameters" and name and "." not in name else None


def _check_parameter_axes(base: Mapping[str, Any], axes: list[Axis], source: str) -> None:
    """Refuses an axis that sets a ``[parameters]`` value nothing reads.

    Only a circuit reads ``[parameters]`` (its free parameters); an axis setting any other
    would sweep nothing, every row the same run.
    """
    from qtcore.qasm._diagnostics import did_you_mean  # here: only a bad axis needs it

    kind = base.get("kind")
    free: list[str] | None = None
    for axis in axes:
        name = _parameter_name(axis.name)
        if name is None:
            continue
        where = f"{source}: sweep axis {axis.name!r}"
        if kind == "circuit":
            if free is None:
                free = sorted(_unbound_circuit(base, source).parameters)
            if name in free:
                continue
            raise ScenarioError(
                f"{where}: the circuit has no parameter {name!r}{did_you_mean(name, free)}; "
                + (f"its parameters: {', '.join(free)}" if free else "it has no parameters")
            )
        field_path = f"{kind}.{name}"
        try:  # is there a field of that name to sweep instead?
            trial = copy.deepcopy(dict(base))
            set_path(trial, field_path, axis.values[0], source)
            scenario_from_dict(trial, source)
            hint = f"did you mean {field_path!r}?"
        except ScenarioError:
            numbers = _number_paths(base.get(str(kind)), str(kind))
            hint = (
                f"sweep one of its numbers instead: {', '.join(numbers)}"
                if numbers
                else f"sweep one of its fields instead, like {kind}.<field>"
            )
        raise ScenarioError(
            f"{where}: a {kind} scenario reads no [parameters], so this would sweep nothing; "
            + hint
        )


def _number_paths(table: Any, prefix: str) -> list[str]:
    """Dotted paths of the numbers and quantities (``"0 m"``) in a scenario table."""
    if not isinstance(table, Mapping):
        return []
    out: list[str] = []
    for k, v in table.items():
        if isinstance(v, Mapping):
            out += _number_paths(v, f"{prefix}.{k}")
        elif (isinstance(v, int | float) and not isinstance(v, bool)) or (
            isinstance(v, str) and v.lstrip("+-")[:1] in tuple(".0123456789")
        ):
            out.append(f"{prefix}.{k}")
    return out


_OUTCOME_TABLES = ("counts", "probabilities", "estimates")


def _outcome_column(col: str) -> tuple[str, str, str] | None:
    """``(table, bitstring, field)`` of ``counts.B``, ``probabilities.B``, ``estimates.B.f``."""
    table, _, rest = col.partition(".")
    if table not in _OUTCOME_TABLES:
        return None
    key, _, name = rest.partition(".")
    if not key or set(key) - {"0", "1"} or (table == "estimates") != bool(name) or "." in name:
        return None
    return table, key, name


@functools.cache
def _none_of(shots: int) -> dict[str, Any]:
    """The estimate of 0 of ``shots`` (one per shot count: a wide table asks for it in
    thousands of cells)."""
    return wilson_interval(0, shots).to_dict()


def _absent_outcome(table: str, name: str, shots: Any) -> Any:
    """The value of an outcome a run's table leaves out: it never occurred.

    Counts and exact probabilities list only the outcomes that occur; ``estimates`` gives
    what 0 of ``shots`` gives. KeyError for a field an estimate does not have.
    """
    if table == "counts":
        return 0
    if table == "probabilities":
        return 0.0
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise KeyError(name)
    return _none_of(shots)[name]


def _pick(out: Mapping[str, Any], col: str) -> Any:
    """Output ``col`` of one run; an outcome its table leaves out is one that never occurred."""
    try:
        return lookup(out, col)
    except KeyError:
        parsed = _outcome_column(col)
        if parsed is None:
            raise
        table, key, name = parsed
        listed = out.get(table)
        if not isinstance(listed, Mapping) or not listed:
            raise  # not reported by this run: unknown, not zero
        if len(next(iter(listed))) != len(key):
            raise
        return _absent_outcome(table, name, out.get("shots"))


def _fill_absent_outcomes(table: dict[str, Any]) -> None:
    """Fills the cells of outcomes a row's run left out (see :func:`_absent_outcome`).

    A row's cell stays None where its run did not report that table at all, or reported
    outcomes of another width.
    """
    cols: list[str] = table["columns"]
    parsed = {i: p for i, c in enumerate(cols) if (p := _outcome_column(c)) is not None}
    if not parsed:
        return
    shots_at = cols.index("shots") if "shots" in cols else None
    for row in table["rows"]:
        widths: dict[str, int] = {}  # table -> width of the outcomes this row's run reported
        for i, (name, key, _) in parsed.items():
            if row[i] is not None:
                widths.setdefault(name, len(key))
        for i, (name, key, field_name) in parsed.items():
            if row[i] is None and widths.get(name) == len(key):
                with contextlib.suppress(KeyError):  # a field an estimate does not have
                    row[i] = _absent_outcome(
                        name, field_name, None if shots_at is None else row[shots_at]
                    )


@dataclass(frozen=True)
class _SweepPoint:
    """One sweep point: the base scenario with the point's values set, run and picked.

    A module-level class holding plain data, so it pickles to a process pool's workers.
    When every axis of a circuit sweep sets a ``[parameters]`` value, the points share
    one :class:`~qtcore.scenario._sections.CircuitTemplate` (the circuit parsed, the noise
    model built), made at the first point a process runs and not pickled: a point only
    binds its values, where reading the point's whole table again cost about 1 ms -- a
    quarter of a 6-qubit point's time. Other points are read from their whole table.
    """

    base: dict[str, Any]
    source: str
    columns: tuple[str, ...] | None
    shots: int
    backend: str

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cached_template"}

    def _template(self) -> CircuitTemplate | None:
        if "_cached_template" not in self.__dict__:
            template = None
            if self.base.get("kind") == "circuit":
                template = circuit_template(canonical(self.base), self.source)
            object.__setattr__(self, "_cached_template", template)
        cached: CircuitTemplate | None = self.__dict__["_cached_template"]
        return cached

    def __call__(self, values: dict[str, float], point_seed: int) -> dict[str, Any]:
        params = dict(self.base.get("parameters") or {})
        template = None
        for path, v in values.items():
            name = _parameter_name(path)
            if name is None:
                break
            params[name] = v
        else:
            template = self._template()
        if template is not None:
            kind = "circuit"
            _validate_parameters(self.source, params)
            sec = template.section(params, self.source)
            out = _run_circuit(sec, point_seed, self.shots, self.backend, None)[0]
        else:
            data = copy.deepcopy(self.base)
            for name, v in values.items():
                set_path(data, name, v, self.source)
            psc = scenario_from_dict(data, self.source)
            kind = psc.kind
            out = _run_point(psc, point_seed, self.shots, self.backend)
        if self.columns:
            picked = {}
            for col in self.columns:
                try:
                    picked[col] = _pick(out, col)
                except KeyError:
                    raise ScenarioError(
                        f"{self.source}: sweep.columns: output {col!r} not produced by a {kind} run"
                    ) from None
            return picked
        return {k: v for k, v in out.items() if k not in ("parameters", "seed", "kernel")}


def _run_sweep(
    sc: Scenario,
    seed: int,
    shots: int,
    backend: str,
    progress: Callable[[int, int, dict[str, float]], None] | None,
    cancel: CancelCheck | None,
    axes: list[Axis] | None,
    on_row: Callable[[SweepRow], None] | None = None,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> tuple[dict[str, Any], str]:
    sec = sc.section
    if isinstance(sec, SweepSection):
        base: Mapping[str, Any] = sec.base
        columns, combine = sec.columns, sec.combine
        run_axes = list(sec.axes) if axes is None else axes
    else:  # a scenario swept over axes it does not declare (the CLI's --param)
        assert axes is not None
        base = {k: v for k, v in sc.data.items() if k != "expected"}
        columns, combine, run_axes = None, "product", axes
    _check_parameter_axes(base, run_axes, sc.source)
    result = run_sweep(
        _SweepPoint(dict(base), sc.source, columns, shots, backend),
        run_axes,
        seed=seed,
        combine=combine,
        progress=progress,
        cancel=cancel,
        on_row=on_row,
        executor=executor,
        chunksize=chunksize,
    )
    table = result.to_dict()
    if columns is None:
        _fill_absent_outcomes(table)
    return {"table": table}, result.status
