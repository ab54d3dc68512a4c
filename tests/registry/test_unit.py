"""Pure units: anomaly statistics, frame framing, stream ids, settings, migrations."""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import struct
from pathlib import Path
from typing import Any

import pytest

from registry_api._anomaly import (
    CONSTANT_HISTORY_SCORE,
    HISTORY_LIMIT,
    MIN_HISTORY,
    _mad,
    extract_features,
    score_run,
)
from registry_api._db import FairGate, list_migrations
from registry_api._sessions import validate_frame
from registry_api._settings import Settings, load_or_create_secret
from registry_api._wire import parse_stream_id

from ._support import make_frame


def test_anomaly_features_flatten_numeric_leaves() -> None:
    feats = extract_features({"a": {"b": 1, "c": [2.5, True, "x"]}, "ok": True, "n": None}, 3.0)
    assert feats == {"a.b": 1.0, "a.c[0]": 2.5, "runtimeMs": 3.0}


def test_anomaly_score_matches_modified_z_formula() -> None:
    history = [{"x": v} for v in (10.0, 11.0, 9.0, 10.5, 9.5, 30.0)]
    values = [h["x"] for h in history]
    med = statistics.median(values)
    mad = statistics.median([abs(v - med) for v in values])
    score, detail = score_run({"x": 20.0}, history)
    assert score == pytest.approx(0.6745 * abs(20.0 - med) / mad)
    assert detail is not None and detail["historySize"] == 6


def test_anomaly_outlier_in_history_does_not_mask() -> None:
    # one wild run in history inflates a std-dev z-score but not the MAD one
    history = [{"x": v} for v in (1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1000.0)]
    score, _ = score_run({"x": 2.0}, history)
    assert score is not None and score > 3.5
    vals = [h["x"] for h in history]
    z_classic = (2.0 - statistics.mean(vals)) / statistics.stdev(vals)
    assert abs(z_classic) < 1  # the classic z-score would have missed it


def _reference_score(
    features: dict[str, float], history: list[dict[str, Any]]
) -> tuple[float | None, dict[str, Any] | None]:
    """The method as the ``_anomaly`` docstring states it, one value at a time."""
    zs: dict[str, float] = {}
    constant, unscored = [], []
    for name, x in features.items():
        values = []
        for row in history:
            v = row.get(name)
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            try:
                number = float(v)
            except OverflowError:
                continue
            if math.isfinite(number):
                values.append(number)
        if len(values) < MIN_HISTORY or not math.isfinite(x):
            continue
        med = statistics.median(values)
        deviations = [abs(v - med) for v in values]
        if not all(map(math.isfinite, [med, x - med, *deviations])):
            unscored.append(name)
            continue
        mad = statistics.median(deviations)
        mean_ad = sum(sorted(deviations)) / len(deviations)  # summed smallest first
        if mad > 0:
            z = 0.6745 * (x - med) / mad
        elif mean_ad > 0:
            z = (x - med) / (1.2533 * mean_ad)
        elif math.isclose(x, med, rel_tol=1e-12, abs_tol=1e-300):
            z = 0.0
        else:
            z = math.copysign(CONSTANT_HISTORY_SCORE, x - med)
            constant.append(name)
        if not math.isfinite(z):
            unscored.append(name)
            continue
        zs[name] = z
    if not zs:
        return None, None
    top = sorted(zs.items(), key=lambda kv: -abs(kv[1]))[:5]
    detail: dict[str, Any] = {"method": "robust-z (median/MAD)", "threshold": 3.5,
                              "historySize": len(history),
                              "topFields": {k: round(v, 4) for k, v in top}}  # fmt: skip
    if constant:
        detail["constantHistory"] = sorted(constant)
    if unscored:
        detail["unscoredFields"] = sorted(unscored)
    return abs(top[0][1]), detail


