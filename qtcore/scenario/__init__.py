"""Scenario files: one reproducible experiment per file, run with provenance.

>>> from qtcore.scenario import loads_scenario, run_scenario
>>> sc = loads_scenario('''
... name = "gamma"
... title = "Lorentz factor at 0.6 c"
... kind = "relativity"
... [relativity]
... calculator = "gamma"
... speed = "0.6c"
... [[expected]]
... check = "value"
... path = "gamma"
... value = 1.25
... rtol = 1e-12
... ''')
>>> run_scenario(sc).passed
True

The schema is documented in ``scenarios/README.md``; loading errors are
:class:`~qtcore.errors.ScenarioError` naming the file, the field and the problem.
Loading validates a scenario once, into the typed section of its kind
(:class:`CircuitSection`, :class:`RelativitySection`, :class:`SandboxSection`,
:class:`SweepSection`: ``Scenario.section``), which :func:`run_scenario` consumes.
"""

from __future__ import annotations

from qtcore._stable import canonical, content_hash, dumps_stable
from qtcore.scenario._calculators import CALCULATORS, calculate
from qtcore.scenario._checks import CHECKS, CheckResult, lookup
from qtcore.scenario._documents import (
    MAX_SWEEP_POINTS,
    circuit_scenario,
    circuit_sweep_scenario,
    outcome_key,
    read_integer,
    read_number,
)
from qtcore.scenario._model import (
    KINDS,
    SCHEMA_VERSION,
    Scenario,
    load_scenario,
    loads_scenario,
    scenario_from_dict,
    set_path,
)
from qtcore.scenario._runner import ScenarioResult, run_scenario
from qtcore.scenario._sections import (
    CircuitSection,
    MonteCarloSection,
    RelativitySection,
    SandboxSection,
    Section,
    SweepSection,
)
from qtcore.scenario._sweeps import parse_axis

__all__ = [
    "CALCULATORS",
    "CHECKS",
    "KINDS",
    "MAX_SWEEP_POINTS",
    "SCHEMA_VERSION",
    "CheckResult",
    "CircuitSection",
    "MonteCarloSection",
    "RelativitySection",
    "SandboxSection",
    "Scenario",
    "ScenarioResult",
    "Section",
    "SweepSection",
    "calculate",
    "canonical",
    "circuit_scenario",
    "circuit_sweep_scenario",
    "content_hash",
    "dumps_stable",
    "load_scenario",
    "loads_scenario",
    "lookup",
    "outcome_key",
    "parse_axis",
    "read_integer",
    "read_number",
    "run_scenario",
    "scenario_from_dict",
    "set_path",
]
