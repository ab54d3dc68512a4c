r"""Quantum clocks on relativistic worldlines, each one an ordinary :class:`~qtcore.Circuit`.

A clock qubit has levels :math:`|0\rangle, |1\rangle` split by :math:`\hbar\omega`
(:math:`\omega = 2\pi f`); over proper time :math:`\tau` it evolves by
:math:`\mathrm{diag}(1, e^{-i\omega\tau}) = P(-\omega\tau)`. Only phase *differences*
are observable, so every experiment works in the frame of a reference clock ``b``:
clock ``a`` carries :math:`P(-\omega\,\Delta\tau)` with :math:`\Delta\tau = \tau_a -
\tau_b` taken from :func:`~qtcore.sandbox.compare` (the relativity module's
cancellation-free difference), never from ``omega * tau_a - omega * tau_b``, which
would lose every digit: at 429 THz and 1 s, one ulp of :math:`\omega\tau` is 0.5 rad.

Real proper-time differences are tiny (1e-16 per metre of height on Earth), so the
frequency ``f`` (Hz) and the ``duration`` (s) are the user's choice and are stated in
every experiment's ``parameters``: an optical clock (429 THz, strontium) compared over
1 s at 1 m height difference gives :math:`\omega\Delta\tau \approx 0.29` rad.

Decoherence (``t1``, ``t2`` in seconds of the clock's own proper time) is built into the
circuit as environment qubits (a Stinespring dilation): amplitude damping with
:math:`\gamma = 1 - e^{-\tau/T_1}` and phase damping with
:math:`1 - \lambda = e^{\tau/T_1 - 2\tau/T_2}`, so the clock's coherence decays as
:math:`e^{-\tau/T_2}` and the circuit's frames stay exact (no sampling).
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from qtcore.circuit import Circuit
from qtcore.errors import RelativityDomainError
from qtcore.sandbox._worldlines import ProperTimes, Worldline, compare
from qtcore.sim import StateVector, simulate

__all__ = [
    "ClockExperiment",
    "clock_interferometer",
    "damping_parameters",
    "entangled_clocks",
    "ramsey_comparison",
    "wrap_phase",
]


_TWO_PI = Decimal("6.283185307179586476925286766559005768394338798750211641949889")


def wrap_phase(phi: float) -> float:
    """``phi`` reduced to (-pi, pi] against the true 2 pi (50 digits, not the double).

    Reducing a large phase by the double nearest 2 pi would add 2.4e-16 rad per turn.
    """
    if not math.isfinite(phi):
        raise RelativityDomainError(f"phase must be finite, got {phi!r}")
    if abs(phi) <= math.pi:
        return phi
    with localcontext() as ctx:
        ctx.prec = 60
        x = Decimal(phi)
        turns = (x / _TWO_PI).to_integral_value(rounding=ROUND_HALF_EVEN)
        w = float(x - turns * _TWO_PI)
    return math.pi if w <= -math.pi else w


def _check_frequency(frequency: float) -> float:
    if isinstance(frequency, bool) or not isinstance(frequency, int | float):
        raise RelativityDomainError(f"frequency must be a number in Hz, got {frequency!r}")
    f = float(frequency)
    if not math.isfinite(f) or f <= 0.0:
        raise RelativityDomainError(f"frequency must be finite and > 0 Hz, got {frequency!r}")
    return f


def damping_parameters(tau: float, t1: float | None, t2: float | None) -> tuple[float, float]:
    """(gamma, lambda) of amplitude and phase damping over proper time ``tau``.

    gamma = 1 - exp(-tau/T1); 1 - lambda = exp(tau/T1 - 2 tau/T2), so that the
    off-diagonal element decays by exp(-tau/T2). ``None`` means "no such process"
    (T1 = infinity; T2 = 2 T1).

    Raises:
        RelativityDomainError: for T1 or T2 <= 0 or T2 > 2 T1 (unphysical).
    """
    for name, v in (("t1", t1), ("t2", t2)):
        if v is not None and (not math.isfinite(v) or v <= 0.0):
            raise RelativityDomainError(f"{name} must be finite and > 0 s, got {v!r}")
    if t1 is not None and t2 is not None and t2 > 2.0 * t1:
        raise RelativityDomainError(f"T2 = {t2!r} s exceeds 2 T1 = {2.0 * t1!r} s (unphysical)")
    gamma = 0.0 if t1 is None else -math.expm1(-tau / t1)
    if t2 is None:
        lam = 0.0
    else:
        inv_t1 = 0.0 if t1 is None else 1.0 / t1
        lam = -math.expm1(tau * inv_t1 - 2.0 * tau / t2)
    return gamma, lam


def _t2_effective(t1: float | None, t2: float | None) -> float:
    """T2, or 2 T1 when only T1 is given, or infinity without decoherence."""
    if t2 is not None:
        return t2
    return math.inf if t1 is None else 2.0 * t1


def _add_damping(circ: Circuit, q: int, env: list[int], gamma: float, lam: float) -> None:
    """Appends amplitude (env[0]) and phase (env[1]) damping of qubit ``q`` as unitaries."""
    if gamma > 0.0:
        circ.cry(2.0 * math.asin(math.sqrt(gamma)), q, env[0]).cx(env[0], q)
    if lam > 0.0:
        circ.cry(2.0 * math.asin(math.sqrt(lam)), q, env[1])


@dataclass
class ClockExperiment:
    """A sandbox experiment: a circuit plus the relativity behind it.

    Attributes:
        name: ``"ramsey"``, ``"interferometer"`` or ``"entangled"``.
        circuit: the circuit (runs with :func:`~qtcore.simulate` / ``iter_steps`` /
            frames like any other).
        parameters: the relativity inputs and derived values (frequency, omega, worldlines,
            tau_a, tau_b, delta_tau, phase = omega * delta_tau, ...).
        predictions: analytic expectations of the measured quantities.
        qubits: role of each qubit (``{"clock": 0, ...}``).
    """

    name: str
    circuit: Circuit
    parameters: dict[str, Any]
    predictions: dict[str, float]
    qubits: dict[str, int] = field(default_factory=dict)

    def final_state(self, backend: str = "auto") -> StateVector:
        """The exact state before the final measurement."""
        return simulate(self.circuit, 0, seed=0, backend=backend).state

    def frames(self, *, seed: int = 0, backend: str = "auto") -> Iterator[Any]:
        """The circuit's :func:`qtcore.frames.iter_frames`, with the relativity parameters and
        predictions in every frame's ``meta`` (``{"sandbox": {...}}``)."""
        from qtcore.frames import iter_frames

        meta = {
            "sandbox": {
                "experiment": self.name,
                "parameters": self.parameters,
                "predictions": self.predictions,
                "qubits": self.qubits,
            }
        }
        return iter_frames(self.circuit, seed=seed, backend=backend, meta=meta)

    def run(
        self, *, shots: int = 0, seed: int | None = None, backend: str = "auto"
    ) -> dict[str, Any]:
        """Simulates the circuit and returns measured values next to the predictions.

        Returns:
            ``{"parameters", "predictions", "measured", "counts", "kernel", "seed"}``;
            ``measured`` holds exact values from the state vector (and ``p1_sampled`` /
            ``p0_sampled`` from the counts when ``shots > 0``).
        """
        res = simulate(self.circuit, shots, seed=seed if seed is not None else 0, backend=backend)
        measured = _MEASURE[self.name](self, res.state)
        if shots:
            ones = sum(c for k, c in res.counts.items() if k[-1] == "1")
            measured["p1_sampled"] = ones / shots
        return {
            "parameters": dict(self.parameters),
            "predictions": dict(self.predictions),
            "measured": measured,
            "counts": dict(res.counts),
            "kernel": res.kernel,
            "seed": res.seed,
        }


