"""Scenario documents from what a person typed: the site's editor and widgets, as scenarios.

Every run the site shows (and may publish) is a scenario that :func:`scenario_from_dict`
accepts and :func:`run_scenario` re-runs to the same numbers. These builders take the
widgets' inputs -- numbers or the text typed into a box -- validate each one with a message
that names the box (``"shots: ..."``), and return the validated :class:`Scenario`; its
``data`` is the document the registry stores.

>>> sc = circuit_sweep_scenario(
...     'OPENQASM 3; include "stdgates.inc"; input float theta; qubit q; bit c;'
...     ' rx(theta) q; c = measure q;',
...     param="theta", start="0", stop="3.14159", points="5", shots="100", seed="7")
>>> sc.kind, sc.data["sweep"]["axes"]
('sweep', [{'param': 'theta', 'linspace': [0.0, 3.14159, 5]}])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from qtcore.circuit import Circuit
from qtcore.errors import CircuitError, QasmError, ScenarioError
from qtcore.rng import MAX_SEED
from qtcore.scenario._model import Scenario, scenario_from_dict

__all__ = [
    "MAX_SWEEP_POINTS",
    "circuit_scenario",
    "circuit_sweep_scenario",
    "outcome_key",
    "read_integer",
    "read_number",
]

#: Most points one sweep may ask for (a widget's sweep runs point by point in the browser).
MAX_SWEEP_POINTS = 1000
_INTEGER = re.compile(r"^[+-]?\d+$")


def read_integer(
    label: str, value: Any, *, minimum: int, maximum: int | None = None, why: str = ""
) -> int:
    """An integer typed into the box ``label`` (an int, or text of one).

    ``why`` (e.g. ``"a sweep estimates probabilities from samples"``) is added to the
    message when the value is out of range.

    Raises:
        ScenarioError: ``"<label>: ..."`` for text that is not a whole number, a fraction,
            a boolean, or a value outside ``[minimum, maximum]``.
    """
    bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        number: Any = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        shown = "nothing" if value is None or value == "" else repr(value)
        raise ScenarioError(f"{label}: expected a whole number {bounds}, got {shown}")
    if number < minimum or (maximum is not None and number > maximum):
        reason = f" ({why})" if why else ""
        raise ScenarioError(f"{label}: must be {bounds}{reason}, got {number}")
    return int(number)


def read_number(label: str, value: Any) -> float:
    """A finite number typed into the box ``label`` (an int/float, or text of one).

    Raises:
        ScenarioError: ``"<label>: ..."`` for empty or non-numeric text, booleans, NaN or
            infinities.
    """
    number: float | None = None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if number is None or not math.isfinite(number):
        shown = "nothing" if value is None or value == "" else repr(value)
        raise ScenarioError(f"{label}: expected a finite number, got {shown}")
    return number


def _circuit_table(circuit: Mapping[str, Any] | str) -> dict[str, Any]:
    """A scenario's ``circuit`` table from a gate-list document or OpenQASM text."""
    if isinstance(circuit, str):
        return {"qasm": circuit}
    if isinstance(circuit, Mapping):
        return dict(circuit)
    raise ScenarioError(
        f"circuit: expected a gate-list object or OpenQASM text, got {type(circuit).__name__}"
    )


def _parsed(table: Mapping[str, Any]) -> Circuit:
    """The unbound circuit of a ``circuit`` table (errors name the table)."""
    try:
        if "qasm" in table:
            from qtcore import qasm

            return qasm.loads(str(table["qasm"]))
        return Circuit.from_dict(table)
    except (QasmError, CircuitError) as e:
        raise ScenarioError(f"circuit: {e}") from None


def _seed(value: Any) -> int:
    return read_integer("seed", value, minimum=0, maximum=MAX_SEED)


