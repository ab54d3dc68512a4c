"""Sweeps, Monte-Carlo runs and shot batches on a real Dask cluster (2 worker processes).

Each result is compared, exactly, with the same run in this process. The cluster starts
once (``xdist_group`` keeps these tests on one pytest worker).
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

import pytest

from qtcore import Circuit
from qtcore.cli import main
from qtcore.montecarlo import monte_carlo
from qtcore.parallel import CancelToken, auto_chunks, run_chunked, run_shot_batches
from qtcore.rng import Rng
from qtcore.scenario import load_scenario, run_scenario
from qtcore.sweep import Axis, run_sweep

if sys.platform == "emscripten":
    pytest.skip("Pyodide has no processes for a Dask cluster", allow_module_level=True)
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.xdist_group("dask")


def gaussian_mean(seed: int) -> float:
    rng = Rng(seed)
    # Box-Muller from the portable RNG: a sample of N(1.5, 1)
    u1, u2 = rng.random(), rng.random()
    return 1.5 + math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def damped(point: dict[str, float], seed: int) -> dict[str, Any]:
    return {"y": math.exp(-point["t"]) * math.cos(point["w"] * point["t"]), "u": Rng(seed).random()}


@pytest.fixture(scope="session")  # session: other modules' tests may run in between
def cluster() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=":0",  # any free port: several runs may share the machine
            silence_logs=40,  # errors only
        ) as lc,
        distributed.Client(lc, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture
def dask_executor(cluster: Any) -> Executor:
    executor: Executor = cluster.get_executor(pure=False)
    return executor


def test_sweep_on_dask_equals_sequential(dask_executor: Executor) -> None:
    axes = [Axis.linspace("t", 0.0, 2.0, 9), Axis.grid("w", [1.0, 3.0])]
    seen: list[int] = []
    seq = run_sweep(damped, axes, seed=21)
    par = run_sweep(
        damped, axes, seed=21, executor=dask_executor, progress=lambda d, t, p: seen.append(d)
    )
    assert par.to_dict() == seq.to_dict()
    assert seen == list(range(1, 19))
    assert par.column("y")[3] == math.exp(-0.25) * math.cos(3.0 * 0.25)  # t slowest


def sizes_of(chunk: list[int]) -> list[int]:
    """Each item's result is the size of the chunk it came in."""
    return [len(chunk)] * len(chunk)


def test_sweep_on_dask_in_chunks_sized_from_the_first_ones(dask_executor: Executor) -> None:
    """Dask's executor reports its 2 worker threads, so a 40-item run starts in chunks of
    3 (it would go on as twelve of 3 and four of 1, blind); once a chunk is back, a Dask
    task's milliseconds against items of microseconds send the rest as one even round. A
    sweep's table and progress are the one-process ones whatever the chunks."""
    assert auto_chunks(dask_executor, 40) == [3] * 12 + [1] * 4
    results: list[int] = []
    run_chunked(
        sizes_of, list(range(40)), executor=dask_executor, on_result=lambda i, r: results.append(r)
    )
    sizes, i = [], 0
    while i < len(results):
        sizes.append(results[i])
        i += results[i]
    assert sizes in ([3, 3, 17, 17], [3, 3, 3, 3, 14, 14])
    axes = [Axis.linspace("t", 0.0, 3.9, 40), Axis.grid("w", [2.0])]
    seen: list[int] = []
    par = run_sweep(
        damped, axes, seed=9, executor=dask_executor, progress=lambda d, t, p: seen.append(d)
    )
    assert par.to_dict() == run_sweep(damped, axes, seed=9).to_dict()
    assert seen == list(range(1, 41))


def test_monte_carlo_on_dask_equals_sequential(dask_executor: Executor) -> None:
    seq = monte_carlo(gaussian_mean, seed=8, target_width=0.2, batch=40, kind="mean")
    par = monte_carlo(
        gaussian_mean, seed=8, target_width=0.2, batch=40, kind="mean", executor=dask_executor
    )
    assert par.samples == seq.samples and par.estimate == seq.estimate
    assert par.status == "target_reached" and par.estimate is not None
    assert par.estimate.low < 1.5 < par.estimate.high  # the normal's mean, at 95 %