def test_anomaly_score_equals_reference_on_random_histories() -> None:
    """Bit for bit what the documented method gives, on histories with odd rows: missing
    features, ints, bools, None, text, huge and constant values, odd and even sizes."""
    seed = 20261203
    rng = random.Random(seed)
    odd: list[Any] = [None, True, "x", 10**400, 1.7e308, -1.7e308, 7, 0]
    for case in range(300):
        names = [f"f{i}" for i in range(rng.randint(1, 5))]
        center = {n: rng.choice([0.0, 1.0, 512.0, 1e-9, 1e300]) for n in names}
        history = []
        for _ in range(rng.randint(0, 40)):
            row: dict[str, Any] = {}
            for n in names:
                r = rng.random()
                if r < 0.05:
                    continue  # the row lacks this feature
                if r < 0.15:
                    row[n] = rng.choice(odd)
                elif r < 0.3:
                    row[n] = center[n]  # ties, constant stretches
                else:
                    row[n] = center[n] + rng.gauss(0, 1) * (center[n] or 1) * 0.01
            history.append(row)
        features = {n: center[n] + rng.choice([0.0, 0.5, -3.0, 1e308]) for n in names}
        assert score_run(features, history) == _reference_score(features, history), (seed, case)


def test_anomaly_mad_equals_median_of_sorted_deviations() -> None:
    """The MAD found without sorting the deviations is the median of the sorted deviations,
    bit for bit: odd and even sizes, ties at and around the median, one value, mixed scales."""
    seed = 20261204
    rng = random.Random(seed)
    for case in range(3000):
        n = rng.choice([1, 2, 3, 4, 5, rng.randint(1, 40), rng.randint(1, HISTORY_LIMIT)])
        kind = rng.random()
        if kind < 0.3:  # few distinct values: long runs of ties
            pool = [rng.uniform(-5, 5) for _ in range(rng.randint(1, 4))]
            values = [rng.choice(pool) for _ in range(n)]
        elif kind < 0.5:  # small integers as floats (counts)
            values = [float(rng.randint(500, 524)) for _ in range(n)]
        else:  # one scale or several
            scale = rng.choice([1e-300, 1e-9, 1.0, 1e12, 1e300])
            values = [rng.gauss(0, 1) * scale * rng.choice([1, 1, 1e-3, 1e3]) for _ in range(n)]
        ordered = sorted(values)
        med = statistics.median(ordered)
        deviations = sorted(abs(v - med) for v in ordered)
        if not all(map(math.isfinite, [med, *deviations])):
            continue  # _robust_z never asks: it returns first
        assert _mad(ordered, med) == statistics.median(deviations), (seed, case)


def test_anomaly_score_equals_reference_on_long_histories() -> None:
    """Histories up to HISTORY_LIMIT rows (what a publish reads) score exactly as the
    documented method, including the edge cases: no history, one sample, all identical,
    exactly MIN_HISTORY, more than half identical, and huge integers skipped."""
    seed = 20261205
    rng = random.Random(seed)
    edge: list[list[Any]] = [
        [],
        [3.0],
        [2.0] * (MIN_HISTORY - 1),
        [2.0] * MIN_HISTORY,
        [2.0] * HISTORY_LIMIT,
        [1.0] * 101 + [rng.uniform(0, 9) for _ in range(99)],  # MAD 0: mean absolute deviation
        [10**400, -(10**400), 1.0, 2.0, 3.0, 4.0, 5.0],  # huge ints are not history
        [10**400] * HISTORY_LIMIT,
        [7, 8, 9, 10, 11.5],  # ints count as their floats
    ]
    for case, column in enumerate(edge):
        for x in (2.0, 3.0, 100.0, -1e308):
            history = [{"x": v, "y": 1.0} for v in column]
            features = {"x": x, "y": 1.0}
            assert score_run(features, history) == _reference_score(features, history), case
    for case in range(400):
        n = rng.choice([0, 1, MIN_HISTORY - 1, MIN_HISTORY, rng.randint(0, HISTORY_LIMIT)])
        pool = [float(v) for v in range(rng.randint(1, 8))]
        history = []
        for _ in range(n):
            r = rng.random()
            row: dict[str, Any] = {"runtimeMs": rng.choice(pool) + 10}
            if r < 0.6:
                row["counts.00"] = float(512 + rng.randint(-6, 6))
            if r > 0.02:
                row["fidelity"] = 0.99 + rng.gauss(0, 1e-3)
            if r > 0.99:
                row["fidelity"] = rng.choice([None, True, 10**400, "0.5"])
            history.append(row)
        features = {
            "counts.00": float(512 + rng.randint(-40, 40)),
            "fidelity": 0.99 + rng.gauss(0, 1e-2),
            "runtimeMs": rng.choice(pool) + 10 + rng.choice([0.0, 0.5]),
        }
        assert score_run(features, history) == _reference_score(features, history), (seed, case)