def _base_parameters(
    a: Worldline, b: Worldline, frequency: float, times: ProperTimes
) -> dict[str, Any]:
    omega = 2.0 * math.pi * frequency
    phase = omega * times.delta_tau
    return {
        "clock_a": a.describe(),
        "clock_b": b.describe(),
        "frequency": frequency,
        "omega": omega,
        "tau_a": times.tau_a,
        "tau_b": times.tau_b,
        "delta_tau": times.delta_tau,
        "fractional": times.fractional,
        "difference_method": times.method,
        "phase": phase,
        "phase_wrapped": wrap_phase(phase),
        "total_phase_a": omega * times.tau_a,
        "note": (
            "phase = omega * delta_tau with omega = 2 pi frequency (frequency chosen by the "
            "user); total_phase_a = omega * tau_a is not reduced modulo 2 pi"
        ),
    }


def _p1(state: StateVector, q: int) -> float:
    return state.probabilities([q])[1]


def ramsey_comparison(
    clock: Worldline,
    reference: Worldline,
    *,
    frequency: float,
    duration: float | None = None,
    t1: float | None = None,
    t2: float | None = None,
) -> ClockExperiment:
    """Ramsey fringe of a clock against a reference clock's oscillator.

    Circuit (qubit 0 = clock; 1, 2 = environment when T1/T2 are given):
    ``H; P(-omega delta_tau); [damping over tau_a]; H; measure``. Prediction:
    P(1) = (1 - exp(-tau_a/T2) cos(omega delta_tau)) / 2.

    Args:
        clock: worldline of the clock.
        reference: worldline of the reference (its proper time is ``duration``).
        frequency: clock frequency f in Hz (omega = 2 pi f).
        duration: proper time of the reference in s (omit for trajectories).
        t1: energy relaxation time in s of the clock's proper time (None = none).
        t2: coherence time in s (None = 2 T1, or none).
    """
    f = _check_frequency(frequency)
    times = compare(clock, reference, duration)
    params = _base_parameters(clock, reference, f, times)
    gamma, lam = damping_parameters(times.tau_a, t1, t2)
    env = gamma > 0.0 or lam > 0.0
    circ = Circuit(3 if env else 1, 1, name="ramsey")
    circ.h(0).p(-params["phase_wrapped"], 0)
    if env:
        _add_damping(circ, 0, [1, 2], gamma, lam)
    circ.h(0).measure(0, 0)
    coherence = math.exp(-times.tau_a / _t2_effective(t1, t2))
    params.update({"t1": t1, "t2": t2, "gamma": gamma, "lambda": lam})
    predictions = {
        "p1": 0.5 * (1.0 - coherence * math.cos(params["phase_wrapped"])),
        "coherence": coherence,
    }
    return ClockExperiment("ramsey", circ, params, predictions, {"clock": 0})