def test_scenarios_and_shot_batches_on_dask_equal_sequential(dask_executor: Executor) -> None:
    for name in ("sweep_gps_altitude", "noisy_bell"):
        sc = load_scenario(f"scenarios/{name}.toml")
        assert run_scenario(sc, executor=dask_executor).to_json() == run_scenario(sc).to_json()
    c = Circuit(3, 3)
    c.h(0).cx(0, 1).cx(1, 2).measure([0, 1, 2], [0, 1, 2])
    seq = run_shot_batches(c, 3000, seed=4, batch_shots=500)
    par = run_shot_batches(c, 3000, seed=4, batch_shots=500, executor=dask_executor)
    assert par.to_dict() == seq.to_dict()
    assert set(seq.counts) == {"000", "111"}  # a GHZ state never shows mixed bits


def test_cancel_on_dask(dask_executor: Executor) -> None:
    token = CancelToken()

    def progress(done: int, total: int, est: object) -> None:
        if done >= 120:
            token.cancel()

    res = monte_carlo(
        gaussian_mean,
        seed=2,
        repetitions=2000,
        batch=40,
        kind="mean",
        progress=progress,
        cancel=token,
        executor=dask_executor,
    )
    assert res.status == "cancelled" and res.repetitions == 120


def test_cli_scheduler_equals_sequential(cluster: Any) -> None:
    address = cluster.scheduler.address

    def run(*argv: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        assert main(list(argv), stdout=out, stderr=err) == 0, err.getvalue()
        return out.getvalue()

    sweep = ["sweep", "sweep_rotation_angle", "--format", "csv"]
    assert run(*sweep, "--scheduler", address) == run(*sweep)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "missing port number"),
        ("tcp://", "missing port number"),
        ("nonsense:::", "invalid address"),
        ("foo://h:8786", "unknown address scheme 'foo'"),
    ],
)
def test_cli_refuses_a_scheduler_address_before_connecting(
    address: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Client made with such an address raises, and then hangs for twice the connect
    # timeout and prints a traceback when it is collected: none may be made.
    made: list[str] = []

    class NoClient:
        def __init__(self, address: str, **_: Any) -> None:
            made.append(address)
            raise AssertionError("a Client was made")

    monkeypatch.setattr(distributed, "Client", NoClient)
    out, err = io.StringIO(), io.StringIO()
    argv = ["sweep", "sweep_rotation_angle", "--scheduler", address]
    assert main(argv, stdout=out, stderr=err) == 2
    assert made == [] and out.getvalue() == ""
    message = err.getvalue()
    assert f"--scheduler {address}: not a scheduler address" in message, message
    assert why in message and "tcp://10.0.0.5:8786" in message and "Traceback" not in message


def slow_point(point: dict[str, float], seed: int) -> dict[str, Any]:
    import time

    time.sleep(0.01)
    return {"u": Rng(seed).random()}


def test_a_cluster_that_goes_away_mid_sweep_is_a_clear_error() -> None:
    # Before, the sweep ended in a bare CancelledError traceback.
    import threading

    from qtcore import ExecutorError

    with (
        distributed.LocalCluster(
            n_workers=1,
            processes=False,
            threads_per_worker=1,
            dashboard_address=":0",
            silence_logs=50,
        ) as lc,
        distributed.Client(lc, set_as_default=False) as client,
    ):
        started = threading.Event()

        def progress(done: int, total: int, point: dict[str, float]) -> None:
            if done == 5:
                started.set()

        closer = threading.Thread(target=lambda: started.wait(60) and lc.close())
        closer.start()
        with pytest.raises(ExecutorError) as info:
            run_sweep(
                slow_point,
                [Axis.linspace("x", 0.0, 1.0, 2000)],
                seed=1,
                executor=client.get_executor(pure=False),
                chunksize=1,
                progress=progress,
            )
        closer.join()
    message = str(info.value)
    # whether the next task was sent before or after the client saw the scheduler go
    sent = "the executor cancelled a task this run had sent it: its scheduler or workers"
    refused = "the executor refused a task: ClosedClientError: Client is closed"
    assert message.startswith((sent, refused)), message
    assert " of 2000 points (running it again gives the same table)" in message
