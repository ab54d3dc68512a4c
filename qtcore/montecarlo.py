r"""Monte-Carlo repetition of noisy or sampled experiments, with confidence intervals.

Intervals (each :class:`Estimate` names its ``method``):

* ``"wilson"`` -- proportions (k successes in n trials): the Wilson score interval
  :math:`\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}`,
  which stays inside [0, 1] and behaves at k = 0 or k = n (unlike the Wald interval).
* ``"student-t"`` -- means of n samples: :math:`\bar x \pm t_{n-1,(1+c)/2}\,s/\sqrt n`
  with the sample standard deviation *s* (the default for means).
* ``"normal"`` -- the same with the normal quantile *z* (large n).

*z* is :class:`statistics.NormalDist`'s inverse CDF; the Student-t quantile inverts the
t CDF, written with the regularized incomplete beta function (continued fraction), to
~1e-12. Every repetition ``i`` gets its own seed ``derive_seed(seed, "repetition", i)``,
so results do not depend on batch sizes (in fixed-repetition mode) and are the same on every
interpreter, and on any executor with any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qtcore.parallel import CancelCheck, is_cancelled, run_chunked
from qtcore.rng import derive_seed
from qtcore.wire import js_safe

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = [
    "Estimate",
    "MonteCarloResult",
    "mean_interval",
    "monte_carlo",
    "normal_quantile",
    "student_t_quantile",
    "wilson_interval",
]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with a two-sided confidence interval.

    Attributes:
        value: the estimate (a proportion or a mean).
        low: lower end of the interval.
        high: upper end of the interval.
        n: number of samples.
        confidence: the interval's confidence level, e.g. 0.95.
        method: ``"wilson"``, ``"student-t"`` or ``"normal"``.
        std_error: standard error of the estimate (sqrt(p(1-p)/n) for proportions).
    """

    value: float
    low: float
    high: float
    n: int
    confidence: float
    method: str
    std_error: float

    @property
    def width(self) -> float:
        """high - low."""
        return self.high - self.low

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (plus ``width``)."""
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "confidence": self.confidence,
            "method": self.method,
            "std_error": self.std_error,
            "width": self.width,
        }

    def to_wire(self) -> dict[str, Any]:
        """The site's wire form: :meth:`to_dict` with camelCase keys (``stdError``)."""
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "confidence": self.confidence,
            "method": self.method,
            "stdError": self.std_error,
            "width": self.width,
        }


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return c