def clock_interferometer(
    arm_a: Worldline,
    arm_b: Worldline,
    *,
    frequency: float,
    duration: float | None = None,
    interferometer_phase: float = 0.0,
) -> ClockExperiment:
    """A clock in superposition of two paths (clock interferometry, Zych et al. 2011).

    Qubit 0 = which path (1 = arm a), qubit 1 = the clock, prepared in (|0>+|1>)/sqrt 2.
    Circuit: ``H(path); H(clock); CP(-omega delta_tau)(path, clock);
    P(phi0)(path); H(path); measure path``. The clock's proper time marks the path,
    so the fringe visibility is |cos(omega delta_tau / 2)| and
    P(path = 0) = (1 + cos(dphi/2) cos(phi0 - dphi/2)) / 2.
    """
    f = _check_frequency(frequency)
    times = compare(arm_a, arm_b, duration)
    params = _base_parameters(arm_a, arm_b, f, times)
    phi0 = float(interferometer_phase)
    params["interferometer_phase"] = phi0
    dphi = params["phase_wrapped"]
    circ = Circuit(2, 1, name="clock_interferometer")
    circ.h(0).h(1).cp(-dphi, 0, 1).p(phi0, 0).h(0).measure(0, 0)
    c = math.cos(0.5 * dphi)  # |cos| is 2 pi-periodic in dphi, so the wrapped phase serves
    predictions = {
        "visibility": abs(c),
        "distinguishability": abs(math.sin(0.5 * dphi)),
        "p0": 0.5 * (1.0 + c * math.cos(phi0 - 0.5 * dphi)),
    }
    return ClockExperiment("interferometer", circ, params, predictions, {"path": 0, "clock": 1})


