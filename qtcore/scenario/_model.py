"""Scenario files: parse (TOML or JSON) and validate, in one pass, into typed sections.

Loading validates everything a run needs (circuit, parameters, noise, relativity
fields, sandbox worldlines, sweep axes, expected checks) and keeps the result as the
scenario's :attr:`Scenario.section` (see :mod:`qtcore.scenario._sections`), which the
runner consumes; every error is a :class:`~qtcore.errors.ScenarioError` whose message
starts with ``"<file>: <field>: "``. The schema is documented in ``scenarios/README.md``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qtcore._stable import canonical, content_hash
from qtcore.circuit import Circuit
from qtcore.errors import QtcoreError, RelativityDomainError, ScenarioError
from qtcore.noise import NoiseModel
from qtcore.rng import MAX_SEED
from qtcore.scenario._checks import validate_check
from qtcore.scenario._fields import FieldReader
from qtcore.scenario._sections import (
    CircuitSection,
    Section,
    SweepSection,
    build_circuit,
    build_circuit_section,
    build_noise,
    build_relativity_section,
    build_sandbox_section,
)
from qtcore.scenario._sweeps import build_axes
from qtcore.wire import js_safe

__all__ = [
    "KINDS",
    "SCHEMA_VERSION",
    "Scenario",
    "load_scenario",
    "loads_scenario",
    "scenario_from_dict",
    "set_path",
]

SCHEMA_VERSION = 1
KINDS = ("circuit", "relativity", "sandbox", "sweep")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TOP = (
    "schema",
    "name",
    "title",
    "description",
    "kind",
    "seed",
    "shots",
    "circuit",
    "parameters",
    "noise",
    "report",
    "expected",
    "relativity",
    "sandbox",
    "sweep",
    "montecarlo",
    "references",
)


@dataclass
class Scenario:
    """A validated scenario.

    Attributes:
        name: short identifier (file stem by convention).
        title: one-line title.
        kind: ``circuit``, ``relativity``, ``sandbox`` or ``sweep``.
        seed: seed of every random choice (default 0).
        shots: samples for circuit/sandbox runs (default 0 = exact only).
        data: the normalized scenario dictionary (what the content hash covers).
        source: file name used in error messages.
        section: what the run needs, validated and typed (one section per kind).
        expected: the validated checks.
    """

    name: str
    title: str
    kind: str
    seed: int
    shots: int
    data: dict[str, Any]
    source: str
    section: Section
    expected: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""

    @property
    def content_hash(self) -> str:
        """``sha256:...`` of the normalized scenario JSON (sorted keys, compact)."""
        return content_hash(self.data)

    @property
    def point_kind(self) -> str:
        """The kind each run executes (a sweep's ``sweep.of``)."""
        if isinstance(self.section, SweepSection):
            return self.section.of
        return self.kind

    def with_value(self, path: str, value: Any) -> Scenario:
        """A re-validated copy with the field at dotted ``path`` set to ``value``."""
        data = copy.deepcopy(self.data)
        set_path(data, path, value, self.source)
        return scenario_from_dict(data, self.source)

    def circuit(self) -> Circuit:
        """The circuit with ``parameters`` bound (circuit scenarios).

        Raises:
            ScenarioError: the scenario has no complete circuit.
        """
        if isinstance(self.section, CircuitSection):
            return self.section.circuit
        return build_circuit(self.data, self.source)

    def noise(self) -> NoiseModel | None:
        """The :class:`~qtcore.noise.NoiseModel`, or None."""
        if isinstance(self.section, CircuitSection):
            return self.section.noise
        return build_noise(self.data, self.source)

    def to_wire(self) -> dict[str, Any]:
        """The site's wire form: a summary with camelCase keys, plus ``document``.

        ``document`` is the normalized scenario exactly as a scenario file holds it (what
        the content hash covers, what the registry stores and what :func:`scenario_from_dict`
        reads back), so it keeps the file format's names. Integers beyond 2**53 - 1 are
        decimal strings (:func:`qtcore.wire.js_safe`): a browser would round them.
        """
        wire = {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "pointKind": self.point_kind,
            "description": self.description,
            "seed": self.seed,
            "shots": self.shots,
            "contentHash": self.content_hash,
            "document": self.data,
        }
        safe: dict[str, Any] = js_safe(wire)
        return safe


def set_path(data: dict[str, Any], path: str, value: Any, source: str = "<input>") -> None:
    """Sets ``data[a][b]...`` for ``path = "a.b..."``; a bare name means ``parameters.name``.

    Raises:
        ScenarioError: when an intermediate table is missing.
    """
    parts = path.split(".") if "." in path else ["parameters", path]
    cur: Any = data
    for i, part in enumerate(parts[:-1]):
        nxt = cur.get(part) if isinstance(cur, dict) else None
        if not isinstance(nxt, dict):
            if part == "parameters" and i == 0:
                nxt = cur.setdefault("parameters", {})
            else:
                raise ScenarioError(
                    f"{source}: {path}: no table {'.'.join(parts[: i + 1])!r} to set "
                    f"{parts[-1]!r} in"
                )
        cur = nxt
    cur[parts[-1]] = value


def _parse(text: str, fmt: str, source: str) -> dict[str, Any]:
    if fmt == "toml":
        import tomllib  # here, not at import: the site's first run reads no TOML

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ScenarioError(f"{source}: not valid TOML: {e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioError(
            f"{source}: not valid JSON: line {e.lineno}, column {e.colno}: {e.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario must be a JSON object, got {type(data).__name__}"
        )
    return data


def loads_scenario(text: str, fmt: str = "toml", source: str = "<string>") -> Scenario:
    """Parses and validates scenario text.

    Args:
        text: TOML or JSON text.
        fmt: ``"toml"`` or ``"json"``.
        source: name used in error messages.
    """
    if fmt not in ("toml", "json"):
        raise ScenarioError(f"{source}: format must be 'toml' or 'json', got {fmt!r}")
    return scenario_from_dict(_parse(text, fmt, source), source)


def load_scenario(path: str) -> Scenario:
    """Reads and validates a ``.toml`` or ``.json`` scenario file."""
    lower = str(path).lower()
    if lower.endswith(".toml"):
        fmt = "toml"
    elif lower.endswith(".json"):
        fmt = "json"
    else:
        raise ScenarioError(f"{path}: a scenario file must end in .toml or .json")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read: {e.strerror}") from None
    return loads_scenario(text, fmt, str(path))


def _validate_parameters(source: str, params: Any) -> None:
    if not isinstance(params, Mapping):
        raise ScenarioError(f"{source}: parameters: must be a table of name = number")
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ScenarioError(f"{source}: parameters.{k}: must be a number, got {v!r}")


def _sweep_section(source: str, data: dict[str, Any]) -> SweepSection:
    """``[sweep]``, its axes, and the first point validated as a scenario of kind ``of``."""
    if "sweep" not in data:
        raise ScenarioError(f"{source}: sweep: missing table for kind = 'sweep'")
    r = FieldReader(source, data["sweep"], "sweep")
    of = r.string("of", required=True, choices=("circuit", "relativity", "sandbox"))
    combine = r.string("combine", choices=("product", "zip")) or "product"
    cols = r.raw("columns")
    if cols is not None and (
        not isinstance(cols, list) or not all(isinstance(c, str) for c in cols)
    ):
        raise r.error("columns", "must be a list of output paths")
    r.raw("axes")
    r.finish()
    assert of is not None
    axes = build_axes(data, source)
    base = copy.deepcopy(data)
    base["kind"] = of
    base.pop("sweep")
    base.pop("expected", None)  # the sweep's checks apply to its table, not to a point
    first = copy.deepcopy(base)
    for ax in axes:
        set_path(first, ax.name, ax.values[0], source)
    scenario_from_dict(first, source)
    return SweepSection(of, tuple(axes), combine, tuple(cols) if cols else None, base)


def _section(kind: str, source: str, norm: dict[str, Any]) -> Section:
    if kind == "sweep":
        return _sweep_section(source, norm)
    if kind == "circuit":
        return build_circuit_section(norm, source)
    if kind == "relativity":
        return build_relativity_section(norm, source)
    return build_sandbox_section(norm, source)


# The tables only some kinds use: a table the scenario's (point) kind does not read is an
# error, not silently ignored.
_USED_BY = {
    "circuit": ("circuit",),
    "noise": ("circuit",),
    "montecarlo": ("circuit",),
    "report": ("circuit",),
    "relativity": ("relativity",),
    "sandbox": ("sandbox",),
    "sweep": ("sweep",),
}


def scenario_from_dict(data: Mapping[str, Any], source: str = "<input>") -> Scenario:
    """Validates a parsed scenario dictionary and returns a :class:`Scenario`."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: a scenario must be a table, got {data!r}")
    try:
        norm = canonical(data)
    except (TypeError, ValueError) as e:
        raise ScenarioError(f"{source}: {e}") from None
    r = FieldReader(source, norm, "")
    schema = r.integer("schema", default=SCHEMA_VERSION, minimum=1)
    if schema != SCHEMA_VERSION:
        raise r.error(
            "schema", f"version {schema} is not supported (this qtcore reads {SCHEMA_VERSION})"
        )
    name = r.string("name", required=True)
    assert name is not None
    if not _NAME.match(name):
        raise r.error("name", f"{name!r} must be letters, digits, '_', '-' or '.'")
    title = r.string("title", required=True)
    description = r.string("description") or ""
    kind = r.string("kind", required=True, choices=KINDS)
    seed = r.integer("seed", default=0)
    if seed > MAX_SEED:
        raise r.error("seed", f"must be <= 2**63 - 1, got {seed}")
    shots = r.integer("shots", default=0)
    refs = r.raw("references")
    if refs is not None and not (isinstance(refs, list) and all(isinstance(x, str) for x in refs)):
        raise r.error("references", "must be a list of strings")
    report = r.raw("report")
    if report is not None and not (
        isinstance(report, list) and all(isinstance(x, str) for x in report)
    ):
        raise r.error("report", "must be a list of output names")
    if "parameters" in norm:
        _validate_parameters(source, r.raw("parameters"))
    for table in ("circuit", "noise", "relativity", "sandbox", "sweep", "montecarlo"):
        r.raw(table)
    expected_raw = r.raw("expected", [])
    if not isinstance(expected_raw, list):
        raise r.error("expected", "must be a list of check tables ([[expected]] in TOML)")
    r.finish()
    assert kind is not None and title is not None
    point = (
        norm["sweep"].get("of") if kind == "sweep" and isinstance(norm.get("sweep"), dict) else kind
    )
    try:
        section = _section(kind, source, norm)
    except ScenarioError:
        raise
    except (RelativityDomainError, QtcoreError) as e:
        raise ScenarioError(f"{source}: {point}: {e}") from None
    for table, kinds in _USED_BY.items():
        if table in norm and point not in kinds and kind not in kinds:
            raise ScenarioError(f"{source}: {table}: not used by a {kind!r} scenario")
    expected = [validate_check(source, i, spec) for i, spec in enumerate(expected_raw)]
    return Scenario(name, title, kind, seed, shots, norm, source, section, expected, description)
