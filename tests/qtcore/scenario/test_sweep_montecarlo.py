"""Sweeps and Monte-Carlo intervals against independent references."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from qtcore.montecarlo import (
    mean_interval,
    monte_carlo,
    student_t_quantile,
    wilson_interval,
)
from qtcore.rng import Rng, derive_seed
from qtcore.sweep import Axis, CancelToken, run_sweep, sweep_points


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [  # published two-sided 95 % / 99 % table values (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
        (0.975, 1, 12.706),
        (0.975, 2, 4.303),
        (0.975, 10, 2.228),
        (0.975, 30, 2.042),
        (0.995, 5, 4.032),
        (0.95, 20, 1.725),
    ],
)
def test_student_t_quantile_matches_tables(p: float, df: int, expected: float) -> None:
    assert student_t_quantile(p, df) == pytest.approx(expected, abs=6e-4)
    assert student_t_quantile(1 - p, df) == pytest.approx(-expected, abs=6e-4)


def test_student_t_quantile_closed_forms() -> None:
    # df = 1 is Cauchy: t = tan(pi (p - 1/2)); df = 2: t = (2p-1) sqrt(2 / (4p(1-p))).
    for p in (0.6, 0.9, 0.975, 0.999):
        assert student_t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
        two = (2 * p - 1) * math.sqrt(2.0 / (4 * p * (1 - p)))
        assert student_t_quantile(p, 2) == pytest.approx(two, rel=1e-10)


def test_wilson_interval_textbook_values() -> None:
    # Wilson (1927) / Newcombe (1998) example: 81 of 263 -> 95 % CI 0.2553 .. 0.3662.
    est = wilson_interval(81, 263)
    assert est.low == pytest.approx(0.2553, abs=1e-4)
    assert est.high == pytest.approx(0.3662, abs=1e-4)
    assert est.method == "wilson"
    zero = wilson_interval(0, 10)
    assert zero.low == 0.0
    # upper bound for 0/n is z^2 / (n + z^2)
    z = 1.959963984540054
    assert zero.high == pytest.approx(z * z / (10 + z * z), rel=1e-12)


def test_mean_interval_student_t() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]
    est = mean_interval(xs)
    se = math.sqrt(2.5) / math.sqrt(5)
    assert est.value == 3.0
    assert est.high - 3.0 == pytest.approx(2.7764451051977987 * se, rel=1e-9)
    with pytest.raises(ValueError, match="at least 2"):
        mean_interval([1.0])


def test_monte_carlo_fixed_and_target_width() -> None:
    def trial(seed: int) -> bool:
        return Rng(seed).random() < 0.3

    fixed = monte_carlo(trial, seed=5, repetitions=400, batch=50)
    assert fixed.repetitions == 400 and fixed.status == "completed"
    assert fixed.estimate is not None
    assert fixed.estimate.low < 0.3 < fixed.estimate.high
    # samples are tied to repetition seeds, not to the batch size
    again = monte_carlo(trial, seed=5, repetitions=400, batch=7)
    assert again.samples == fixed.samples
    assert fixed.samples[3] == float(Rng(derive_seed(5, "repetition", 3)).random() < 0.3)
    target = monte_carlo(trial, seed=5, target_width=0.05, max_repetitions=100_000)
    assert target.converged and target.estimate is not None
    assert target.estimate.width <= 0.05
    capped = monte_carlo(trial, seed=5, target_width=1e-4, max_repetitions=300)
    assert capped.status == "max_repetitions" and capped.repetitions == 300


def test_monte_carlo_cancel_and_bad_input() -> None:
    token = CancelToken()
    calls: list[int] = []

    def progress(done: int, total: int, est: object) -> None:
        calls.append(done)
        if done >= 200:
            token.cancel()

    res = monte_carlo(
        lambda s: 1.0, seed=1, repetitions=1000, batch=100, progress=progress, cancel=token
    )
    assert res.status == "cancelled" and res.repetitions == 200
    with pytest.raises(ValueError, match="0/1"):
        monte_carlo(lambda s: 0.5, seed=1, repetitions=3)
    with pytest.raises(ValueError, match="exactly one"):
        monte_carlo(lambda s: 1.0, seed=1)


def test_axes_spacings() -> None:
    lin = Axis.linspace("x", 0.0, 1.0, 5)
    assert lin.values == (0.0, 0.25, 0.5, 0.75, 1.0)
    log = Axis.logspace("x", 1.0, 1000.0, 4)
    assert log.values[0] == 1.0 and log.values[-1] == 1000.0
    assert log.values[1] == pytest.approx(10.0, rel=1e-14)
    r1 = Axis.random("x", 2.0, 3.0, 10, seed=4)
    assert r1 == Axis.random("x", 2.0, 3.0, 10, seed=4)
    assert all(2.0 <= v < 3.0 for v in r1.values)
    with pytest.raises(ValueError, match="> 0"):
        Axis.logspace("x", 0.0, 1.0, 3)


def test_sweep_product_seeds_progress_and_tables() -> None:
    axes = [Axis.grid("a", [1.0, 2.0]), Axis.grid("b", [10.0, 20.0, 30.0])]
    pts = sweep_points(axes)
    assert pts[:4] == [
        {"a": 1.0, "b": 10.0},
        {"a": 1.0, "b": 20.0},
        {"a": 1.0, "b": 30.0},
        {"a": 2.0, "b": 10.0},
    ]
    seen: list[tuple[int, int]] = []
    res = run_sweep(
        lambda p, s: {"sum": p["a"] + p["b"], "est": {"value": 1.0, "low": 0.5}},
        axes,
        seed=9,
        progress=lambda d, t, p: seen.append((d, t)),
    )
    assert seen[-1] == (6, 6) and res.status == "completed"
    assert res.column("sum") == [11.0, 21.0, 31.0, 12.0, 22.0, 32.0]
    # a point's seed depends only on its values
    small = run_sweep(lambda p, s: {}, [Axis.grid("a", [2.0]), Axis.grid("b", [30.0])], seed=9)
    assert small.rows[0].seed == res.rows[5].seed
    rows = list(csv.reader(io.StringIO(res.to_csv())))
    assert rows[0] == ["index", "seed", "a", "b", "sum", "est.value", "est.low"]
    assert float(rows[1][4]) == 11.0
    data = json.loads(res.to_json())
    assert data["columns"][2:] == ["a", "b", "sum", "est.value", "est.low"] and data["done"] == 6


def test_sweep_columns_in_first_seen_order() -> None:
    """Outputs that appear only at later points join the columns where first seen, once."""
    outputs = [{"counts.11": 3}, {"counts.00": 1, "counts.11": 2}, {"x": 0.5, "counts.01": 4}]
    res = run_sweep(
        lambda p, s: {**outputs[int(p["i"])], "i": -1.0},  # "i" also names the axis
        [Axis.grid("i", [0.0, 1.0, 2.0])],
        seed=1,
    )
    assert res.columns == ["i", "counts.11", "counts.00", "x", "counts.01"]
    assert res.to_dict()["rows"][0][2:] == [0.0, 3, None, None, None]
    assert res.column("counts.01") == [None, None, 4]


def test_sweep_cancel_between_points() -> None:
    token = CancelToken()

    def func(p: dict[str, float], s: int) -> dict[str, float]:
        if p["x"] >= 2.0:
            token.cancel()
        return {"y": p["x"]}

    res = run_sweep(func, [Axis.linspace("x", 0.0, 9.0, 10)], seed=0, cancel=token)
    assert res.cancelled and len(res.rows) == 3 and res.total == 10
    res2 = run_sweep(func, [Axis.grid("x", [0.0, 1.0])], seed=0, cancel=lambda: True)
    assert res2.cancelled and not res2.rows
