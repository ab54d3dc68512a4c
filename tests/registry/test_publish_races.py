"""Publishing is atomic against deletes, scenarios must load in qtcore, baselines are per owner."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app

from ._support import BELL_SCENARIO, run_body, start_in_process
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


_ROUNDS = 25


@pytest_asyncio.fixture(loop_scope="session")
async def live_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a real uvicorn server (the in-process client serialises requests)."""
    server, task, port = await start_in_process(create_app(settings))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            yield c
    finally:
        server.should_exit = True
        await task


async def test_publish_racing_delete_of_same_content_is_atomic(
    live_client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    """The owner deletes a run while 12 clients publish the same content, many rounds.

    Every reply is true: no 5xx; a 201 names a run that is stored at the end (only the
    original was deleted); a 200 names the original, read under a lock before the delete.
    After the delete returns, publishing the content again makes a new run (201).
    """
    h = auth(tokens["alice"])
    statuses: dict[int, int] = {}
    for _ in range(_ROUNDS):
        body = run_body(f"race-{uuid.uuid4().hex[:8]}")
        first = await live_client.post("/api/v1/runs", json=body, headers=h)
        assert first.status_code == 201
        original = first.json()["id"]
        results = await asyncio.gather(
            live_client.delete(f"/api/v1/runs/{original}", headers=h),
            *(live_client.post("/api/v1/runs", json=body, headers=h) for _ in range(12)),
        )
        deleted, publishes = results[0], results[1:]
        assert deleted.status_code == 204, deleted.text
        for r in publishes:
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            assert r.status_code in (200, 201), r.text
            run_id = r.json()["id"]
            if r.status_code == 200:
                assert run_id == original or any(
                    p.status_code == 201 and p.json()["id"] == run_id for p in publishes
                )
            if run_id != original:  # a run made after the delete is still there
                got = await live_client.get(f"/api/v1/runs/{run_id}", headers=h)
                assert got.status_code == 200
        after = await live_client.post("/api/v1/runs", json=body, headers=h)
        assert after.status_code in (200, 201)
        assert after.json()["id"] != original
    assert sum(statuses.values()) == 12 * _ROUNDS


async def test_publish_refuses_scenario_qtcore_cannot_load(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    h = auth(tokens["alice"])
    bad = {"qubits": 2, "circuit": ["h 0", "cx 0 1"]}  # what the editor once sent
    r = await client.post("/api/v1/runs", json=run_body("bad-scn", scenario=bad), headers=h)
    assert r.status_code == 400, r.text
    [err] = r.json()["extra"]
    assert err["key"] == "scenario" and err["source"] == "body"
    assert "name" in err["message"] or "title" in err["message"]
    broken = {**BELL_SCENARIO, "circuit": {**BELL_SCENARIO["circuit"], "num_qubits": 1}}
    r = await client.post("/api/v1/runs", json=run_body("bad-scn", scenario=broken), headers=h)
    assert r.status_code == 400 and r.json()["extra"][0]["key"] == "scenario"
    ok = await client.post("/api/v1/runs", json=run_body("good-scn"), headers=h)
    assert ok.status_code == 201


async def test_publish_checks_a_scenario_equal_in_python_to_one_that_loaded(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    """Loaded scenarios are remembered by content; ``1``, ``true`` and ``1.0`` stay distinct
    (equal as Python values, different JSON), and key order does not matter."""
    h = auth(tokens["alice"])
    good = {**BELL_SCENARIO, "shots": 1}
    r = await client.post("/api/v1/runs", json=run_body("memo-scn", scenario=good), headers=h)
    assert r.status_code == 201, r.text
    for shots in (True, 1.0):
        body = run_body("memo-scn", scenario={**good, "shots": shots}, seed=2)
        r = await client.post("/api/v1/runs", json=body, headers=h)
        assert r.status_code == 400, (shots, r.text)
        assert "shots" in r.json()["extra"][0]["message"]
    reordered = dict(reversed(list(good.items())))
    body = run_body("memo-scn", scenario=reordered, seed=3)
    r = await client.post("/api/v1/runs", json=body, headers=h)
    assert r.status_code == 201, r.text


async def _publish_fidelity(
    client: AsyncTestClient[Litestar], token: str, name: str, fidelity: float
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/runs",
        json=run_body(name, results={"fidelity": fidelity}, runtimeMs=10.0),
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_anomaly_baseline_is_per_owner(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    """Bob's runs under Alice's scenario name neither flag nor mask Alice's runs."""
    name = f"shared-{uuid.uuid4().hex[:8]}"
    for f in (0.990, 0.991, 0.989, 0.992, 0.990):
        await _publish_fidelity(client, tokens["alice"], name, f)
    for i in range(12):  # Bob floods the name with a different regime
        await _publish_fidelity(client, tokens["bob"], name, 0.5 + i / 1000)
    normal = await _publish_fidelity(client, tokens["alice"], name, 0.9905)
    assert normal["anomalous"] is False  # flagged against Bob's 0.5s before
    assert normal["anomalyDetail"]["historySize"] == 5
    odd = await _publish_fidelity(client, tokens["alice"], name, 0.5)
    assert odd["anomalous"] is True  # Bob's 0.5s would have masked it
    # Bob's own baseline is his 12 runs only
    bob = await _publish_fidelity(client, tokens["bob"], name, 0.506)
    assert bob["anomalous"] is False and bob["anomalyDetail"]["historySize"] == 12
