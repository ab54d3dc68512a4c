"""msgspec Structs for every request and response body (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

__all__ = [
    "AuditEvent",
    "AuditPage",
    "Health",
    "LiveSession",
    "LiveSessionCreate",
    "Role",
    "Run",
    "RunCreate",
    "RunPage",
    "RunSummary",
    "ServiceInfo",
    "Token",
    "TokenRequest",
    "User",
    "UserCreate",
    "UserUpdate",
]

Role = Literal["viewer", "researcher", "admin"]
Kernel = Literal["numpy", "python", "wasm"]

Username = Annotated[
    str, Meta(pattern=r"^[A-Za-z0-9_.-]{3,64}$", description="3-64 of A-Z a-z 0-9 _ . -")
]
Password = Annotated[str, Meta(min_length=8, max_length=256)]
ScenarioName = Annotated[
    str,
    Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$", description="no control chars"),
]
Tag = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:/+-]{1,64}$")]
Version = Annotated[str, Meta(pattern=r"^[0-9A-Za-z.+!_-]{1,64}$", examples=["0.1.0"])]
Seed = Annotated[int, Meta(ge=0, le=2**63 - 1)]
RuntimeMs = Annotated[float, Meta(ge=0, le=1e12)]
Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]


class _Base(Struct, rename="camel", forbid_unknown_fields=False, omit_defaults=False):
    pass


class TokenRequest(_Base, forbid_unknown_fields=True):
    """Credentials exchanged for an access token."""

    username: Annotated[str, Meta(min_length=1, max_length=64)]
    password: Annotated[str, Meta(min_length=1, max_length=256)]


class Token(_Base):
    """A bearer access token."""

    access_token: str
    expires_in: int
    role: Role
    token_type: str = "Bearer"


class User(_Base):
    """A registry account (never includes the password hash)."""

    id: int
    username: str
    role: Role
    active: bool
    created_at: datetime


class UserCreate(_Base, forbid_unknown_fields=True):
    """Admin request to create an account."""

    username: Username
    password: Password
    role: Role = "viewer"


class UserUpdate(_Base, forbid_unknown_fields=True):
    """Admin request to change role, active flag or password (omitted fields stay)."""

    role: Role | None = None
    active: bool | None = None
    password: Password | None = None


class RunCreate(_Base, forbid_unknown_fields=True):
    """A run published from the site or the CLI.

    ``frames`` is qtcore's binary frame stream, base64 in JSON; the registry stores it as-is.
    """

    scenario: dict[str, Any]
    scenario_name: ScenarioName
    seed: Seed
    qtcore_version: Version
    kernel: Kernel
    results: dict[str, Any]
    tags: Annotated[list[Tag], Meta(max_length=32)] = []
    runtime_ms: RuntimeMs = 0.0
    frames: bytes | None = None


class RunSummary(_Base):
    """One row of a run listing."""

    id: UUID
    owner: str
    scenario_name: str
    seed: int
    qtcore_version: str
    kernel: Kernel
    tags: list[str]
    runtime_ms: float
    content_hash: str
    frames_bytes: int
    anomaly_score: float | None
    anomalous: bool
    created_at: datetime


class Run(RunSummary):
    """A full run (frames are fetched separately from ``/api/v1/runs/{id}/frames``)."""

    scenario: dict[str, Any] = {}
    results: dict[str, Any] = {}
    anomaly_detail: dict[str, Any] | None = None


class RunPage(_Base):
    """A page of runs."""

    items: list[RunSummary]
    total: int
    limit: int
    offset: int


class LiveSessionCreate(_Base, forbid_unknown_fields=True):
    """Request to open a live session."""

    title: Title
    scenario_name: ScenarioName | None = None


class LiveSession(_Base):
    """A live session and the WebSocket paths to present and watch it."""

    id: UUID
    owner: str
    title: str
    scenario_name: str | None
    status: Literal["open", "ended"]
    created_at: datetime
    ended_at: datetime | None
    present_path: str
    watch_path: str


class AuditEvent(_Base):
    """One audited write: who did what to which object, when."""

    id: int
    at: datetime
    actor: str | None
    action: str
    target_type: str
    target_id: str | None
    detail: dict[str, Any]


class AuditPage(_Base):
    """A page of audit events, newest first."""

    items: list[AuditEvent]
    total: int
    limit: int
    offset: int


class ServiceInfo(_Base):
    """What answers at the API root: lets a static page tell whether a registry is there."""

    service: str
    api_version: str
    version: str


class Health(_Base):
    """Liveness / readiness report."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = {}


def to_builtins(value: Any) -> Any:
    """Convert Structs to plain JSON-compatible builtins."""
    return msgspec.to_builtins(value)
