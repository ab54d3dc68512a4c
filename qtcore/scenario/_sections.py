"""The typed sections a scenario is validated into, and how each is built from its table.

Loading a scenario builds exactly one section for its kind (:class:`CircuitSection`,
:class:`RelativitySection`, :class:`SandboxSection` or :class:`SweepSection`); the
runner consumes the section and never reads the raw tables again. Every error is a
:class:`~qtcore.errors.ScenarioError` that starts with ``"<file>: <field>: "``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qtcore.circuit import Circuit
from qtcore.errors import CircuitError, NoiseError, QasmError, ScenarioError
from qtcore.noise import NoiseModel
from qtcore.sandbox import ClockExperiment
from qtcore.scenario._calculators import CALCULATORS, calculate
from qtcore.scenario._fields import FieldReader
from qtcore.scenario._sandbox import build_experiment
from qtcore.sweep import Axis

__all__ = [
    "CIRCUIT_REPORTS",
    "DEFAULT_REPORT",
    "CircuitSection",
    "CircuitTemplate",
    "MonteCarloSection",
    "RelativitySection",
    "SandboxSection",
    "Section",
    "SweepSection",
    "bind_parameters",
    "build_circuit",
    "build_circuit_section",
    "build_noise",
    "build_relativity_section",
    "build_sandbox_section",
    "circuit_template",
]

CIRCUIT_REPORTS = ("bloch", "counts", "estimates", "probabilities", "statevector")
DEFAULT_REPORT = ("counts", "probabilities", "estimates")


@dataclass(frozen=True)
class MonteCarloSection:
    """``[montecarlo]``: repeated one-shot runs until ``repetitions`` or ``target_width``.

    Attributes:
        event: the outcomes (bitstrings) whose probability is estimated.
        repetitions: a fixed number of runs, or None (then ``target_width`` is set).
        target_width: the confidence-interval width to reach, or None.
    """

    event: tuple[str, ...]
    repetitions: int | None
    target_width: float | None
    max_repetitions: int
    batch: int
    confidence: float


@dataclass(frozen=True)
class CircuitSection:
    """A circuit scenario: the circuit (parameters bound), its noise and what to report."""

    circuit: Circuit
    noise: NoiseModel | None
    report: tuple[str, ...]
    montecarlo: MonteCarloSection | None


@dataclass(frozen=True)
class RelativitySection:
    """A relativity calculator and its fields (checked by running it once at load)."""

    calculator: str
    fields: Mapping[str, Any]

    def calculate(self, source: str) -> dict[str, Any]:
        """The calculator's outputs, with ``calculator`` first."""
        return {
            "calculator": self.calculator,
            **calculate(self.calculator, self.fields, source=source),
        }


@dataclass(frozen=True)
class SandboxSection:
    """A quantum-time sandbox experiment, built and checked."""

    experiment: ClockExperiment


@dataclass(frozen=True)
class SweepSection:
    """A sweep: every point is the ``base`` scenario with the axis values set in it.

    Attributes:
        of: the kind of each point (``circuit``, ``relativity`` or ``sandbox``).
        axes: the sweep axes (random ones already drawn from the scenario's seed).
        combine: ``"product"`` or ``"zip"``.
        columns: the outputs kept per point (None: all).
        base: the scenario data of one point before the axis values are set (kind =
            ``of``, no ``[sweep]``, no ``[[expected]]``); its first point was validated.
    """

    of: str
    axes: tuple[Axis, ...]
    combine: str
    columns: tuple[str, ...] | None
    base: Mapping[str, Any]


Section = CircuitSection | RelativitySection | SandboxSection | SweepSection


def build_circuit(data: Mapping[str, Any], source: str) -> Circuit:
    """The scenario's circuit (gate list or OpenQASM) with its parameters bound."""
    return bind_parameters(_unbound_circuit(data, source), data.get("parameters", {}), source)


def _unbound_circuit(data: Mapping[str, Any], source: str) -> Circuit:
    """The scenario's circuit as written: its parameters left open."""
    spec = data.get("circuit")
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"{source}: circuit: missing table (gate list or qasm = '...')")
    name = str(data.get("name", "circuit"))
    if "qasm" in spec:
        extra = set(spec) - {"qasm"}
        if extra:
            raise ScenarioError(
                f"{source}: circuit.{sorted(extra)[0]}: not allowed next to circuit.qasm"
            )
        text = spec["qasm"]
        if not isinstance(text, str):
            raise ScenarioError(f"{source}: circuit.qasm: must be a string of OpenQASM")
        from qtcore import qasm  # a format: loaded only by scenarios that use it

        try:
            circ = qasm.loads(text)
        except QasmError as e:
            raise ScenarioError(f"{source}: circuit.qasm: {e}") from None
    else:
        try:
            circ = Circuit.from_dict(spec, name=name)
        except CircuitError as e:
            raise ScenarioError(f"{source}: circuit: {e}") from None
    return circ