def circuit_scenario(
    circuit: Mapping[str, Any] | str,
    *,
    shots: Any,
    seed: Any,
    noise: Mapping[str, Any] | None = None,
    name: str = "circuit",
    title: str | None = None,
) -> Scenario:
    """The ``kind = "circuit"`` scenario of one editor run.

    Args:
        circuit: a gate-list document (:meth:`Circuit.to_dict` form) or OpenQASM text.
        shots: samples (0 = exact state only).
        seed: seed of every random choice.
        noise: a noise table (:meth:`NoiseModel.to_dict` form) or None.
        name: the scenario's name.
        title: one-line title (default: says how many qubits and ops).

    Raises:
        ScenarioError: a bad box value, circuit or noise table, naming which.
    """
    table = _circuit_table(circuit)
    doc: dict[str, Any] = {
        "schema": 1,
        "name": name,
        "kind": "circuit",
        "shots": read_integer("shots", shots, minimum=0),
        "seed": _seed(seed),
        "circuit": table,
    }
    if title is None:
        parsed = _parsed(table)
        title = (
            f"Circuit editor run: {parsed.num_qubits} qubit(s), "
            f"{len(parsed.instructions)} operation(s)"
        )
    doc["title"] = title
    if noise is not None and not isinstance(noise, Mapping):
        raise ScenarioError(f"noise: expected a table of channels, got {type(noise).__name__}")
    if noise:
        doc["noise"] = dict(noise)
    return scenario_from_dict(doc, "<editor>")


def circuit_sweep_scenario(
    circuit: Mapping[str, Any] | str,
    *,
    param: str,
    start: Any,
    stop: Any,
    points: Any,
    shots: Any,
    seed: Any,
    name: str = "sweep",
    title: str | None = None,
) -> Scenario:
    """The ``kind = "sweep"`` scenario of a sweep widget: one circuit parameter, linspace.

    ``python -m qtcore sweep`` on the returned document gives the same numbers: each point
    is seeded from the scenario seed and the point's value (:func:`qtcore.sweep.run_sweep`).

    Raises:
        ScenarioError: ``"points: ..."``, ``"shots: ..."``, ``"param: ..."`` and so on, for
            the box that holds a bad value.
    """
    table = _circuit_table(circuit)
    free = sorted(_parsed(table).parameters)
    if param not in free:
        have = ", ".join(free) if free else "none"
        raise ScenarioError(
            f"param: {param!r} is not a free parameter of the circuit (free: {have})"
        )
    a, b = read_number("start", start), read_number("stop", stop)
    num = read_integer("points", points, minimum=1, maximum=MAX_SWEEP_POINTS)
    n_shots = read_integer(
        "shots", shots, minimum=1, why="a sweep estimates each probability from samples"
    )
    doc: dict[str, Any] = {
        "schema": 1,
        "name": name,
        "title": title or f"Sweep of {param} from {a:g} to {b:g} ({num} points)",
        "kind": "sweep",
        "shots": n_shots,
        "seed": _seed(seed),
        "circuit": table,
        "parameters": {p: a for p in free},
        "report": ["counts"],
        "sweep": {"of": "circuit", "axes": [{"param": param, "linspace": [a, b, num]}]},
    }
    return scenario_from_dict(doc, "<sweep>")


def outcome_key(scenario: Scenario, target: str | None) -> str:
    """The counts key ``target`` names in ``scenario``'s circuit (default: all zeros).

    Counts keys are classical-bit strings (bit 0 rightmost), or qubit strings when the
    circuit measures nothing.

    Raises:
        ScenarioError: ``target`` is not a bit string of that width.
    """
    if "circuit" not in scenario.data:
        raise ScenarioError(f"target: scenario {scenario.name!r} has no circuit")
    circ = _parsed(scenario.data["circuit"])
    measured = any(i.kind == "measure" for i in circ.instructions)
    width = circ.num_clbits if measured else circ.num_qubits
    if target is None or target == "":
        return "0" * width
    if len(target) != width or set(target) - {"0", "1"}:
        what = "classical bits" if measured else "qubits (nothing is measured)"
        raise ScenarioError(
            f"target: expected {width} binary digits ({what}, bit 0 rightmost), got {target!r}"
        )
    return target
