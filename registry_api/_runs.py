"""Runs: publish (idempotent by content hash), list with filters, fetch, frames, delete.

The controller validates and maps; the publish transaction is :mod:`registry_api._run_store`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import Scope

from qtcore.errors import ScenarioError
from qtcore.scenario import scenario_from_dict
from registry_api import _audit
from registry_api._anomaly import THRESHOLD, extract_features
from registry_api._db import Database
from registry_api._group_commit import GroupCommit
from registry_api._metrics import ANOMALOUS_RUNS, RUNS_PUBLISHED
from registry_api._run_store import fetch_full
from registry_api._schemas import Run, RunCreate, RunPage, RunSummary
from registry_api._security import (
    HELD_CONNECTION_KEY,
    HOLD_CONNECTION,
    AuthUser,
    role_at_least,
)
from registry_api._security import require_researcher_on_loop as require_researcher
from registry_api._security import require_viewer_on_loop as require_viewer

__all__ = ["RunController", "check_scenario", "content_hash"]

_SORTS = {
    "createdAt": "r.created_at",
    "runtimeMs": "r.runtime_ms",
    "anomalyScore": "r.anomaly_score",
    "scenarioName": "r.scenario_name",
}
SortKey = Literal[
    "createdAt", "-createdAt", "runtimeMs", "-runtimeMs",
    "anomalyScore", "-anomalyScore", "scenarioName", "-scenarioName",
]  # fmt: skip

_SUMMARY_COLS = (
    "r.id, u.username AS owner, r.scenario_name, r.seed, r.qtcore_version, r.kernel, r.tags,"
    " r.runtime_ms, r.content_hash, r.frames_bytes, r.anomaly_score, r.created_at"
)


def content_hash(body: RunCreate) -> str:
    """SHA-256 of the canonical JSON of (scenario, seed, qtcoreVersion, kernel, results).

    Canonical JSON: keys sorted, no whitespace, UTF-8, shortest round-trip floats (Python's
    ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).
    """
    canonical = json.dumps(
        {
            "scenario": body.scenario,
            "seed": body.seed,
            "qtcoreVersion": body.qtcore_version,
            "kernel": body.kernel,
            "results": body.results,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _summary(row: Mapping[str, Any]) -> RunSummary:
    score = row["anomaly_score"]
    return RunSummary(
        id=row["id"],
        owner=row["owner"],
        scenario_name=row["scenario_name"],
        seed=row["seed"],
        qtcore_version=row["qtcore_version"],
        kernel=row["kernel"],
        tags=list(row["tags"]),
        runtime_ms=row["runtime_ms"],
        content_hash=row["content_hash"],
        frames_bytes=row["frames_bytes"],
        anomaly_score=score,
        anomalous=score is not None and score >= THRESHOLD,
        created_at=row["created_at"],
    )


def _full(row: Mapping[str, Any]) -> Run:
    s = _summary(row)
    return Run(
        **{f: getattr(s, f) for f in s.__struct_fields__},
        scenario=row["scenario"],
        results=row["results"],
        anomaly_detail=row["anomaly_detail"],
    )


#: SHA-256 digests of scenarios qtcore loaded, oldest first (a publish usually repeats a
#: scenario published before: only its result and seed differ)
_LOADABLE: dict[bytes, None] = {}
_LOADABLE_MAX = 1024


def check_scenario(scenario: dict[str, Any]) -> None:
    """Refuse a scenario that qtcore cannot load (so anyone can re-run a published run).

    Loading is a pure function of the scenario's content, so a scenario that loaded before
    (same canonical JSON) is not loaded again; refusals are not remembered.

    Raises:
        ValidationException: 400 naming ``scenario`` and qtcore's reason.
    """
    key = hashlib.sha256(msgspec.json.encode(scenario, order="sorted")).digest()
    if key in _LOADABLE:
        return
    try:
        scenario_from_dict(scenario, source="scenario")
    except ScenarioError as exc:
        raise ValidationException(
            detail="scenario is not one qtcore loads",
            extra=[{"message": str(exc), "key": "scenario", "source": "body"}],
        ) from None
    if len(_LOADABLE) >= _LOADABLE_MAX:
        del _LOADABLE[next(iter(_LOADABLE))]
    _LOADABLE[key] = None


def provide_db(state: State, scope: Scope) -> Database:
    """Dependency: the app's :class:`Database`, on the request's connection if it holds one."""
    db: Database = state.db
    held = scope.get(HELD_CONNECTION_KEY)
    return db if held is None else db.bind(held)


class RunController(Controller):
    """``/api/v1/runs``."""

    path = "/api/v1/runs"
    tags = ["runs"]  # noqa: RUF012
    #: each request reads its user and runs its statements on one pooled connection
    opt = {HOLD_CONNECTION: True}  # noqa: RUF012

    @post(
        "/",
        guards=[require_researcher],
        status_code=HTTP_201_CREATED,
        summary="Publish a run",
        description="201 with the new run, or 200 with the existing run when the same content "
        "(scenario, seed, qtcoreVersion, kernel, results) was published before.",
        responses={
            200: ResponseSpec(Run, description="the same content was published before"),
            413: ResponseSpec(None, description="body larger than MAX_BODY_BYTES"),
            503: ResponseSpec(
                None,
                description="database unavailable (the detail says whether anything was written)",
            ),
        },
        # concurrent publishes are stored together (group commit) on a connection of their
        # own: a request holding one while it waits for its batch would only idle it
        opt={HOLD_CONNECTION: False},
    )
    async def publish(
        self, request: Request[AuthUser, Any, Any], data: JSONBody[RunCreate]
    ) -> Response[Run]:
        """Publish a run; idempotent by content hash."""
        check_scenario(data.scenario)
        publisher: GroupCommit = request.app.state.publisher
        published = await publisher.publish(
            request.user,
            data,
            run_id=uuid.uuid4(),
            digest=content_hash(data),
            features=extract_features(data.results, data.runtime_ms),
        )
        run = _full(published.row)
        if not published.created:  # same content published before: that run, 200
            return Response(run, status_code=HTTP_200_OK)
        RUNS_PUBLISHED.inc()
        if run.anomalous:
            ANOMALOUS_RUNS.inc()
        return Response(run, status_code=HTTP_201_CREATED)

    @get("/", guards=[require_viewer], summary="List runs")
    async def list_runs(
        self,
        db: NamedDependency[Database],
        owner: Annotated[str | None, QueryParameter(max_length=64)] = None,
        scenario_name: Annotated[
            str | None, QueryParameter(name="scenarioName", max_length=200)
        ] = None,
        tag: Annotated[str | None, QueryParameter(max_length=64)] = None,
        since: Annotated[datetime | None, QueryParameter(description="created at or after")] = None,
        until: Annotated[datetime | None, QueryParameter(description="created before")] = None,
        anomalous: FromQuery[bool | None] = None,
        min_anomaly: Annotated[float | None, QueryParameter(name="minAnomaly", ge=0)] = None,
        sort: FromQuery[SortKey] = "-createdAt",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> RunPage:
        """List runs with filters, sorting and pagination (all values are bound parameters)."""
        where: list[str] = []
        args: list[Any] = []

        def add(clause: str, value: Any) -> None:
            args.append(value)
            where.append(clause.replace("?", f"${len(args)}"))

        if owner is not None:
            add("u.username = ?", owner)
        if scenario_name is not None:
            add("r.scenario_name = ?", scenario_name)
        if tag is not None:
            add("? = ANY(r.tags)", tag)
        if since is not None:
            add("r.created_at >= ?", since)
        if until is not None:
            add("r.created_at < ?", until)
        if anomalous is True:
            add("r.anomaly_score >= ?", THRESHOLD)
        elif anomalous is False:
            add("(r.anomaly_score IS NULL OR r.anomaly_score < ?)", THRESHOLD)
        if min_anomaly is not None:
            add("r.anomaly_score >= ?", min_anomaly)
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        column = _SORTS[sort.lstrip("-")]
        direction = "DESC" if sort.startswith("-") else "ASC"
        base = "FROM runs r JOIN users u ON u.id = r.owner_id" + cond
        async with db.connection() as conn:
            total = await conn.fetchval(f"SELECT count(*) {base}", *args)
            rows = await conn.fetch(
                f"SELECT {_SUMMARY_COLS} {base} ORDER BY {column} {direction} NULLS LAST, r.id"
                f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
                *args,
                limit,
                offset,
            )
        return RunPage(items=[_summary(r) for r in rows], total=total, limit=limit, offset=offset)

    @get("/{run_id:uuid}", guards=[require_viewer], summary="Fetch one run")
    async def get_run(self, run_id: FromPath[UUID], db: NamedDependency[Database]) -> Run:
        """Return one run with its scenario, results and anomaly detail."""
        async with db.connection() as conn:
            row = await fetch_full(conn, run_id)
        if row is None:
            raise NotFoundException(f"run {run_id} not found")
        return _full(row)

    @get(
        "/{run_id:uuid}/frames",
        guards=[require_viewer],
        summary="Download a run's frame stream",
        media_type="application/octet-stream",
    )
    async def get_frames(
        self, run_id: FromPath[UUID], db: NamedDependency[Database]
    ) -> Response[bytes]:
        """Return the run's binary frame stream exactly as published."""
        async with db.connection() as conn:
            row = await conn.fetchrow("SELECT frames FROM runs WHERE id = $1", run_id)
        if row is None:
            raise NotFoundException(f"run {run_id} not found")
        if row["frames"] is None:
            raise NotFoundException(f"run {run_id} was published without frames")
        return Response(bytes(row["frames"]), media_type="application/octet-stream")

    @delete("/{run_id:uuid}", guards=[require_researcher], summary="Delete a run")
    async def delete_run(
        self,
        request: Request[AuthUser, Any, Any],
        run_id: FromPath[UUID],
        db: NamedDependency[Database],
    ) -> None:
        """Delete a run: researchers their own, admins any."""
        user = request.user
        async with db.transaction() as conn:
            row = await conn.fetchrow(
                "SELECT owner_id, scenario_name, content_hash FROM runs WHERE id = $1 FOR UPDATE",
                run_id,
            )
            if row is None:
                raise NotFoundException(f"run {run_id} not found")
            if row["owner_id"] != user.id and not role_at_least(user.role, "admin"):
                raise PermissionDeniedException("researchers may delete only their own runs")
            await conn.execute("DELETE FROM runs WHERE id = $1", run_id)
            await _audit.record(
                conn,
                user,
                "run.delete",
                "run",
                str(run_id),
                {"scenarioName": row["scenario_name"], "contentHash": row["content_hash"]},
            )