def bind_parameters(circ: Circuit, params: Mapping[str, Any], source: str) -> Circuit:
    """``circ`` with its parameters bound to the values of ``[parameters]``.

    Raises:
        ScenarioError: a circuit parameter without a value, or a value it rejects.
    """
    missing = sorted(circ.parameters - set(params))
    if missing:
        raise ScenarioError(
            f"{source}: parameters: circuit parameter(s) {missing} have no value; "
            "add them to [parameters]"
        )
    if circ.parameters:
        values = {k: float(params[k]) for k in circ.parameters}
        try:
            circ = circ.bind(values)
        except CircuitError as e:
            raise ScenarioError(f"{source}: parameters: {e}") from None
    return circ


def build_noise(data: Mapping[str, Any], source: str) -> NoiseModel | None:
    """The NoiseModel of ``data['noise']`` (None when absent)."""
    spec = data.get("noise")
    if spec is None:
        return None
    try:
        return NoiseModel.from_dict(spec)
    except NoiseError as e:
        raise ScenarioError(f"{source}: noise: {e}") from None


def _montecarlo(table: Any, source: str) -> MonteCarloSection:
    """``[montecarlo]``: ``event`` (bitstrings), ``repetitions`` or ``target_width``."""
    r = FieldReader(source, table, "montecarlo")
    event = r.raw("event")
    if isinstance(event, str):
        event = [event]
    if not isinstance(event, list) or not event or not all(isinstance(e, str) for e in event):
        raise r.error("event", "must be a bitstring or a list of bitstrings")
    reps = r.integer("repetitions", default=0)
    width = r.number("target_width")
    if (reps == 0) == (width is None):
        raise r.error("repetitions", "give exactly one of repetitions (>= 1) or target_width")
    max_reps = r.integer("max_repetitions", default=20_000, minimum=1)
    batch = r.integer("batch", default=100, minimum=1)
    confidence = r.number("confidence", default=0.95)
    assert confidence is not None
    section = MonteCarloSection(tuple(event), reps or None, width, max_reps, batch, confidence)
    r.finish()
    return section


def build_circuit_section(data: Mapping[str, Any], source: str) -> CircuitSection:
    """Circuit, noise (checked against the circuit), report and Monte-Carlo settings."""
    return _circuit_section(build_circuit(data, source), data, source)


@dataclass(frozen=True)
class CircuitTemplate:
    """A circuit scenario with its parameter values left open, built once.

    The points of a sweep over ``[parameters]`` differ only in the values bound into the
    circuit: a template parses the circuit and builds the noise model, report and
    Monte-Carlo settings once, and :meth:`section` binds each point's values -- the
    section :func:`build_circuit_section` builds from the point's whole table.

    Attributes:
        circuit: the circuit as written, its parameters unbound.
        noise: the noise model (None when absent or empty).
        report: the outputs asked for.
        montecarlo: the Monte-Carlo settings, or None.
    """

    circuit: Circuit
    noise: NoiseModel | None
    report: tuple[str, ...]
    montecarlo: MonteCarloSection | None

    def section(self, params: Mapping[str, Any], source: str) -> CircuitSection:
        """The section of the scenario whose ``[parameters]`` are ``params``.

        Raises:
            ScenarioError: as :func:`bind_parameters`.
        """
        circuit = bind_parameters(self.circuit, params, source)
        return CircuitSection(circuit, self.noise, self.report, self.montecarlo)


def circuit_template(data: Mapping[str, Any], source: str) -> CircuitTemplate:
    """The :class:`CircuitTemplate` of a circuit scenario's table (its parameters ignored).

    Raises:
        ScenarioError: as :func:`build_circuit_section`, except for parameter values.
    """
    circuit = _unbound_circuit(data, source)
    sec = _circuit_section(circuit, data, source)  # noise is checked on the qubit count only
    return CircuitTemplate(circuit, sec.noise, sec.report, sec.montecarlo)


def _circuit_section(circuit: Circuit, data: Mapping[str, Any], source: str) -> CircuitSection:
    noise = build_noise(data, source)
    if noise is not None:
        try:
            noise.validate(circuit)
        except NoiseError as e:
            raise ScenarioError(f"{source}: noise: {e}") from None
        if noise.is_empty():
            noise = None
    report = tuple(data.get("report") or DEFAULT_REPORT)
    bad = sorted(set(report) - set(CIRCUIT_REPORTS))
    if bad:
        raise ScenarioError(
            f"{source}: report: unknown output(s) {bad}; allowed: {', '.join(CIRCUIT_REPORTS)}"
        )
    mc = _montecarlo(data["montecarlo"], source) if "montecarlo" in data else None
    return CircuitSection(circuit, noise, report, mc)


def build_relativity_section(data: Mapping[str, Any], source: str) -> RelativitySection:
    """The calculator and its table, run once so that every field error shows at load."""
    rel = data.get("relativity")
    if not isinstance(rel, Mapping):
        raise ScenarioError(f"{source}: relativity: missing table")
    calc = rel.get("calculator")
    if not isinstance(calc, str) or calc not in CALCULATORS:
        raise ScenarioError(
            f"{source}: relativity.calculator: must be one of "
            f"{', '.join(sorted(CALCULATORS))}, got {calc!r}"
        )
    section = RelativitySection(calc, rel)
    section.calculate(source)
    return section


def build_sandbox_section(data: Mapping[str, Any], source: str) -> SandboxSection:
    """The sandbox experiment of ``[sandbox]``."""
    return SandboxSection(build_experiment(data, source))