def entangled_clocks(
    clock_a: Worldline,
    clock_b: Worldline,
    *,
    frequency: float,
    duration: float | None = None,
    t1: float | None = None,
    t2: float | None = None,
) -> ClockExperiment:
    """Two clock qubits in the Bell state (|01> + |10>)/sqrt 2 on different worldlines.

    Qubit 0 = clock a, qubit 1 = clock b (2..5 = environment with T1/T2). In b's frame
    the state becomes (|10> + e^{-i omega delta_tau}|01>)/sqrt 2: the relative phase
    arg(amp(01)/amp(10)) = -omega delta_tau (wrapped). The readout ``CX(0,1); H(0)``
    gives P(qubit 0 = 1) = sin^2(omega delta_tau / 2) without decoherence; each clock
    decoheres in its own proper time, so the Bell coherence 2|rho_{01,10}| is
    exp(-tau_a/T2 - tau_b/T2).
    """
    f = _check_frequency(frequency)
    times = compare(clock_a, clock_b, duration)
    params = _base_parameters(clock_a, clock_b, f, times)
    ga, la = damping_parameters(times.tau_a, t1, t2)
    gb, lb = damping_parameters(times.tau_b, t1, t2)
    env = any(x > 0.0 for x in (ga, la, gb, lb))
    circ = Circuit(6 if env else 2, 1, name="entangled_clocks")
    circ.x(1).h(0).cx(0, 1).p(-params["phase_wrapped"], 0)
    if env:
        _add_damping(circ, 0, [2, 3], ga, la)
        _add_damping(circ, 1, [4, 5], gb, lb)
    circ.barrier().cx(0, 1).h(0).measure(0, 0)
    coherence = math.exp(-(times.tau_a + times.tau_b) / _t2_effective(t1, t2))
    params.update({"t1": t1, "t2": t2})
    predictions = {
        "relative_phase": -params["phase_wrapped"]
        if params["phase_wrapped"] != math.pi
        else math.pi,
        "bell_coherence": coherence,
    }
    if not env:
        predictions["p1"] = math.sin(0.5 * params["phase_wrapped"]) ** 2
    return ClockExperiment("entangled", circ, params, predictions, {"clock_a": 0, "clock_b": 1})


def _bell_state_before_readout(exp: ClockExperiment, like: StateVector) -> StateVector:
    """State right after the clocks' evolution (before the readout CX, H), held by the
    same kernel as ``like``."""
    circ = exp.circuit
    cut = next(i for i, ins in enumerate(circ.instructions) if ins.kind == "barrier")
    prefix = Circuit(circ.num_qubits, name="entangled_prefix")
    for ins in circ.instructions[:cut]:
        assert ins.gate is not None
        prefix.append(ins.gate, ins.qubits)
    return StateVector.zero(prefix.num_qubits, backend=like.kernel).evolve(prefix)


def _measure_ramsey(exp: ClockExperiment, state: StateVector) -> dict[str, float]:
    return {"p1": _p1(state, 0)}


def _measure_interferometer(exp: ClockExperiment, state: StateVector) -> dict[str, float]:
    p0 = 1.0 - _p1(state, 0)
    # Visibility from two exact runs at phi0 = 0 and pi/2 (the fringe's two quadratures):
    # P0(phi0) - 1/2 = (V/2) cos(phi0 - chi), so V = 2 hypot(P0(0) - 1/2, P0(pi/2) - 1/2).
    dphi = exp.parameters["phase_wrapped"]
    quad = []
    for phi0 in (0.0, 0.5 * math.pi):
        c = Circuit(2, name="fringe").h(0).h(1).cp(-dphi, 0, 1).p(phi0, 0).h(0)
        fringe = StateVector.zero(2, backend=state.kernel).evolve(c)
        quad.append(0.5 - _p1(fringe, 0))
    return {"p0": p0, "visibility": 2.0 * math.hypot(quad[0], quad[1])}


def _measure_entangled(exp: ClockExperiment, state: StateVector) -> dict[str, float]:
    pre = _bell_state_before_readout(exp, state)
    rho = pre.reduced_density_matrix([0, 1])
    element = rho[1][2]  # <01| rho |10>: qubit 0 excited vs qubit 1 excited
    return {
        "p1": _p1(state, 0),
        "relative_phase": cmath.phase(element) if abs(element) > 0 else 0.0,
        "bell_coherence": 2.0 * abs(element),
    }


_MEASURE: dict[str, Any] = {
    "ramsey": _measure_ramsey,
    "interferometer": _measure_interferometer,
    "entangled": _measure_entangled,
}