def test_anomaly_needs_min_history() -> None:
    history = [{"x": 1.0}] * (MIN_HISTORY - 1)
    assert score_run({"x": 100.0}, history) == (None, None)


def test_anomaly_constant_history_reports_constant() -> None:
    history = [{"x": 1.0}] * 8
    assert score_run({"x": 1.0}, history)[0] == 0.0
    score, detail = score_run({"x": 1.5}, history)
    assert score == CONSTANT_HISTORY_SCORE and detail and detail["constantHistory"] == ["x"]


def test_anomaly_zero_mad_falls_back_to_mean_abs_dev() -> None:
    history = [{"x": v} for v in (1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0)]
    score, _ = score_run({"x": 5.0}, history)
    mean_ad = (0 * 5 + 1 + 2) / 7
    assert score == pytest.approx(4.0 / (1.2533 * mean_ad))


def test_anomaly_history_skips_values_that_are_not_finite_numbers() -> None:
    """Stored features are floats, but a history row may hold anything jsonb does: only finite
    non-bool numbers count (an int as its float), in any mix with the usual floats."""
    clean = [10.0, 11.0, 9.0, 10.5, 9.5, 30.0]
    junk: list[object] = [True, None, "12", float("nan"), float("inf"), 10**400, [1.0], {"y": 1}]
    history = [{"x": v} for v in clean + junk] + [{"y": 3.0}, {"x": 12}]
    expected = score_run({"x": 20.0}, [{"x": v} for v in [*clean, 12.0]])
    assert score_run({"x": 20.0}, history)[0] == expected[0]
    assert expected[0] == pytest.approx(0.6745 * (20.0 - 10.5) / 1.0)


def test_frame_validation() -> None:
    good = make_frame(3)
    assert validate_frame(good, 4096) is None
    assert "limit" in (validate_frame(good, 10) or "")
    assert "magic" in (validate_frame(b"XXXX" + good[4:], 4096) or "")
    assert "version" in (validate_frame(good[:4] + struct.pack("<H", 2) + good[6:], 4096) or "")
    assert "disagree" in (validate_frame(good + b"\0", 4096) or "")
    assert "header alone" in (validate_frame(b"QTFR", 4096) or "")


def test_frame_validation_agrees_with_qtcore_frames() -> None:
    """The registry checks the prefix with qtcore.frames' constants: every frame qtcore
    encodes (full, amplitude-free and summarised) passes; a prefix qtcore's own decoder
    rejects for its magic or version is rejected here too."""
    from qtcore import Circuit, FrameError
    from qtcore.frames import (
        MAGIC,
        PREFIX,
        PROB_LIMIT,
        VERSION,
        decode_frame,
        encode_frame,
        iter_frames,
    )

    for n in (1, PROB_LIMIT - 1, PROB_LIMIT + 1):
        circ = Circuit(n).h(0)
        for frame in iter_frames(circ, seed=1, amp_limit=max(n - 1, 0)):
            data = encode_frame(frame)
            assert validate_frame(data, 1 << 24) is None
            assert data[: len(MAGIC)] == MAGIC and PREFIX.size == 16
    data = encode_frame(next(iter_frames(Circuit(1), seed=1)))
    for bad in (b"QTFX" + data[4:], data[:4] + struct.pack("<H", VERSION + 1) + data[6:]):
        with pytest.raises(FrameError):
            decode_frame(bad)
        assert validate_frame(bad, 4096) is not None


@pytest.mark.parametrize("value", ["1-0", "1700000000000-12"])
def test_stream_id_parse(value: str) -> None:
    ms, seq = value.split("-")
    assert parse_stream_id(value) == (int(ms), int(seq))


@pytest.mark.parametrize("value", ["", "1", "a-b", "1-2-3", "$", "1-0; FLUSHALL", "-1-0",
                                   "18446744073709551616-0", "0-18446744073709551616",
                                   "1" * 21 + "-0", "\u0661-0", "+1-0", " 1-0"])  # fmt: skip
def test_stream_id_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="stream id"):
        parse_stream_id(value)