def normal_quantile(p: float) -> float:
    """The standard normal quantile (inverse CDF) at ``p`` in (0, 1)."""
    from statistics import NormalDist  # here: the site's first run needs no interval

    return NormalDist().inv_cdf(p)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
    ln += b * math.log1p(-x)
    front = math.exp(ln)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0: I_{df/(df+t^2)}(df/2, 1/2) / 2."""
    return 0.5 * _betainc(0.5 * df, 0.5, df / (df + t * t))


def student_t_quantile(p: float, df: float) -> float:
    """The Student-t quantile at ``p`` in (0, 1) for ``df`` > 0 degrees of freedom."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if not df > 0.0:
        raise ValueError(f"df must be > 0, got {df!r}")
    if p == 0.5:
        return 0.0
    tail = 1.0 - p if p > 0.5 else p
    lo, hi = 0.0, 1.0
    while _t_upper_tail(hi, df) > tail:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_upper_tail(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    t = 0.5 * (lo + hi)
    return t if p > 0.5 else -t


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Wilson score interval for a proportion of ``successes`` in ``n`` trials.

    Raises:
        ValueError: for n < 1 or successes outside [0, n].
    """
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    c = _check_confidence(confidence)
    z = normal_quantile(0.5 + 0.5 * c)
    p = successes / n
    z2n = z * z / n
    centre = (p + 0.5 * z2n) / (1.0 + z2n)
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / (1.0 + z2n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high, n, c, "wilson", math.sqrt(p * (1.0 - p) / n))


def mean_interval(
    samples: Sequence[float], confidence: float = 0.95, method: str = "student-t"
) -> Estimate:
    """Mean of ``samples`` with a Student-t (default) or normal interval.

    Raises:
        ValueError: fewer than 2 samples, or an unknown method.
    """
    if method not in ("student-t", "normal"):
        raise ValueError(f"method must be 'student-t' or 'normal', got {method!r}")
    n = len(samples)
    if n < 2:
        raise ValueError(f"a mean interval needs at least 2 samples, got {n}")
    c = _check_confidence(confidence)
    mean = math.fsum(samples) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in samples) / (n - 1))
    se = sd / math.sqrt(n)
    q = (
        student_t_quantile(0.5 + 0.5 * c, n - 1)
        if method == "student-t"
        else normal_quantile(0.5 + 0.5 * c)
    )
    return Estimate(mean, mean - q * se, mean + q * se, n, c, method, se)


@dataclass
class MonteCarloResult:
    """What :func:`monte_carlo` did.

    Attributes:
        estimate: the final :class:`Estimate` (None if cancelled before any repetition).
        repetitions: repetitions run.
        status: ``"completed"``, ``"target_reached"``, ``"max_repetitions"`` or
            ``"cancelled"``.
        target_width: the requested interval width, or None.
        seed: the parent seed.
        samples: every sample in repetition order.
    """

    estimate: Estimate | None
    repetitions: int
    status: str
    target_width: float | None
    seed: int
    samples: list[float] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """True when a target width was asked and reached."""
        return self.status == "target_reached"

    def to_dict(self, samples: bool = False) -> dict[str, Any]:
        """JSON-ready summary (samples only when asked)."""
        out: dict[str, Any] = {
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
            "repetitions": self.repetitions,
            "status": self.status,
            "target_width": self.target_width,
            "seed": self.seed,
        }
        if samples:
            out["samples"] = list(self.samples)
        return out

    def to_wire(self, samples: bool = False) -> dict[str, Any]:
        """The site's wire form: :meth:`to_dict` with camelCase keys (``targetWidth``)."""
        out: dict[str, Any] = {
            "estimate": None if self.estimate is None else self.estimate.to_wire(),
            "repetitions": self.repetitions,
            "status": self.status,
            "targetWidth": self.target_width,
            "seed": js_safe(self.seed),
        }
        if samples:
            out["samples"] = list(self.samples)
        return out


@dataclass(frozen=True)
class _Repetitions:
    """Runs batches of a trial's repetitions (picklable when ``trial`` is).

    A batch ``(start, stop)`` is repetitions ``start .. stop - 1``; a task takes a chunk of
    batches (:func:`~qtcore.parallel.run_chunked`) and returns each batch's outcomes.
    """

    trial: Callable[[int], float | bool]
    seed: int

    def __call__(self, spans: Sequence[tuple[int, int]]) -> list[list[float | bool]]:
        return [
            [self.trial(derive_seed(self.seed, "repetition", i)) for i in range(*span)]
            for span in spans
        ]


def monte_carlo(
    trial: Callable[[int], float | bool],
    *,
    seed: int,
    repetitions: int | None = None,
    target_width: float | None = None,
    max_repetitions: int = 100_000,
    min_repetitions: int = 30,
    batch: int = 100,
    confidence: float = 0.95,
    kind: str = "proportion",
    progress: Callable[[int, int, Any], None] | None = None,
    cancel: CancelCheck | None = None,
    executor: Executor | None = None,
) -> MonteCarloResult:
    """Repeats ``trial(seed_i)`` and estimates its mean with a confidence interval.

    With an ``executor`` several batches of repetitions run at once and are taken in order,
    and in target-width mode the batches after the one that reached the target are dropped
    -- so the samples, estimate and status are the same whatever the executor and its
    number of workers. A task runs one batch in target-width mode; with a fixed number of
    repetitions it runs as many batches as keep the executor's cost per task small
    (:func:`~qtcore.parallel.run_chunked`).

    Args:
        trial: called with repetition ``i``'s seed ``derive_seed(seed, "repetition", i)``;
            returns a bool/0-1 outcome (``kind="proportion"``) or a number (``"mean"``).
            With an executor that runs other processes it must be picklable (a
            module-level function or an instance of a module-level class).
        seed: parent seed.
        repetitions: fixed number of repetitions (exclusive with ``target_width``).
        target_width: repeat until the interval's full width is at most this (checked
            after every ``batch``, never before ``min_repetitions``), up to
            ``max_repetitions``.
        max_repetitions: cap for the target-width mode.
        min_repetitions: least repetitions before the width is trusted.
        batch: repetitions between width checks, progress reports and cancel checks.
        confidence: interval confidence level.
        kind: ``"proportion"`` (Wilson) or ``"mean"`` (Student-t).
        progress: ``progress(done, total, estimate_or_None)`` after each batch (total is
            ``max_repetitions`` in target-width mode), in this thread.
        cancel: a callable returning True, or a :class:`~qtcore.sweep.CancelToken`,
            checked between batches (with an executor also while waiting for one).
        executor: any :class:`concurrent.futures.Executor`; ``None`` runs the batches here.

    Raises:
        ValueError: for inconsistent arguments or a proportion trial returning other
            than 0/1.
    """
    if (repetitions is None) == (target_width is None):
        raise ValueError("give exactly one of repetitions or target_width")
    if kind not in ("proportion", "mean"):
        raise ValueError(f"kind must be 'proportion' or 'mean', got {kind!r}")
    if repetitions is not None and repetitions < 1:
        raise ValueError(f"repetitions must be >= 1, got {repetitions}")
    if target_width is not None and not target_width > 0.0:
        raise ValueError(f"target_width must be > 0, got {target_width!r}")
    if batch < 1 or max_repetitions < 1:
        raise ValueError("batch and max_repetitions must be >= 1")
    total = repetitions if repetitions is not None else max_repetitions
    samples: list[float] = []
    state: dict[str, Any] = {"estimate": None, "status": "completed"}

    spans = [(i, min(total, i + batch)) for i in range(0, total, batch)]

    def take(b: int, outcomes: list[float | bool]) -> bool:
        for x in outcomes:
            v = float(x)
            if kind == "proportion" and v not in (0.0, 1.0):
                raise ValueError(f"a proportion trial must return 0/1 or a bool, got {x!r}")
            samples.append(v)
        estimate = state["estimate"] = _estimate(samples, kind, confidence)
        if progress is not None:
            progress(len(samples), total, estimate)
        if (
            target_width is not None
            and estimate is not None
            and len(samples) >= min_repetitions
            and estimate.width <= target_width
        ):
            state["status"] = "target_reached"
            return True
        if b + 1 < len(spans) and is_cancelled(cancel):  # between batches, also in a task
            state["status"] = "cancelled"
            return True
        return False

    # A fixed number of repetitions sends several batches per task when batches are cheap
    # (fewer tasks, less of the executor's cost per task); a run that stops at a target
    # width sends one batch per task, so that no worker runs far past the batch that
    # reaches it.
    if (
        run_chunked(
            _Repetitions(trial, seed),
            spans,
            executor=executor,
            on_result=take,
            cancel=cancel,
            chunksize=None if target_width is None else 1,
        )
        or state["status"] == "cancelled"
    ):
        status = "cancelled"
    elif state["status"] == "target_reached":
        status = "target_reached"
    else:
        status = "completed" if target_width is None else "max_repetitions"
    return MonteCarloResult(state["estimate"], len(samples), status, target_width, seed, samples)


def _estimate(samples: list[float], kind: str, confidence: float) -> Estimate | None:
    if kind == "proportion":
        return wilson_interval(int(sum(samples)), len(samples), confidence)
    if len(samples) < 2:
        return None
    return mean_interval(samples, confidence)
