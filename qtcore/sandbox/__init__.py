"""The quantum-time sandbox: clock qubits whose evolution runs on relativistic proper time.

Every experiment is a :class:`ClockExperiment`: an ordinary :class:`~qtcore.Circuit` (so it
runs, steps and produces frames like any other circuit) plus the relativity parameters
behind it and the analytic predictions of what it measures.

Example:
    >>> from qtcore.sandbox import Static, clock_interferometer
    >>> exp = clock_interferometer(Static(1.0), Static(0.0), frequency=429e12, duration=1.0)
    >>> round(exp.predictions["visibility"], 3)
    0.989
"""

from __future__ import annotations

from qtcore.sandbox._experiments import (
    ClockExperiment,
    clock_interferometer,
    damping_parameters,
    entangled_clocks,
    ramsey_comparison,
    wrap_phase,
)
from qtcore.sandbox._worldlines import (
    Flight,
    Ground,
    Inertial,
    Moving,
    Orbit,
    ProperTimes,
    Static,
    Trajectory,
    Worldline,
    compare,
    segments_from_specs,
)

__all__ = [
    "ClockExperiment",
    "Flight",
    "Ground",
    "Inertial",
    "Moving",
    "Orbit",
    "ProperTimes",
    "Static",
    "Trajectory",
    "Worldline",
    "clock_interferometer",
    "compare",
    "damping_parameters",
    "entangled_clocks",
    "ramsey_comparison",
    "segments_from_specs",
    "wrap_phase",
]