def test_settings_dev_secret_persisted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("QT_DATA_DIR", str(tmp_path))
    first = Settings.from_env().jwt_secret
    assert len(first) >= 32 and first == Settings.from_env().jwt_secret
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
    assert load_or_create_secret(tmp_path) == first


def test_settings_production_requires_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("QT_ENV", "production")
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings.from_env()
    monkeypatch.setenv("JWT_SECRET", "short")
    with pytest.raises(ValueError, match="at least 32"):
        Settings.from_env()


def test_stream_id_accepts_the_largest() -> None:
    top = (1 << 64) - 1
    assert parse_stream_id(f"{top}-{top}") == (top, top)


@pytest.mark.parametrize("var", ["TOKEN_TTL_SECONDS", "STREAM_MAXLEN", "MAX_BODY_BYTES",
                                 "STREAM_MAX_BYTES", "REPLAY_PAGE_BYTES", "VIEWER_QUEUE_BYTES",
                                 "VIEWER_STALL_SECONDS",
                                 "SESSION_IDLE_SECONDS", "MAX_OPEN_SESSIONS",
                                 "WS_RECHECK_SECONDS"])  # fmt: skip
def test_settings_reject_bad_ints(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv(var, "abc")
    with pytest.raises(ValueError, match=var):
        Settings.from_env()
    monkeypatch.setenv(var, "0")
    with pytest.raises(ValueError, match=var):
        Settings.from_env()


def test_migrations_are_ordered_and_named() -> None:
    versions = [v for v, _ in list_migrations()]
    assert versions == sorted(versions) and versions[0] == "0001_init"


def test_settings_stream_cap_must_hold_a_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("MAX_FRAME_BYTES", str(1 << 20))
    monkeypatch.setenv("STREAM_MAX_BYTES", str(1 << 19))
    with pytest.raises(ValueError, match="STREAM_MAX_BYTES=524288 must be >= MAX_FRAME_BYTES"):
        Settings.from_env()


def test_fair_gate_admits_in_arrival_order() -> None:
    """A slot given back goes to the longest waiter, even when a newcomer asks before that
    waiter runs (asyncpg's own pool lets the newcomer take it); a waiter that gives up keeps
    its place from being skipped to no one, and one handed a slot as it gives up passes it on."""

    async def scenario() -> list[str]:
        gate, order = FairGate(1), []
        await gate.enter(timeout=1)  # the one slot is taken

        async def waiter(name: str, timeout: float = 5) -> None:
            try:
                await gate.enter(timeout)
            except TimeoutError:
                order.append(f"{name} gave up")
                return
            order.append(name)
            await asyncio.sleep(0)
            gate.leave()

        first = asyncio.create_task(waiter("first"))
        quitter = asyncio.create_task(waiter("quitter", timeout=0.01))
        second = asyncio.create_task(waiter("second"))
        await asyncio.sleep(0.05)  # all three queued; the quitter has given up
        gate.leave()  # hand the slot to "first" ...
        late = asyncio.create_task(waiter("newcomer"))  # ... who has not run yet
        await asyncio.gather(first, quitter, second, late)
        await gate.enter(timeout=0)  # every slot came back: free again at once
        return order

    assert asyncio.run(scenario()) == ["quitter gave up", "first", "second", "newcomer"]


@pytest.mark.parametrize("piece", [1, 3, 7, 4096, 1 << 20])
def test_frame_skipper_follows_frames_split_anywhere(piece: int) -> None:
    """The benchmark's slow readers skip payloads: every frame must still be counted, every
    ping answered with its payload and the close code read, however the bytes arrive."""
    from websockets.frames import Close, Frame, Opcode

    from ._ws import FrameSkipper

    frames = [
        Frame(Opcode.TEXT, b'{"type":"frame"}'),
        Frame(Opcode.BINARY, b"\x01" * 125),
        Frame(Opcode.PING, b"p1"),
        Frame(Opcode.BINARY, b"\x02" * 126),  # 16-bit length
        Frame(Opcode.BINARY, b""),
        Frame(Opcode.PING, b""),
        Frame(Opcode.BINARY, bytes(70_000)),  # 64-bit length
        Frame(Opcode.PING, b"x" * 125),
        Frame(Opcode.CLOSE, Close(1013, "behind").serialize()),
    ]
    wire = b"".join(f.serialize(mask=False) for f in frames)
    skipper = FrameSkipper()
    pings: list[bytes] = []
    for i in range(0, len(wire), piece):
        pings += skipper.feed(wire[i : i + piece])
    assert skipper.frames == len(frames)
    assert pings == [b"p1", b"", b"x" * 125]
    assert skipper.close_code == 1013


def test_frame_skipper_refuses_a_masked_frame() -> None:
    from websockets.frames import Frame, Opcode

    from ._ws import FrameSkipper

    with pytest.raises(ValueError, match="masked"):
        FrameSkipper().feed(Frame(Opcode.BINARY, b"abc").serialize(mask=True))


async def test_trickle_all_reads_at_its_rate_and_answers_pings() -> None:
    """The benchmark's slow readers: a server sending 2 MiB gets about ``rate`` bytes a
    second read from it, and a ping sent meanwhile is answered."""
    import threading
    import time

    from websockets.asyncio.server import serve

    from ._ws import StalledViewer, trickle_all

    pong = asyncio.Event()

    async def handler(ws: Any) -> None:
        await ws.send(b"\0" * 4096)
        waiter = await ws.ping(b"alive")
        for _ in range(32):
            await ws.send(bytes(1 << 16))
        await waiter
        pong.set()
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        viewer = await StalledViewer(f"ws://127.0.0.1:{port}/").open()
        rate, seconds = 256 * 1024, 0.6
        t0 = time.monotonic()
        await asyncio.to_thread(trickle_all, [viewer], rate, seconds, threading.Event())
        took = time.monotonic() - t0
        await asyncio.wait_for(pong.wait(), 5)
        # paced: what was read is what the rate allows for the time taken, plus one read
        assert 0 < viewer.read_bytes <= rate * took + (1 << 16)
        assert viewer.read_bytes < 2 * (1 << 20)  # not everything the server had queued
        assert not viewer.closed_by_server
        viewer.close()


def test_redis_replies_are_parsed_by_hiredis() -> None:
    """``redis[hiredis]``: stream replies (every frame, every replay page) are parsed in C.
    redis-py's pure-Python parser took 23x the CPU for an XRANGE of 1,000 small entries."""
    from redis.asyncio.connection import DefaultParser
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE
    assert DefaultParser.__name__ == "_AsyncHiredisParser"


async def test_lean_viewer_reads_every_message_answers_pings_and_sees_the_close() -> None:
    """The load benchmark's viewer, against a real server: messages of every length class
    (one longer than a socket read), in order; a ping answered; the close code kept."""
    from websockets.asyncio.server import serve

    from ._ws import LeanViewer

    sent: list[tuple[str, bytes]] = [
        ("text", b'{"type":"frame","seq":0}'),
        ("binary", b"\x01" * 125),
        ("binary", b"\x02" * 126),  # 16-bit length
        ("binary", bytes(range(256)) * 300),  # 64-bit length
        ("text", b'{"type":"end"}'),
    ]
    ponged = asyncio.Event()

    async def handler(ws: Any) -> None:
        for kind, payload in sent[:2]:
            await ws.send(payload.decode() if kind == "text" else payload)
        waiter = await ws.ping(b"alive")
        for kind, payload in sent[2:]:
            await ws.send(payload.decode() if kind == "text" else payload)
        await waiter
        ponged.set()
        await ws.close(4001, "done")

    got: list[tuple[str, bytes]] = []
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        viewer = await LeanViewer.open(
            f"ws://127.0.0.1:{port}/watch?token=x",
            lambda p: got.append(("text", p)),
            lambda p: got.append(("binary", p)),
        )
        assert await asyncio.wait_for(viewer.closed, 10) == 4001
    assert got == sent
    assert ponged.is_set()


def test_lean_viewer_refuses_fragmented_or_masked_frames() -> None:
    from websockets.frames import Frame, Opcode

    from ._ws import LeanViewer

    async def feed(wire: bytes) -> None:
        viewer = LeanViewer(lambda _: None, lambda _: None)
        viewer.handshake.set_result(None)
        viewer.data_received(wire)

    for wire in (
        Frame(Opcode.BINARY, b"abc").serialize(mask=True),
        Frame(Opcode.TEXT, b"ab", fin=False).serialize(mask=False),
    ):
        with pytest.raises(ValueError, match="fragmented or masked"):
            asyncio.run(feed(wire))
